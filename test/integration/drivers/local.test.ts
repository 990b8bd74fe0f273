// Real local machines on this host (root, Linux): namespaces, bridge tsm0, cgroups, OpenSSH.
// Every machine is removed in an after hook even when a test fails; at the end the host has
// no netns, veth, mount, process, cgroup or lease of these machines, and the bridge with its two
// FORWARD rules is removed again if this file created it (and no other machine uses it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostExec } from '../../../src/core/exec';
import { isTsmError } from '../../../src/core/errors';
import { definition, LocalDriver, realLocalApi, removeUnusedBridge, type LocalConfig } from '../../../src/drivers/local';
import { machineMac } from '../../../src/drivers/local/network';
import type { Driver } from '../../../src/drivers/driver';
import { makeDriverContext, type TestDriverContext } from '../../helpers/driver-context';
import { hostSnapshot, leaked } from '../../helpers/host-snapshot';

const run = promisify(execFile);
const skip = process.platform !== 'linux' || process.getuid?.() !== 0 ? 'needs Linux and root (namespaces, bridge, cgroups)' : false;
const api = realLocalApi(hostExec);

interface Machine {
  ctx: TestDriverContext<LocalConfig>;
  driver: Driver;
}

describe('local driver (real machines)', { skip, concurrency: false }, () => {
  const store = mkdtempSync(join(tmpdir(), 'tsm-local-it-'));
  const knownHosts = join(store, 'known_hosts');
  const hostRunMarker = `/run/tsm-it-${process.pid}`;
  const hostRootMarker = `/root/.tsm-it-${process.pid}`;
  const machines: Machine[] = [];
  let bridgeExisted = true;
  let before0: ReturnType<typeof hostSnapshot>;

  function machine(name: string, flags: Record<string, string | number | boolean> = {}): Machine {
    const { config, problems } = definition.configFromFlags(flags);
    assert.deepEqual(problems, []);
    const ctx = makeDriverContext({ name, config, storePath: store });
    const m = { ctx, driver: definition.create(ctx) };
    machines.push(m);
    return m;
  }

  async function ssh(m: Machine, command: string): Promise<string> {
    const { stdout } = await run('ssh', [
      '-i', m.ctx.sshKeyPath, '-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', `root@${m.ctx.config.ip}`, command,
    ]);
    return stdout;
  }

  async function hostKeyFingerprint(ip: string): Promise<string> {
    const { stdout } = await run('ssh-keyscan', ['-T', '5', '-t', 'ed25519', ip]);
    assert.match(stdout, /ssh-ed25519 /);
    return stdout.trim().split(' ').slice(1).join(' ');
  }

  function cgroupProcs(m: Machine): string[] {
    return (m.ctx.config.resources.cgroups ?? []).flatMap((d) => (existsSync(`${d}/cgroup.procs`) ? readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean) : []));
  }

  before(async () => {
    bridgeExisted = existsSync('/sys/class/net/tsm0');
    writeFileSync(hostRunMarker, 'host only');
    writeFileSync(hostRootMarker, 'host only');
    before0 = hostSnapshot(store);
  });

  after(async () => {
    for (const m of machines) await m.driver.remove().catch(() => undefined);
    rmSync(hostRunMarker, { force: true });
    rmSync(hostRootMarker, { force: true });
    if (!bridgeExisted) await removeUnusedBridge(api, 'tsm0');
    rmSync(store, { recursive: true, force: true });
  });

  let a: Machine;
  let b: Machine;

  test('create: Running and reachable over SSH (the time is reported; bench/ compares speed)', async () => {
    a = machine('alpha-1');
    await a.driver.preCreateCheck();
    const t0 = Date.now();
    await a.driver.create();
    const ms = Date.now() - t0;
    assert.ok(await api.tcpProbe(a.ctx.config.ip!, 22, 1000), 'sshd accepts TCP after create');
    console.log(`# local create to sshd accepting: ${ms} ms`);
    assert.equal(await a.driver.state(), 'Running');
    assert.equal((await ssh(a, 'hostname')).trim(), 'alpha-1');
    assert.deepEqual(await a.driver.addresses(), [a.ctx.config.ip]);
    assert.deepEqual(await a.driver.sshEndpoint(), { host: a.ctx.config.ip, port: 22, user: 'root', privateKeyPath: a.ctx.sshKeyPath });
  });

  test('inside: own PID namespace, tini as PID 1, own cgroup root, private /run, hidden store', async () => {
    const out = await ssh(a, [
      'cat /proc/1/comm', 'readlink /proc/self/ns/pid', 'cat /proc/self/cgroup',
      `test -e ${hostRunMarker} && echo run-leaks || echo run-private`, 'test -d /run/sshd && echo sshd-dir',
      `ls -A ${store} 2>/dev/null | wc -l`, 'cat /etc/hostname', `test -e ${hostRootMarker} && echo root-leaks || echo root-fresh`,
      'stat -c %a /root /root/.ssh /root/.ssh/authorized_keys | tr "\\n" " "',
    ].join('; echo ---; '));
    const [comm, pidns, cgroup, runPrivate, sshdDir, storeEntries, hostname, rootFresh, modes] = out.split('---\n').map((s) => s.trim());
    assert.equal(comm, 'tini');
    assert.notEqual(pidns, (await run('readlink', ['/proc/self/ns/pid'])).stdout.trim(), 'own PID namespace');
    for (const line of cgroup.split('\n')) assert.match(line, /:\/(init)?$/, `cgroup root inside: ${line}`);
    assert.equal(runPrivate, 'run-private');
    assert.equal(sshdDir, 'sshd-dir');
    assert.equal(storeEntries, '0', 'the store is hidden inside the machine');
    assert.equal(hostname, 'alpha-1');
    assert.equal(rootFresh, 'root-fresh', "the host's /root does not show through");
    assert.equal(modes, '700 700 600');
    const hostView = readFileSync(`/proc/${a.ctx.config.pid}/cgroup`, 'utf8');
    assert.match(hostView, new RegExp(`:/tsmachine/${a.ctx.config.id}$`, 'm'), 'PID 1 sits in /tsmachine/<id> on the host');
  });

  test('inside: /var/lib/tsagent and /var/lib/docker are real-dir bind mounts from the machine folder', async () => {
    const out = await ssh(a, 'echo hello > /var/lib/tsagent/probe; stat -f -c %T /var/lib/tsagent /var/lib/docker /');
    const [agentFs, dockerFs, rootFs] = out.trim().split('\n');
    assert.notEqual(agentFs, 'overlayfs');
    assert.notEqual(dockerFs, 'overlayfs');
    assert.equal(rootFs, 'overlayfs');
    assert.equal(readFileSync(join(a.ctx.dir, 'local', 'data', 'tsagent', 'probe'), 'utf8'), 'hello\n');
  });

  test('stop/start keeps files, IP and host keys; boot.d scripts run at every boot', async () => {
    const ip = a.ctx.config.ip;
    const fp = await hostKeyFingerprint(ip!);
    await ssh(a, 'echo kept > /root/marker; mkdir -p /etc/tsmachine/boot.d; printf "#!/bin/sh\\necho booted >> /root/boots\\n" > /etc/tsmachine/boot.d/10-test; chmod +x /etc/tsmachine/boot.d/10-test');
    const pid = a.ctx.config.pid!;
    let t0 = Date.now();
    await a.driver.stop();
    console.log(`# local stop: ${Date.now() - t0} ms`);
    assert.equal(await a.driver.state(), 'Stopped');
    assert.equal(existsSync(`/proc/${pid}`), false, 'PID 1 is gone');
    assert.deepEqual(cgroupProcs(a), [], 'no process left in the machine cgroups');
    t0 = Date.now();
    await a.driver.start();
    console.log(`# local start: ${Date.now() - t0} ms`);
    assert.equal(await a.driver.state(), 'Running');
    assert.equal(a.ctx.config.ip, ip);
    assert.equal(await hostKeyFingerprint(ip!), fp);
    assert.equal((await ssh(a, 'cat /root/marker')).trim(), 'kept');
    await a.driver.restart();
    await waitForFile(a, '/root/boots', 2);
    assert.equal((await ssh(a, 'cat /root/boots')).trim(), 'booted\nbooted');
    assert.match(await ssh(a, 'cat /var/log/tsmachine-boot.log'), /10-test exited with 0/);
  });

  async function waitForFile(m: Machine, path: string, lines: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await ssh(m, `cat ${path} 2>/dev/null | wc -l`)).trim() === String(lines)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('two machines get different IPs and reach each other; limits and NAT apply', async () => {
    b = machine('beta-2', { 'local-memory': 256, 'local-cpus': '0.5', 'local-nat': true });
    await b.driver.create();
    assert.notEqual(b.ctx.config.ip, a.ctx.config.ip);
    const banner = await ssh(a, `timeout 5 bash -c 'exec 3<>/dev/tcp/${b.ctx.config.ip}/22; head -c 7 <&3'`);
    assert.equal(banner, 'SSH-2.0');
    assert.equal((await ssh(b, 'cat /sys/class/net/eth0/address')).trim(), machineMac(b.ctx.config.ip!), 'the MAC follows the IP, so a reused address keeps its neighbour entry');
    const limit = (await ssh(b, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')).trim();
    assert.equal(limit, String(256 * 1024 * 1024));
    const quota = readFileSync(`/sys/fs/cgroup/cpu/tsmachine/${b.ctx.config.id}/cpu.cfs_quota_us`, 'utf8').trim();
    assert.equal(quota, '50000');
    await run('iptables', ['-t', 'nat', '-C', 'POSTROUTING', '-s', `${b.ctx.config.ip}/32`, '!', '-o', 'tsm0', '-j', 'MASQUERADE']);
  });

  test('preCreateCheck refuses a subnet that collides with a route on the host', async () => {
    const c = machine('gamma-3', { 'local-bridge': 'tsmcollide0', 'local-subnet': '10.213.0.0/25' });
    await assert.rejects(c.driver.preCreateCheck(), (e: unknown) => isTsmError(e, 'PRECREATE_FAILED') && e.problems.some((p) => p.field === '--local-subnet'));
    assert.equal(existsSync('/sys/class/net/tsmcollide0'), false);
  });

  test('a boot that fails is reported with the console log; remove cleans up after it', async () => {
    const m = machine('broken-4');
    const brokenTini = { ...api, which: async (p: string) => (p.startsWith('tini') ? '/nonexistent/tini' : api.which(p)) };
    m.driver = new LocalDriver(m.ctx, { api: brokenTini });
    await assert.rejects(m.driver.create(), (e: unknown) => isTsmError(e, 'DRIVER_ERROR') && /\/nonexistent\/tini/.test(e.message));
    assert.equal(await m.driver.state(), 'Stopped');
    assert.ok(m.ctx.config.resources.netns && m.ctx.config.resources.lease, 'resources were recorded as they were made');
    await m.driver.remove();
    assert.deepEqual(m.ctx.config.resources, {});
  });

  test('an interrupted create is rolled back by remove', async () => {
    const abort = new AbortController();
    const { config } = definition.configFromFlags({});
    const ctx = makeDriverContext({ name: 'aborted-5', config, storePath: store, signal: abort.signal, progress: (e) => {
      if (e.kind === 'done' && e.step === 'boot') abort.abort();
    } });
    const m = { ctx, driver: definition.create(ctx) };
    machines.push(m);
    await assert.rejects(m.driver.create(), (e: unknown) => isTsmError(e, 'ABORTED'));
    assert.equal(await m.driver.state(), 'Running', 'interrupted while sshd was starting');
    await m.driver.remove();
    assert.equal(await m.driver.state(), 'Stopped');
    assert.equal(existsSync(`/run/netns/tsm-${ctx.config.id}`), false);
  });

  test('kill stops at once; remove twice is fine and leaves nothing behind', async () => {
    await b.driver.kill();
    assert.equal(await b.driver.state(), 'Stopped');
    assert.deepEqual(cgroupProcs(b), []);
    const ids = [a.ctx.config.id!, b.ctx.config.id!];
    const bIp = b.ctx.config.ip!;
    for (const m of [a, b]) {
      await m.driver.remove();
      await m.driver.remove();
      assert.equal(await m.driver.state(), 'Stopped');
      assert.equal(existsSync(join(m.ctx.dir, 'local')), false, 'upper, work and data dirs are gone');
    }
    const after0 = hostSnapshot(store);
    // The bridge is shared infrastructure: the after hook removes it if this file made it.
    after0.links = after0.links.filter((l) => l !== 'tsm0');
    assert.deepEqual(leaked(before0, after0), {});
    for (const id of ids) {
      assert.equal(existsSync(`/run/netns/tsm-${id}`), false);
      assert.equal(existsSync(`/sys/class/net/tsmh${id}`), false);
      for (const ctl of readdirSync('/sys/fs/cgroup')) assert.equal(existsSync(`/sys/fs/cgroup/${ctl}/tsmachine/${id}`), false, `${ctl} cgroup of ${id}`);
    }
    const leases = readFileSync('/var/lib/tsmachine/local/leases.json', 'utf8');
    for (const id of ids) assert.doesNotMatch(leases, new RegExp(id));
    const nat = await run('iptables', ['-t', 'nat', '-C', 'POSTROUTING', '-s', `${bIp}/32`, '!', '-o', 'tsm0', '-j', 'MASQUERADE']).then(() => true, () => false);
    assert.equal(nat, false, 'NAT rule removed');
  });
});
