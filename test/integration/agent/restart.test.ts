// Containers outlive the agent: SIGKILL it while containers run, start it again, and the
// running container is still running with intact logs, one that exited meanwhile shows its
// exit code, and one whose monitor and runtime state vanished (a reboot) reads 255.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AgentHarness, processesMentioning, mountsUnder } from './harness';

const h = AgentHarness.forSuite();

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const inspect = async (name: string) => JSON.parse((await h.docker(['inspect', name])).stdout)[0];

test('containers survive a SIGKILLed agent; exits while it is down are recorded', async () => {
  const long = await h.docker(['run', '-d', '--name', 'long', 'bb', 'sh', '-c', 'echo one; echo two >&2; exec sleep 1000']);
  assert.equal(long.code, 0, long.stderr);
  const short = await h.docker(['run', '-d', '--name', 'short', 'bb', 'sh', '-c', 'echo before; sleep 1; echo after; exit 7']);
  assert.equal(short.code, 0, short.stderr);
  const shortId = short.stdout.trim();
  await waitFor('long to log', async () => (await h.docker(['logs', 'long'])).stdout === 'one\n');
  const pidBefore = (await inspect('long')).State.Pid;

  assert.equal(await h.stop('SIGKILL'), null);
  await waitFor('short to exit while the agent is down', () => existsSync(join(h.execRoot, 'exits', shortId)));
  assert.ok(processesMentioning(h.execRoot).length >= 1, 'conmon keeps watching the running container');

  await h.start();
  const l = await inspect('long');
  assert.equal(l.State.Status, 'running');
  assert.equal(l.State.Pid, pidBefore);
  const logs = await h.docker(['logs', 'long']);
  assert.equal(logs.stdout, 'one\n');
  assert.equal(logs.stderr, 'two\n');
  const s = await inspect('short');
  assert.equal(s.State.Status, 'exited');
  assert.equal(s.State.ExitCode, 7);
  assert.equal((await h.docker(['logs', 'short'])).stdout, 'before\nafter\n');
  assert.deepEqual(mountsUnder(join(h.dataRoot, 'containers', shortId)), [], 'the exited container\'s rootfs was unmounted');

  // The adopted container is fully manageable: exec, logs -f ending at exit, stop.
  assert.equal((await h.docker(['exec', 'long', 'echo', 'still-here'])).stdout, 'still-here\n');
  const follow = h.docker(['logs', '-f', 'long']);
  await new Promise((r) => setTimeout(r, 300));
  const stop = await h.docker(['stop', '-t', '1', 'long']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await follow).stdout, 'one\n', 'logs -f ends when the container exits');
  assert.equal((await inspect('long')).State.ExitCode, 137);
});

test('after a "reboot" (monitor, runtime state and exec-root gone) a running container reads 255', async () => {
  const r = await h.docker(['run', '-d', '--name', 'victim', 'bb', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  await h.stop('SIGKILL');
  // Simulate the power going out: the monitor and container die, /run is wiped, mounts vanish.
  for (const p of processesMentioning(id)) process.kill(p.pid, 'SIGKILL');
  spawnSync('runc', ['--root', join(h.execRoot, 'runtime'), 'delete', '--force', id]);
  for (const m of mountsUnder(h.base)) spawnSync('umount', ['-l', m]);
  rmSync(h.execRoot, { recursive: true, force: true });

  await h.start();
  const v = await inspect('victim');
  assert.equal(v.State.Status, 'exited');
  assert.equal(v.State.ExitCode, 255);
  assert.match(v.State.Error, /exit code unknown/);
  assert.equal((await h.docker(['start', 'victim'])).code, 0, 'it can be started again');
  assert.equal((await inspect('victim')).State.Running, true);
  assert.equal((await h.docker(['rm', '-f', 'victim'])).code, 0);
  assert.deepEqual(readdirSync(join(h.execRoot, 'exits')), []);
});

test('SIGTERM stops the agent with exit code 0 and leaves containers running', async () => {
  const r = await h.docker(['run', '-d', '--name', 'keeper', 'bb', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const pid = (await inspect('keeper')).State.Pid;
  assert.equal(await h.stop('SIGTERM'), 0);
  assert.equal(existsSync(h.pidfile), false, 'the pid file is removed');
  assert.doesNotThrow(() => process.kill(pid, 0), 'the container process is alive');
  assert.match(String(await h.ping()), /^error/, 'nothing listens any more');
  await h.start();
  assert.equal((await inspect('keeper')).State.Running, true);
});

test('restart policies: on-failure retries, always restarts until stopped, and starts with the agent', async () => {
  const f = await h.docker(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'bb', 'sh', '-c', 'echo try; exit 1']);
  assert.equal(f.code, 0, f.stderr);
  await waitFor('two retries', async () => {
    const s = await inspect('flaky');
    return s.RestartCount === 2 && s.State.Status === 'exited';
  });
  assert.equal((await h.docker(['logs', 'flaky'])).stdout, 'try\ntry\ntry\n', `agent log:\n${h.log().split('\n').slice(-40).join('\n')}`);
  const a = await h.docker(['run', '-d', '--name', 'always', '--restart', 'always', 'bb', 'sh', '-c', 'sleep 0.3']);
  assert.equal(a.code, 0, a.stderr);
  await waitFor('a restart', async () => (await inspect('always')).RestartCount >= 1);
  assert.equal((await h.docker(['stop', '-t', '0', 'always'])).code, 0);
  await new Promise((r) => setTimeout(r, 1000));
  const stopped = await inspect('always');
  assert.equal(stopped.State.Running, false, 'a stopped container stays stopped');
  const count = stopped.RestartCount;
  await h.stop('SIGKILL');
  await h.start();
  assert.equal((await inspect('always')).RestartCount, count, 'a manually stopped container is not started with the agent');
  assert.equal((await h.docker(['start', 'always'])).code, 0);
  const b = await h.docker(['run', '-d', '--name', 'boot', '--restart', 'unless-stopped', 'bb', 'sleep', '1000']);
  assert.equal(b.code, 0, b.stderr);
  const bootId = b.stdout.trim();
  await h.stop('SIGKILL');
  for (const p of processesMentioning(bootId)) process.kill(p.pid, 'SIGKILL');
  spawnSync('runc', ['--root', join(h.execRoot, 'runtime'), 'delete', '--force', bootId]);
  await h.start();
  await waitFor('the unless-stopped container to run again', async () => (await inspect('boot')).State.Running === true);
  const bad = await h.docker(['run', '-d', '--restart', 'sometimes', 'bb', 'true']);
  assert.notEqual(bad.code, 0);
  for (const n of ['flaky', 'always', 'boot']) assert.equal((await h.docker(['rm', '-f', n])).code, 0);
});
