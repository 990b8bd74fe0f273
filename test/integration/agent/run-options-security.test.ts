// docker run security and process options with the real docker CLI: --read-only, --tmpfs,
// capabilities, --privileged, no-new-privileges, --init, stop signals, users, -w,
// --add-host, --hostname, --entrypoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { AgentHarness } from './harness';
import { capsFromMask, DEFAULT_CAPS } from '../../../src/agent/containers/spec';
import { hostCapabilities } from '../../../src/agent/runtime/host-caps';

// The agent, busybox imported as bb, and the check that nothing is left behind (AgentHarness.forSuite).
const h = AgentHarness.forSuite({
  setUp: async () => {
    for (const [name, extra] of [['bb-cmd', ['--change', 'CMD ["echo","from-cmd"]']], ['bb-sig', ['--change', 'STOPSIGNAL SIGUSR1']], ['bb-ep', ['--change', 'ENTRYPOINT ["echo","ep"]', '--change', 'CMD ["from-cmd"]']]] as const) {
      const r = await h.importBusybox(name, [...extra]);
      assert.equal(r.code, 0, r.stderr);
    }
  },
});

const run = async (args: string[]) => {
  const r = await h.docker(['run', '--rm', ...args]);
  return { ...r, out: r.stdout.trim() };
};
const capEff = (status: string) => capsFromMask(/^CapEff:\s*(\S+)$/m.exec(status)![1]);

test('--read-only with --tmpfs: the rootfs refuses writes, the tmpfs takes them', async () => {
  const r = await run(['--read-only', '--tmpfs', '/run:size=1m', 'bb', 'sh', '-c', 'touch /x 2>&1; echo ok > /run/y && cat /run/y; grep " /run " /proc/mounts']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.out, /Read-only file system/);
  assert.match(r.out, /^ok$/m);
  assert.match(r.out, /tmpfs \/run tmpfs rw.*size=1024k/);
});

