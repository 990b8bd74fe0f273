// Healthchecks with the real docker CLI: probes run as execs in the container on their
// schedule; State.Health, `docker ps` status and filter, events, image healthchecks,
// --no-healthcheck, timeouts, start periods, and resuming after an agent restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentHarness } from './harness';

const h = AgentHarness.forSuite();

interface Health { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number; Output: string; Start: string; End: string }> }
const health = async (name: string): Promise<Health | null> => JSON.parse((await h.docker(['inspect', '-f', '{{json .State.Health}}', name])).stdout);

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('starting -> unhealthy -> healthy: State.Health, ps status and filter, events', async () => {
  const r = await h.docker(['run', '-d', '--name', 'hc', '--health-cmd', 'cat /tmp/ok', '--health-interval', '300ms', '--health-retries', '2', 'bb', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const first = await health('hc');
  assert.equal(first?.Status, 'starting');
  assert.match((await h.docker(['ps', '--format', '{{.Status}}', '--filter', 'name=hc'])).stdout, /^Up .* \(health: starting\)$/m);
  const evUntil = Math.floor(Date.now() / 1000) + 6;
  const ev = h.docker(['events', '--until', String(evUntil), '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  const bad = await until('unhealthy', async () => { const x = await health('hc'); return x?.Status === 'unhealthy' && x; });
  assert.ok(bad.FailingStreak >= 2, `streak ${bad.FailingStreak}`);
  assert.equal(bad.Log.at(-1)!.ExitCode, 1);
  assert.match(bad.Log.at(-1)!.Output, /can't open '\/tmp\/ok'/);
  assert.ok(Date.parse(bad.Log[0].End) >= Date.parse(bad.Log[0].Start));
  assert.match((await h.docker(['ps', '--format', '{{.Status}}', '--filter', 'health=unhealthy'])).stdout, /^Up .* \(unhealthy\)$/m);
  assert.equal((await h.docker(['exec', 'hc', 'sh', '-c', 'echo fine > /tmp/ok'])).code, 0);
  const good = await until('healthy', async () => { const x = await health('hc'); return x?.Status === 'healthy' && x; });
  assert.equal(good.FailingStreak, 0);
  assert.equal(good.Log.at(-1)!.Output, 'fine\n');
  const ps = (await h.docker(['ps', '--format', '{{.Names}} {{.Status}}', '--filter', 'health=healthy'])).stdout.trim();
  assert.match(ps, /^hc Up .* \(healthy\)$/);
  assert.equal((await h.docker(['ps', '-q', '--filter', 'health=unhealthy'])).stdout.trim(), '');
  assert.match((await h.docker(['ps', '--filter', 'health=bogus'])).stderr, /Unrecognised filter value for health: bogus/);
  await until('five log entries', async () => ((await health('hc'))!.Log.length === 5 ? true : undefined));
  await new Promise((r) => setTimeout(r, 700));
  assert.equal((await health('hc'))!.Log.length, 5, 'only the last 5 results are kept');
  const events = (await ev).stdout.trim().split('\n');
  assert.ok(events.includes('health_status: unhealthy hc') || events.includes('health_status: healthy hc'), events.join('|'));
  assert.ok(events.includes('health_status: healthy hc'), events.join('|'));
  assert.equal((await h.docker(['rm', '-f', 'hc'])).code, 0);
});

test('a check past its timeout is killed and fails; the start period does not count failures', async () => {
  assert.equal((await h.docker(['run', '-d', '--name', 'slow', '--health-cmd', 'sleep 30', '--health-timeout', '300ms', '--health-interval', '200ms', '--health-retries', '1', 'bb', 'sleep', '1000'])).code, 0);
  const x = await until('unhealthy', async () => { const s = await health('slow'); return s?.Status === 'unhealthy' && s; });
  assert.equal(x.Log[0].ExitCode, -1);
  assert.match(x.Log[0].Output, /Health check exceeded timeout \(0.3s\)/);
  const top = (await h.docker(['top', 'slow'])).stdout;
  await until('killed probes', async () => !/sleep 30/.test((await h.docker(['top', 'slow'])).stdout), 3000).catch(() => assert.fail(`probe processes left: ${top}`));
  assert.equal((await h.docker(['run', '-d', '--name', 'sp', '--health-cmd', 'false', '--health-interval', '100ms', '--health-start-period', '3s', '--health-start-interval', '100ms', '--health-retries', '1', 'bb', 'sleep', '1000'])).code, 0);
  await until('probes during the start period', async () => ((await health('sp'))!.Log.length >= 3 ? true : undefined));
  const sp = (await health('sp'))!;
  assert.equal(sp.Status, 'starting');
  assert.equal(sp.FailingStreak, 0);
  await until('unhealthy after the start period', async () => (await health('sp'))?.Status === 'unhealthy', 8000);
  assert.equal((await h.docker(['rm', '-f', 'slow', 'sp'])).code, 0);
});

test('image healthchecks are inherited; --no-healthcheck turns them off; overrides merge', async () => {
  // (run, not create: committing a never-started container is refused by commit for now)
  const proto = await h.docker(['run', '--name', 'proto', '--health-cmd', 'echo image-check', '--health-interval', '200ms', 'bb', 'true']);
  assert.equal(proto.code, 0, proto.stderr);
  const commit = await h.docker(['commit', 'proto', 'bb-health']);
  assert.equal(commit.code, 0, commit.stderr);
  assert.equal((await h.docker(['rm', 'proto'])).code, 0);
  assert.equal((await h.docker(['run', '-d', '--name', 'inh', 'bb-health', 'sleep', '1000'])).code, 0);
  const inh = await until('healthy', async () => { const s = await health('inh'); return s?.Status === 'healthy' && s; });
  assert.equal(inh.Log[0].Output, 'image-check\n');
  assert.equal((await h.docker(['run', '-d', '--name', 'off', '--no-healthcheck', 'bb-health', 'sleep', '1000'])).code, 0);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await health('off'), null);
  assert.match((await h.docker(['ps', '--format', '{{.Status}}', '--filter', 'name=off'])).stdout, /^Up [^(]*$/m);
  assert.equal((await h.docker(['ps', '-q', '--filter', 'health=none', '--filter', 'name=off'])).stdout.trim().length, 12);
  assert.equal((await h.docker(['run', '-d', '--name', 'ovr', '--health-retries', '7', 'bb-health', 'sleep', '1000'])).code, 0);
  const hc = JSON.parse((await h.docker(['inspect', '-f', '{{json .Config.Healthcheck}}', 'ovr'])).stdout);
  assert.deepEqual(hc.Test, ['CMD-SHELL', 'echo image-check']);
  assert.equal(hc.Retries, 7);
  assert.equal(hc.Interval, 200e6);
  assert.equal((await h.docker(['rm', '-f', 'inh', 'off', 'ovr'])).code, 0);
});

test('checks resume after an agent restart', async () => {
  assert.equal((await h.docker(['run', '-d', '--name', 'keep', '--health-cmd', 'true', '--health-interval', '200ms', 'bb', 'sleep', '1000'])).code, 0);
  await until('healthy', async () => (await health('keep'))?.Status === 'healthy');
  assert.equal(await h.stop('SIGTERM'), 0);
  await h.start();
  const before = (await health('keep'))!;
  assert.equal(before.Status, 'healthy', 'state kept over the restart');
  const lastEnd = before.Log.at(-1)!.End;
  await until('a new probe', async () => (await health('keep'))!.Log.at(-1)!.End > lastEnd);
  assert.equal((await h.docker(['rm', '-f', 'keep'])).code, 0);
});
