// The stock docker CLI against the bundled agent over mutual TLS: import, run, logs, exec,
// ps, inspect, stop, rm, rmi — real runc containers under conmon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { AgentHarness, cgroupChildren, mountsUnder } from './harness';

const h = AgentHarness.forSuite({ busybox: false });

const ps = async (all = true) => (await h.docker(['ps', ...(all ? ['-a'] : []), '--format', '{{.Names}}|{{.Status}}'])).stdout.trim().split('\n').filter(Boolean);

test('docker version shows the server', async () => {
  const r = await h.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0.1.0-tsagent 1.51 linux');
  const info = await h.docker(['info', '--format', '{{.Driver}} {{.CgroupDriver}} {{.Labels}} {{.DockerRootDir}}']);
  assert.equal(info.code, 0, info.stderr);
  assert.equal(info.stdout.trim(), `overlay2 cgroupfs [suite=agent-it] ${h.dataRoot}`);
});

test('docker import stores a layer and an image', async () => {
  const r = await h.importBusybox('bb');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  const id = r.stdout.trim();
  const images = await h.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  assert.equal(images.stdout.trim(), `bb:latest ${id.slice(7, 19)}`);
  const inspect = JSON.parse((await h.docker(['image', 'inspect', 'bb'])).stdout)[0];
  assert.equal(inspect.Id, id);
  assert.deepEqual(inspect.RepoTags, ['bb:latest']);
  assert.equal(inspect.RootFS.Layers.length, 1);
  assert.ok(inspect.Size > 1_000_000, `size ${inspect.Size}`);
  assert.equal(typeof inspect.ContainerConfig, 'object', 'kept for docker-compose 1.29, which reads it at the newest API version');
  const layerDir = join(h.dataRoot, 'layers', inspect.RootFS.Layers[0].slice(7), 'diff');
  assert.ok(existsSync(join(layerDir, 'bin/busybox')));
  const changed = await h.importBusybox('bb-cmd:v2', ['--change', 'CMD ["echo","from-cmd"]', '--change', 'ENV GREETING=hi']);
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal((await h.docker(['run', '--rm', 'bb-cmd:v2'])).stdout, 'from-cmd\n');
  assert.equal((await h.docker(['run', '--rm', 'bb-cmd:v2', 'sh', '-c', 'echo $GREETING'])).stdout, 'hi\n');
  const configHex = id.slice(7);
  const configBytes = readFileSync(join(h.dataRoot, 'images', 'configs', `${configHex}.json`));
  assert.equal(createHash('sha256').update(configBytes).digest('hex'), configHex, 'image ID = sha256 of its config');
  assert.deepEqual(JSON.parse(configBytes.toString()).rootfs.diff_ids, inspect.RootFS.Layers);
  const blob = readFileSync(join(h.dataRoot, 'content', 'sha256', inspect.RootFS.Layers[0].slice(7)));
  assert.equal(`sha256:${createHash('sha256').update(blob).digest('hex')}`, inspect.RootFS.Layers[0], 'diff ID = sha256 of the uncompressed tar');
  const gz = await h.docker(['import', '-', 'bb-gz'], { input: gzipSync(blob) });
  assert.equal(gz.code, 0, gz.stderr);
  assert.deepEqual(JSON.parse((await h.docker(['image', 'inspect', 'bb-gz'])).stdout)[0].RootFS.Layers, inspect.RootFS.Layers, 'gzip\'d: same diff ID');
  assert.equal((await h.docker(['rmi', 'bb-gz'])).code, 0);
  assert.ok(existsSync(layerDir), 'the shared layer stays while bb uses it');
  const notTar = await h.docker(['import', '-', 'junk'], { input: 'this is not a tar archive'.repeat(100) });
  assert.notEqual(notTar.code, 0);
  assert.match(notTar.stderr, /invalid layer archive/);
});