test('capabilities: defaults, --cap-drop, --cap-add, ALL', async () => {
  const def = await run(['bb', 'cat', '/proc/self/status']);
  assert.deepEqual(capEff(def.out).sort(), [...DEFAULT_CAPS].sort());
  const dropped = await run(['--cap-drop', 'CHOWN', 'bb', 'sh', '-c', 'touch /f; chown 1 /f 2>&1; grep CapEff /proc/self/status']);
  assert.match(dropped.out, /Operation not permitted/);
  assert.ok(!capEff(dropped.out).includes('CAP_CHOWN'));
  const none = await run(['--cap-drop', 'ALL', 'bb', 'grep', 'CapEff', '/proc/self/status']);
  assert.deepEqual(capEff(none.out), []);
  const added = await run(['--cap-add', 'NET_ADMIN', '--cap-add', 'sys_ptrace', 'bb', 'grep', 'CapEff', '/proc/self/status']);
  assert.ok(capEff(added.out).includes('CAP_NET_ADMIN') && capEff(added.out).includes('CAP_SYS_PTRACE'));
  const all = await run(['--cap-add', 'ALL', 'bb', 'grep', 'CapEff', '/proc/self/status']);
  assert.deepEqual(capEff(all.out).sort(), hostCapabilities().sort());
  const bad = await h.docker(['run', '--rm', '--cap-add', 'NOT_A_CAP', 'bb', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown capability: "CAP_NOT_A_CAP"/);
});

test('--privileged: every capability, the host devices, nothing masked, /sys writable', async () => {
  const r = await run(['--privileged', 'bb', 'sh', '-c', 'grep CapEff /proc/self/status; ls /dev; grep " /sys " /proc/mounts; wc -c < /proc/timer_list']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(capEff(r.out).sort(), hostCapabilities().sort());
  const hostDev = readdirSync('/dev').filter((d) => /^(loop\d+|tty\d+|mem|kmsg)$/.test(d));
  assert.ok(hostDev.length > 0);
  for (const d of hostDev) assert.match(r.out, new RegExp(`^${d}$`, 'm'), `/dev/${d} in the container`);
  assert.match(r.out, /sysfs \/sys sysfs rw/);
  assert.ok(Number(r.out.split('\n').pop()) > 0, '/proc/timer_list is not masked');
  const plain = await run(['bb', 'sh', '-c', 'ls /dev; wc -c < /proc/timer_list']);
  assert.doesNotMatch(plain.out, /^mem$/m);
  assert.equal(plain.out.split('\n').pop(), '0', 'masked for unprivileged containers');
});

test('--security-opt no-new-privileges sets NoNewPrivs (also for execs)', async () => {
  assert.match((await run(['--security-opt', 'no-new-privileges', 'bb', 'grep', 'NoNewPrivs', '/proc/self/status'])).out, /NoNewPrivs:\s+1/);
  assert.match((await run(['--security-opt', 'no-new-privileges:true', 'bb', 'grep', 'NoNewPrivs', '/proc/self/status'])).out, /NoNewPrivs:\s+1/);
  assert.match((await run(['bb', 'grep', 'NoNewPrivs', '/proc/self/status'])).out, /NoNewPrivs:\s+0/);
  assert.equal((await h.docker(['run', '-d', '--name', 'nnp', '--security-opt', 'no-new-privileges', 'bb', 'sleep', '100'])).code, 0);
  assert.match((await h.docker(['exec', 'nnp', 'grep', 'NoNewPrivs', '/proc/self/status'])).stdout, /NoNewPrivs:\s+1/);
  assert.equal((await h.docker(['rm', '-f', 'nnp'])).code, 0);
});

test('--init runs docker-init (tini) as PID 1, read-only, reaping zombies and forwarding signals', async () => {
  const r = await run(['--init', 'bb', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; touch /sbin/docker-init 2>&1; ps -o pid,comm | head -3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.out, /^\/sbin\/docker-init -- sh -c /m);
  assert.match(r.out, /Read-only file system/);
  assert.equal((await h.docker(['run', '-d', '--init', '--name', 'ini', 'bb', 'sleep', '1000'])).code, 0);
  const t0 = Date.now();
  assert.equal((await h.docker(['stop', 'ini'])).code, 0);
  assert.ok(Date.now() - t0 < 5000, 'tini passes SIGTERM on: sleep dies at once');
  assert.equal((await h.docker(['inspect', '-f', '{{.State.ExitCode}} {{.HostConfig.Init}}', 'ini'])).stdout.trim(), '143 true');
  assert.equal((await h.docker(['rm', 'ini'])).code, 0);
});

test('--stop-signal, --stop-timeout and the image STOPSIGNAL', async () => {
  const trap = 'trap "echo got USR1; exit 5" USR1; echo ready; while true; do sleep 0.1; done';
  assert.equal((await h.docker(['run', '-d', '--name', 'sig', '--stop-signal', 'USR1', 'bb', 'sh', '-c', trap])).code, 0);
  await waitLog('sig', 'ready');
  assert.equal((await h.docker(['stop', 'sig'])).code, 0);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.ExitCode}} {{.Config.StopSignal}}', 'sig'])).stdout.trim(), '5 USR1');
  assert.equal((await h.docker(['run', '-d', '--name', 'isig', 'bb-sig', 'sh', '-c', trap])).code, 0);
  await waitLog('isig', 'ready');
  assert.equal((await h.docker(['stop', 'isig'])).code, 0);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.ExitCode}} {{.Config.StopSignal}}', 'isig'])).stdout.trim(), '5 SIGUSR1');
  assert.equal((await h.docker(['run', '-d', '--name', 'tmo', '--stop-timeout', '1', 'bb', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done'])).code, 0);
  await waitLog('tmo', 'ready');
  const t0 = Date.now();
  assert.equal((await h.docker(['stop', 'tmo'])).code, 0);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 5000, `stopped after ${took} ms`);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.ExitCode}} {{.Config.StopTimeout}}', 'tmo'])).stdout.trim(), '137 1');
  assert.equal((await h.docker(['rm', 'sig', 'isig', 'tmo'])).code, 0);
});

