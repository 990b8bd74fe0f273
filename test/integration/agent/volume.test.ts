// Volumes and mounts with the real docker CLI: named volumes survive container removal and an
// agent restart, read-only mounts refuse writes, image VOLUMEs are anonymous volumes populated
// from the image, `rm -v` removes only anonymous volumes, --volumes-from, binds, tmpfs,
// driver-option volumes, prune and df. Cleanup checks that no mount is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AgentHarness, mountsUnder } from './harness';

// The agent, busybox imported as bb, and the check that nothing is left behind (AgentHarness.forSuite).
const h = AgentHarness.forSuite({
  setUp: async () => {
    const seed = await h.docker(['run', '--name', 'seed', 'bb', 'sh', '-c', 'mkdir -p /data/sub && echo seeded > /data/seed && echo deep > /data/sub/f && chown 1:1 /data && chmod 750 /data']);
    assert.equal(seed.code, 0, seed.stderr);
    const c = await h.docker(['commit', '--change', 'VOLUME /data', 'seed', 'bbvol']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await h.docker(['rm', 'seed'])).code, 0);
  },
});

const ok = async (args: string[]) => {
  const r = await h.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const inspect = async (what: string[]) => JSON.parse(await ok(['inspect', ...what]));
const volumeNames = async (...args: string[]) => (await ok(['volume', 'ls', '-q', ...args])).split('\n').filter(Boolean);

test('named volume: create, inspect, data survives rm and an agent restart, in-use refusal, rm', async () => {
  assert.equal((await ok(['volume', 'create', '--label', 'team=a', 'v1'])).trim(), 'v1');
  const [v] = await inspect(['--type', 'volume', 'v1']);
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.deepEqual(v.Labels, { team: 'a' });
  assert.equal(v.Mountpoint, join(h.dataRoot, 'volumes', 'v1', '_data'));
  assert.deepEqual(await volumeNames('--filter', 'label=team=a'), ['v1']);
  assert.deepEqual(await volumeNames('--filter', 'label=team=b'), []);
  assert.deepEqual(await volumeNames('--filter', 'name=v1', '--filter', 'driver=local'), ['v1']);

  await ok(['run', '--name', 'w1', '-v', 'v1:/data', 'bb', 'sh', '-c', 'echo persisted > /data/f']);
  assert.equal(readFileSync(join(v.Mountpoint, 'f'), 'utf8'), 'persisted\n');
  const [w1] = await inspect(['w1']);
  assert.deepEqual(w1.Mounts, [{ Type: 'volume', Name: 'v1', Source: v.Mountpoint, Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }]);
  assert.equal((await ok(['ps', '-aq', '--no-trunc', '--filter', 'volume=v1'])).trim(), w1.Id);
  assert.equal((await ok(['ps', '-aq', '--filter', 'volume=nope'])).trim(), '');
  assert.deepEqual(await volumeNames('--filter', 'dangling=true'), []);

  const busy = await h.docker(['volume', 'rm', 'v1']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /volume is in use/);
  await ok(['rm', 'w1']);
  assert.deepEqual(await volumeNames('--filter', 'dangling=true'), ['v1']);

  await h.stop();
  await h.start();
  assert.deepEqual(await volumeNames(), ['v1']);
  assert.equal(await ok(['run', '--rm', '-v', 'v1:/data:ro', 'bb', 'cat', '/data/f']), 'persisted\n');
  const ro = await h.docker(['run', '--rm', '-v', 'v1:/data:ro', 'bb', 'sh', '-c', 'echo x > /data/g']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);

  await ok(['volume', 'rm', 'v1']);
  assert.equal(existsSync(join(h.dataRoot, 'volumes', 'v1')), false);
  const gone = await h.docker(['volume', 'inspect', 'v1']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /no such volume/);
  assert.equal((await h.docker(['volume', 'rm', '-f', 'v1'])).code, 0, 'rm -f of a missing volume succeeds');
});

test('bad volume requests are refused and change nothing', async () => {
  const bad = await h.docker(['volume', 'create', 'bad/name']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid characters/);
  const drv = await h.docker(['volume', 'create', '-d', 'nfsplugin', 'x1']);
  assert.notEqual(drv.code, 0);
  assert.match(drv.stderr, /plugin "nfsplugin" not found/);
  const opt = await h.docker(['volume', 'create', '-o', 'bogus=1', 'x2']);
  assert.notEqual(opt.code, 0);
  assert.match(opt.stderr, /invalid option: "bogus"/);
  const spec = await h.docker(['run', '--rm', '-v', 'vol:relative', 'bb', 'true']);
  assert.notEqual(spec.code, 0);
  assert.match(spec.stderr, /must be absolute/);
  assert.deepEqual(await volumeNames(), []);
});

test('image VOLUME: anonymous, populated from the image, removed by rm -v (named ones stay)', async () => {
  assert.equal(await ok(['run', '--name', 'a1', '-v', 'keep:/other', 'bbvol', 'sh', '-c', 'cat /data/seed /data/sub/f; stat -c "%u:%g %a" /data']), 'seeded\ndeep\n1:1 750\n');
  const [a1] = await inspect(['a1']);
  const anon = a1.Mounts.find((m: { Destination: string }) => m.Destination === '/data');
  assert.equal(anon.Type, 'volume');
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  const [av] = await inspect(['--type', 'volume', anon.Name]);
  assert.deepEqual(av.Labels, { 'com.docker.volume.anonymous': '' });
  await ok(['rm', '-v', 'a1']);
  assert.deepEqual(await volumeNames(), ['keep']);

  await ok(['run', '--rm', '--name', 'a2', 'bbvol', 'true']);
  for (let i = 0; i < 50 && (await volumeNames()).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await volumeNames(), ['keep'], '--rm removes the anonymous volume too');

  await ok(['create', '--name', 'a3', 'bbvol']);
  await ok(['rm', 'a3']);
  const left = await volumeNames();
  assert.equal(left.length, 2, 'rm without -v keeps the anonymous volume');
  const pruned = await ok(['volume', 'prune', '-f']);
  assert.match(pruned, /Total reclaimed space/);
  assert.deepEqual(await volumeNames(), ['keep'], 'prune removes anonymous volumes only');
  await ok(['volume', 'prune', '-f', '--all']);
  assert.deepEqual(await volumeNames(), []);
});

test('--volumes-from shares mounts, :ro makes them read-only', async () => {
  await ok(['create', '--name', 'src', '-v', 'shared:/shared', 'bb', 'true']);
  await ok(['run', '--rm', '--volumes-from', 'src', 'bb', 'sh', '-c', 'echo one > /shared/x']);
  assert.equal(await ok(['run', '--rm', '--volumes-from', 'src:ro', 'bb', 'cat', '/shared/x']), 'one\n');
  const ro = await h.docker(['run', '--rm', '--volumes-from', 'src:ro', 'bb', 'sh', '-c', 'echo two > /shared/x']);
  assert.notEqual(ro.code, 0);
  // dockerd answers 404 (the CLI would then try a pull): --pull never shows the daemon's message.
  const missing = await h.docker(['run', '--rm', '--pull', 'never', '--volumes-from', 'nosuch', 'bb', 'true']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such container: nosuch/);
  await ok(['rm', 'src']);
  await ok(['volume', 'rm', 'shared']);
});

test('binds: -v creates a missing source, --mount refuses it; :ro and tmpfs mounts', async () => {
  const host = join(h.base, 'bindsrc');
  const created = join(h.base, 'made-by-v');
  mkdirSync(host);
  writeFileSync(join(host, 'in'), 'from host\n');
  assert.equal(await ok(['run', '--rm', '-v', `${host}:/h`, '-v', `${created}:/c`, 'bb', 'sh', '-c', 'cat /h/in; echo back > /h/out; touch /c/t']), 'from host\n');
  assert.equal(readFileSync(join(host, 'out'), 'utf8'), 'back\n');
  assert.ok(existsSync(join(created, 't')));
  const ro = await h.docker(['run', '--rm', '--mount', `type=bind,source=${host},target=/h,readonly`, 'bb', 'sh', '-c', 'echo x > /h/in']);
  assert.notEqual(ro.code, 0);
  assert.equal(readFileSync(join(host, 'in'), 'utf8'), 'from host\n');
  const missing = await h.docker(['run', '--rm', '--mount', `type=bind,source=${join(h.base, 'nope')},target=/n`, 'bb', 'true']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /bind source path does not exist/);
  assert.equal(existsSync(join(h.base, 'nope')), false);
  const tm = await ok(['run', '--rm', '--tmpfs', '/t1:size=1m', '--mount', 'type=tmpfs,target=/t2,tmpfs-size=2097152,tmpfs-mode=1770', 'bb', 'sh', '-c', 'grep -E " /t[12] " /proc/mounts; stat -c %a /t2']);
  assert.match(tm, /tmpfs \/t1 tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/);
  assert.match(tm, /tmpfs \/t2 tmpfs .*size=2048k/);
  assert.match(tm, /1770\n$/);
  rmSync(host, { recursive: true, force: true });
});

test('local driver options: a tmpfs volume is mounted while used and released after', async () => {
  await ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tv']);
  const [tv] = await inspect(['--type', 'volume', 'tv']);
  assert.deepEqual(tv.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  await ok(['run', '-d', '--name', 'tvu', '-v', 'tv:/data', 'bb', 'sh', '-c', 'echo hi > /data/f; exec sleep 100']);
  for (let i = 0; i < 50 && !existsSync(join(tv.Mountpoint, 'f')); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(mountsUnder(tv.Mountpoint), [tv.Mountpoint]);
  const df = await ok(['system', 'df', '-v', '--format', '{{json .Volumes}}']);
  const vols = JSON.parse(df) as Array<{ Name: string; Links: string }>;
  assert.equal(Number(vols.find((x) => x.Name === 'tv')?.Links), 1);
  await ok(['rm', '-f', 'tvu']);
  assert.deepEqual(mountsUnder(tv.Mountpoint), [], 'released when no running container uses it');
  await ok(['volume', 'rm', 'tv']);
});

test('volume events', async () => {
  const ev = h.docker(['events', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 4)], { timeoutMs: 15_000 });
  await new Promise((r) => setTimeout(r, 500));
  await ok(['volume', 'create', 'evv']);
  await ok(['run', '--rm', '-v', 'evv:/d', 'bb', 'true']);
  await ok(['volume', 'rm', 'evv']);
  const out = (await ev).stdout;
  for (const a of ['create', 'mount', 'unmount', 'destroy']) assert.match(out, new RegExp(`volume ${a} evv`));
});

test('local driver options: a bind volume shows the host folder', async () => {
  const dir = join(h.base, 'bound-dev');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hello'), 'from device\n');
  await ok(['volume', 'create', '--opt', 'type=none', '--opt', `device=${dir}`, '--opt', 'o=bind', 'bv']);
  assert.equal(await ok(['run', '--rm', '-v', 'bv:/mnt', 'bb', 'sh', '-c', 'cat /mnt/hello; echo back > /mnt/reply']), 'from device\n');
  assert.equal(readFileSync(join(dir, 'reply'), 'utf8'), 'back\n');
  assert.deepEqual(mountsUnder(join(h.dataRoot, 'volumes')), []);
  await ok(['volume', 'rm', 'bv']);
  assert.ok(existsSync(join(dir, 'reply')), 'removing the volume leaves the bound folder alone');
});

test('-v /ctr and --mount type=volume without a source are anonymous; --mount volume-opt creates with options', async () => {
  await ok(['run', '--name', 'an', '-v', '/scratch', '--mount', 'type=volume,target=/m2,volume-nocopy', '--mount', 'type=volume,source=withopts,target=/m3,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-label=x=y', 'bb', 'sh', '-c', 'grep " /m3 " /proc/mounts']);
  const [an] = await inspect(['an']);
  const anon = an.Mounts.filter((m: { Name: string }) => /^[0-9a-f]{64}$/.test(m.Name)).map((m: { Destination: string }) => m.Destination).sort();
  assert.deepEqual(anon, ['/m2', '/scratch']);
  const [wo] = await inspect(['--type', 'volume', 'withopts']);
  assert.deepEqual([wo.Options, wo.Labels], [{ type: 'tmpfs', device: 'tmpfs' }, { x: 'y' }]);
  assert.equal((await volumeNames()).length, 3);
  await ok(['rm', '-v', 'an']);
  assert.deepEqual(await volumeNames(), ['withopts']);
  await ok(['volume', 'rm', 'withopts']);
});