test('docker run --rm prints the output and leaves no container', async (t) => {
  const r = await h.docker(['run', '--rm', 'bb', 'echo', 'hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.deepEqual(await ps(), []);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await h.docker(['run', '--rm', 'bb', 'true'])).ms);
  t.diagnostic(`docker run --rm bb true: ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
  assert.deepEqual(readdirSync(join(h.dataRoot, 'containers')), []);
  assert.deepEqual(mountsUnder(h.base), []);
  assert.deepEqual(cgroupChildren(h.cgroupParent), []);
});

test('exit codes, stderr, and a missing command', async () => {
  const r = await h.docker(['run', '--name', 'three', 'bb', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const state = (await h.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'three'])).stdout.trim();
  assert.equal(state, 'exited 3');
  const missing = await h.docker(['run', '--rm', 'bb', 'no-such-program']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /executable file not found/);
  assert.deepEqual((await ps()).map((l) => l.split('|')[0]), ['three'], 'the failed --rm container is gone');
  assert.equal((await h.docker(['rm', 'three'])).code, 0);
  const noImage = await h.docker(['run', '--rm', 'nope:1']);
  assert.notEqual(noImage.code, 0);
  assert.match(noImage.stderr, /Unable to find image 'nope:1' locally/);
});

test('a detached container: logs, exec, ps, inspect, stop, start, rm -f', async () => {
  const d = await h.docker(['run', '-d', '--name', 'w', '--label', 'role=worker', 'bb', 'sh', '-c', 'echo started; sleep 0.2; echo warn >&2; exec sleep 1000']);
  assert.equal(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await waitFor(async () => (await h.docker(['logs', 'w'])).stderr === 'warn\n');
  const logs = await h.docker(['logs', 'w']);
  assert.equal(logs.stdout, 'started\n');
  assert.equal(logs.stderr, 'warn\n');
  const ts = await h.docker(['logs', '-t', '--tail', '1', 'w']);
  assert.match(ts.stdout + ts.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (started|warn)\n$/);
  const tail = await h.docker(['logs', '--tail', '1', 'w']);
  assert.equal(tail.stdout + tail.stderr, 'warn\n', 'tail counts records across both streams');
  assert.equal((await h.docker(['logs', '--since', '2000-01-01T00:00:00Z', '--until', '2000-01-02T00:00:00Z', 'w'])).stdout, '');
  assert.equal((await h.docker(['logs', '--since', '2000-01-01T00:00:00Z', 'w'])).stdout, 'started\n');
  const exec = await h.docker(['exec', 'w', 'echo', 'hi']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, 'hi\n');
  assert.equal((await h.docker(['exec', 'w', 'sh', '-c', 'exit 5'])).code, 5);
  const stdin = await h.docker(['exec', '-i', 'w', 'cat'], { input: 'piped\n' });
  assert.equal(stdin.stdout, 'piped\n');
  const env = await h.docker(['exec', '-e', 'X=1', 'w', 'sh', '-c', 'echo $X $HOSTNAME; hostname; cat /etc/hostname']);
  assert.equal(env.stdout, `1 ${id.slice(0, 12)}\n${id.slice(0, 12)}\n${id.slice(0, 12)}\n`);
  const net = await h.docker(['exec', 'w', 'ls', '/sys/class/net']);
  assert.equal(net.stdout.trim(), 'lo', 'only loopback in the network namespace');
  assert.deepEqual((await ps(false)).map((l) => l.split('|')[0]), ['w']);
  assert.match((await ps(false))[0], /^w\|Up /);
  const filtered = await h.docker(['ps', '-q', '--no-trunc', '--filter', 'label=role=worker']);
  assert.equal(filtered.stdout.trim(), id);
  assert.equal((await h.docker(['ps', '-q', '--filter', 'label=role=db'])).stdout.trim(), '');
  const inspect = JSON.parse((await h.docker(['inspect', 'w'])).stdout)[0];
  assert.equal(inspect.Id, id);
  assert.equal(inspect.Name, '/w');
  assert.equal(inspect.State.Running, true);
  assert.ok(inspect.State.Pid > 0);
  assert.equal(inspect.Config.Labels.role, 'worker');
  assert.equal(inspect.HostConfig.NetworkMode, 'bridge');
  assert.deepEqual(inspect.Mounts, []);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.Running}}', id.slice(0, 6)])).stdout.trim(), 'true', 'lookup by id prefix');
  assert.ok(cgroupChildren(h.cgroupParent).some((c) => c.endsWith(id)), 'the container has a cgroup under the parent');
  const stop = await h.docker(['stop', '-t', '1', 'w']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'w'])).stdout.trim(), 'exited 137');
  assert.deepEqual(cgroupChildren(h.cgroupParent), [], 'cgroups go with the run');
  assert.equal((await h.docker(['start', 'w'])).code, 0);
  await waitFor(async () => (await h.docker(['logs', 'w'])).stderr === 'warn\nwarn\n');
  assert.equal((await h.docker(['logs', 'w'])).stdout, 'started\nstarted\n', 'logs accumulate across runs');
  const rm = await h.docker(['rm', 'w']);
  assert.notEqual(rm.code, 0);
  assert.match(rm.stderr, /container is running/);
  assert.equal((await h.docker(['rm', '-f', 'w'])).code, 0);
  assert.deepEqual(await ps(), []);
  assert.equal(existsSync(join(h.dataRoot, 'containers', id)), false);
});

test('stop honours the stop signal; kill; wait; restart; name conflicts', async () => {
  const d = await h.docker(['run', '-d', '--name', 'trap', '--stop-signal', 'USR1', 'bb', 'sh', '-c', 'trap "echo got-usr1; exit 0" USR1; while true; do sleep 0.1; done']);
  assert.equal(d.code, 0, d.stderr);
  const dup = await h.docker(['run', '-d', '--name', 'trap', 'bb', 'true']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /Conflict. The container name "\/trap" is already in use/);
  await new Promise((r) => setTimeout(r, 300));
  const stop = await h.docker(['stop', 'trap']);
  assert.equal(stop.code, 0);
  assert.ok(stop.ms < 5000, `stopped by its signal, not the 10 s timeout (${stop.ms} ms)`);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.ExitCode}}', 'trap'])).stdout.trim(), '0');
  assert.match((await h.docker(['logs', 'trap'])).stdout, /got-usr1/);
  assert.equal((await h.docker(['restart', '-t', '0', 'trap'])).code, 0);
  assert.equal((await h.docker(['inspect', '-f', '{{.State.Running}}', 'trap'])).stdout.trim(), 'true');
  const waiter = h.docker(['wait', 'trap']);
  assert.equal((await h.docker(['kill', 'trap'])).code, 0);
  assert.equal((await waiter).stdout.trim(), '137');
  const notRunning = await h.docker(['kill', 'trap']);
  assert.match(notRunning.stderr, /is not running/);
  assert.equal((await h.docker(['rm', 'trap'])).code, 0);
});

test('docker run -i feeds stdin and closes it at EOF', async () => {
  const r = await h.docker(['run', '--rm', '-i', 'bb', 'sh', '-c', 'cat; echo done'], { input: 'line1\nline2\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line1\nline2\ndone\n');
  const big = await h.docker(['run', '--rm', '-i', 'bb', 'wc', '-c'], { input: Buffer.alloc(300_000, 0x61) });
  assert.equal(big.stdout.trim(), '300000', 'more than a pipe buffer gets through');
  const noI = await h.docker(['run', '--rm', 'bb', 'cat'], { input: 'not for you\n' });
  assert.equal(noI.stdout, '', 'without -i the container reads an empty stdin');
});

test('docker events reports the container lifecycle', async () => {
  const until = Math.floor(Date.now() / 1000) + 3;
  // --since now: with --until alone, dockerd also replays the events it keeps from before.
  const ev = h.docker(['events', '--since', (Date.now() / 1000).toFixed(3), '--until', String(until), '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await h.docker(['run', '--rm', '--name', 'evt', 'bb', 'sh', '-c', 'exit 2'])).code, 2);
  const r = await ev;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['container create evt', 'container start evt', 'container die evt', 'container destroy evt']);
});

test('pause, unpause and top', async () => {
  assert.equal((await h.docker(['run', '-d', '--name', 'p', 'bb', 'sh', '-c', 'while true; do sleep 1; done'])).code, 0);
  const top = await h.docker(['top', 'p']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /^UID\s+PID\s+PPID/);
  assert.match(top.stdout, /sh -c while true; do sleep 1; done/);
  assert.equal((await h.docker(['pause', 'p'])).code, 0);
  assert.match((await ps(false))[0], /\(Paused\)$/);
  assert.match((await h.docker(['exec', 'p', 'true'])).stderr, /is paused/);
  assert.equal((await h.docker(['unpause', 'p'])).code, 0);
  assert.equal((await h.docker(['pause', 'p'])).code, 0);
  assert.equal((await h.docker(['stop', '-t', '1', 'p'])).code, 0, 'a paused container can be stopped');
  assert.equal((await h.docker(['rm', 'p'])).code, 0);
});

test('tty containers get a terminal from conmon', async () => {
  const r = await h.docker(['run', '--rm', '-t', 'bb', 'sh', '-c', 'tty; stty size']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\/dev\/pts\/0\r\n/);
});

test('docker rmi: in use, untag, delete', async () => {
  const c = await h.docker(['create', '--name', 'user', 'bb', 'true']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal((await h.docker(['tag', 'bb', 'bb:two'])).code, 0);
  const untag = await h.docker(['rmi', 'bb:two']);
  assert.equal(untag.code, 0, untag.stderr);
  assert.match(untag.stdout, /Untagged: bb:two/);
  const inUse = await h.docker(['rmi', 'bb']);
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /must force/);
  assert.equal((await h.docker(['rm', 'user'])).code, 0);
  const rmi = await h.docker(['rmi', 'bb']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /Untagged: bb:latest[\s\S]*Deleted: sha256:/);
  const keeper = await h.docker(['create', '--name', 'keeper', 'bb-cmd:v2']);
  assert.equal(keeper.code, 0, keeper.stderr);
  const forced = await h.docker(['rmi', '-f', 'bb-cmd:v2']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal((await h.docker(['start', '-a', 'keeper'])).stdout, 'from-cmd\n', 'a container outlives its force-removed image');
  assert.notDeepEqual(readdirSync(join(h.dataRoot, 'layers')), []);
  assert.equal((await h.docker(['rm', 'keeper'])).code, 0);
  assert.equal((await h.docker(['images', '-q'])).stdout.trim(), '');
  assert.deepEqual(readdirSync(join(h.dataRoot, 'layers')), []);
  assert.deepEqual(readdirSync(join(h.dataRoot, 'content', 'sha256')), []);
});

async function waitFor(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('docker build is refused with what to do instead, after the whole context was sent', async () => {
  const ctx = join(h.base, 'build-context');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM bb\nRUN true\n');
  writeFileSync(join(ctx, 'big.bin'), Buffer.alloc(4 << 20, 7));
  const r = await h.docker(['build', '-t', 'built', ctx]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /docker build is not supported by tsagent yet: build the image with another engine and push it to a registry/);
  assert.equal((await h.docker(['images', '-q', 'built'])).stdout, '');
});