async function waitLog(name: string, text: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await h.docker(['logs', name])).stdout.includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} never logged ${text}`);
}

test('-u resolves names and uid:gid in the image\'s passwd and group files', async () => {
  assert.equal((await run(['-u', 'daemon', 'bb', 'id'])).out, 'uid=1(daemon) gid=1(daemon) groups=1(daemon)');
  assert.equal((await run(['-u', 'nobody', 'bb', 'id'])).out, 'uid=65534(nobody) gid=65534(nogroup) groups=100(users),65534(nogroup)');
  assert.equal((await run(['-u', '1000:100', 'bb', 'id'])).out, 'uid=1000 gid=100(users) groups=100(users)');
  assert.equal((await run(['-u', 'daemon:users', 'bb', 'id', '-g'])).out, '100');
  const bad = await h.docker(['run', '--rm', '-u', 'nosuchuser', 'bb', 'id']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
});

test('-w creates the working directory; --hostname; --add-host', async () => {
  const r = await run(['-w', '/new/work/dir', '--hostname', 'box1', '--add-host', 'db.local:10.1.2.3', 'bb', 'sh', '-c', 'pwd; hostname; grep db.local /etc/hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.out.split('\n').map((l) => l.trim()), ['/new/work/dir', 'box1', '10.1.2.3\tdb.local'].map((l) => l.trim()));
});

test('--entrypoint replaces the image entrypoint and clears the image Cmd', async () => {
  assert.equal((await run(['bb-cmd'])).out, 'from-cmd');
  const r = await run(['--entrypoint', 'echo', 'bb-cmd']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '\n', 'image Cmd not passed to the new entrypoint');
  assert.equal((await run(['--entrypoint', 'echo', 'bb-cmd', 'given'])).out, 'given');
});

test('--entrypoint "" resets the image entrypoint', async () => {
  assert.equal((await run(['bb-ep'])).out, 'ep from-cmd');
  assert.equal((await run(['--entrypoint', '', 'bb-ep', 'echo', 'x'])).out, 'x');
  assert.equal((await run(['--entrypoint', 'echo', 'bb-ep', 'y'])).out, 'y');
});

test('--device maps a host device node; --group-add; --sysctl; unsupported options are refused', async () => {
  const r = await run(['--device', '/dev/null:/dev/mynull:rw', '--group-add', 'users', '--group-add', '4242', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmni=1234',
    'bb', 'sh', '-c', 'ls -l /dev/mynull; echo hi > /dev/mynull && echo wrote; id -G; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.out.split('\n');
  assert.match(lines[0], /^crw-rw-rw-\s+1 root\s+root\s+1,\s+3 .* \/dev\/mynull$/);
  assert.equal(lines[1], 'wrote');
  assert.equal(lines[2], '0 100 4242');
  assert.deepEqual(lines.slice(3), ['1', '1234']);
  const cases: Array<[string[], RegExp]> = [
    [['--device', '/dev/no-such-dev'], /error gathering device information while adding custom device "\/dev\/no-such-dev": no such file or directory/],
    [['--device', '/etc/passwd'], /not a device node/],
    [['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1'], /not allowed in host network mode/],
    [['--blkio-weight', '300'], /--blkio-weight \(BlkioWeight\) is not supported by tsagent/],
    [['--memory-reservation', '1m'], /Minimum memory reservation allowed is 6MB/],
  ];
  for (const [args, re] of cases) {
    const x = await h.docker(['create', ...args, 'bb', 'true']);
    assert.notEqual(x.code, 0, args.join(' '));
    assert.match(x.stderr, re, args.join(' '));
  }
  assert.equal((await h.docker(['run', '-d', '--name', 'ga', '--group-add', 'users', 'bb', 'sleep', '100'])).code, 0);
  assert.equal((await h.docker(['exec', 'ga', 'id', '-G'])).stdout.trim(), '0 100', 'execs get the extra groups too');
  assert.equal((await h.docker(['rm', '-f', 'ga'])).code, 0);
  const g = await h.docker(['run', '--rm', '--group-add', 'nosuchgroup', 'bb', 'true']);
  assert.notEqual(g.code, 0);
  assert.match(g.stderr, /Unable to find group nosuchgroup/);
});
