// `docker cp` with the real CLI: files and folders into and out of running and stopped
// containers, through volumes, through symlinks that point outside the container (they must
// resolve inside it), and hostile tars on PUT (`..` members, absolute names, writes through
// symlinks) that must not write outside. Cleanup checks that no mount is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { AgentHarness, mountsUnder } from './harness';
import { tarArchive } from '../../unit/agent/tar-fixture';
import { readTar } from '../../../src/agent/layers/tar-reader';

// The agent, busybox imported as bb, and the check that nothing is left behind (AgentHarness.forSuite).
const h = AgentHarness.forSuite({
  setUp: () => {
    work = join(h.base, 'work');
    bait = join(h.base, 'bait');
    mkdirSync(work);
    mkdirSync(bait);
    writeFileSync(join(bait, 'secret'), 'host secret\n');
  },
});
let work: string;
/** A host folder that containers name in symlinks: nothing may ever land in it. */
let bait: string;

const ok = async (args: string[], input?: Buffer) => {
  const r = await h.docker(args, { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const baitUntouched = () => assert.deepEqual(readdirSync(bait), ['secret'], 'nothing was written to the host folder the symlinks name');

const SETUP = `mkdir -p /dir/sub ${'$BAIT'} && echo a > /dir/sub/f && ln -s /etc /dir/etclink && ln -s ${'$BAIT'} /escape && ln -s ../../../../../../../../ /up && echo inside > ${'$BAIT'}/secret`;

for (const mode of ['running', 'stopped'] as const) {
  test(`docker cp out of and into a ${mode} container`, async () => {
    const name = `c-${mode}`;
    const setup = await h.docker(['run', '-d', '--name', name, '-e', `BAIT=${bait}`, '-v', `vol-${mode}:/vol`, 'bb', 'sh', '-c', `${SETUP}; touch /ready; exec sleep 1000`]);
    assert.equal(setup.code, 0, setup.stderr);
    for (let i = 0; i < 100 && (await h.docker(['exec', name, 'test', '-e', '/ready'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    if (mode === 'stopped') await ok(['stop', '-t', '0', name]);
    const out = join(work, mode);
    mkdirSync(out);

    await ok(['cp', `${name}:/dir/sub/f`, join(out, 'f')]);
    assert.equal(readFileSync(join(out, 'f'), 'utf8'), 'a\n');
    await ok(['cp', `${name}:/dir`, join(out, 'dir')]);
    assert.equal(readFileSync(join(out, 'dir/sub/f'), 'utf8'), 'a\n');
    assert.equal(readlinkSync(join(out, 'dir/etclink')), '/etc', 'symlinks are copied as links');
    // The link names the host's bait folder; inside the container that path holds "inside".
    await ok(['cp', `${name}:/escape/secret`, join(out, 'secret')]);
    assert.equal(readFileSync(join(out, 'secret'), 'utf8'), 'inside\n');
    await ok(['cp', `${name}:/up/dir/sub/f`, join(out, 'up-f')]);
    assert.equal(readFileSync(join(out, 'up-f'), 'utf8'), 'a\n');
    const tarOut = await h.docker(['cp', `${name}:/dir/sub`, '-']);
    assert.equal(tarOut.code, 0, tarOut.stderr);
    assert.match(tarOut.stdout, /sub\/f/);

    const missing = await h.docker(['cp', `${name}:/nope`, join(out, 'nope')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`Could not find the file /nope in container ${name}`));

    writeFileSync(join(work, `in-${mode}.txt`), `to ${mode}\n`);
    mkdirSync(join(work, `folder-${mode}/deep`), { recursive: true });
    writeFileSync(join(work, `folder-${mode}/deep/x`), 'x\n');
    await ok(['cp', join(work, `in-${mode}.txt`), `${name}:/vol/`]);
    await ok(['cp', join(work, `in-${mode}.txt`), `${name}:/escape/`]);
    await ok(['cp', join(work, `in-${mode}.txt`), `${name}:/up/root/renamed.txt`]);
    await ok(['cp', join(work, `folder-${mode}`), `${name}:/newdir`]);
    mkdirSync(join(work, `tree-${mode}/vol`), { recursive: true });
    writeFileSync(join(work, `tree-${mode}/vol/routed.txt`), 'routed\n');
    writeFileSync(join(work, `tree-${mode}/top.txt`), 'top\n');
    await ok(['cp', `${join(work, `tree-${mode}`)}/.`, `${name}:/`]);
    baitUntouched();

    const whole = await h.docker(['cp', `${name}:/`, '-']);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, new RegExp(`vol/in-${mode}\\.txt`), 'a copy of a parent folder shows the volume\'s content');
    const [vol] = JSON.parse(await ok(['volume', 'inspect', `vol-${mode}`]));
    assert.equal(readFileSync(join(vol.Mountpoint, `in-${mode}.txt`), 'utf8'), `to ${mode}\n`, 'copied through the volume mount');
    assert.equal(readFileSync(join(vol.Mountpoint, 'routed.txt'), 'utf8'), 'routed\n', 'members of a tar sent to / that fall in a volume land in it');
    if (mode === 'stopped') {
      assert.deepEqual(mountsUnder(join(h.dataRoot, 'containers')), [], 'the stopped container\'s rootfs is unmounted again');
      await ok(['start', name]);
    }
    const check = await ok(['exec', name, 'sh', '-c', `cat /vol/in-${mode}.txt $BAIT/in-${mode}.txt /root/renamed.txt /newdir/deep/x /top.txt /vol/routed.txt`]);
    assert.equal(check, `to ${mode}\n`.repeat(3) + 'x\ntop\nrouted\n');
    await ok(['rm', '-f', name]);
  });
}

test('hostile tars on PUT never write outside the container', async () => {
  const name = 'victim';
  await ok(['run', '-d', '--name', name, '-e', `BAIT=${bait}`, 'bb', 'sh', '-c', `mkdir -p /t && ln -s ${bait} /t/link && exec sleep 1000`]);
  const dotdot = tarArchive([{ name: `../../../../../../../../..${bait}/dotdot`, data: 'pwned\n' }]);
  const r1 = await h.docker(['cp', '-', `${name}:/t`], { input: dotdot });
  assert.notEqual(r1.code, 0, 'a .. member is refused');
  assert.match(r1.stderr, /escapes/);
  const abs = tarArchive([{ name: `${bait}/abs`, data: 'inside\n' }]);
  await ok(['cp', '-', `${name}:/t`], abs);
  const through = tarArchive([{ name: 'l2', type: '2', linkname: bait }, { name: 'l2/through', data: 'pwned\n' }, { name: 'link/through2', data: 'pwned\n' }]);
  await h.docker(['cp', '-', `${name}:/t`], { input: through });
  const hard = tarArchive([{ name: 'hl', type: '1', linkname: `../../../../..${bait}/secret` }]);
  const r4 = await h.docker(['cp', '-', `${name}:/t`], { input: hard });
  assert.notEqual(r4.code, 0, 'a hard link out of the root is refused');
  baitUntouched();
  assert.equal(readFileSync(join(bait, 'secret'), 'utf8'), 'host secret\n');
  assert.equal(await ok(['exec', name, 'cat', `/t${bait}/abs`]), 'inside\n', 'absolute names land below the destination');
  const notDir = await h.docker(['cp', '-', `${name}:/bin/busybox`], { input: abs });
  assert.notEqual(notDir.code, 0);
  assert.ok(lstatSync(join(bait)).isDirectory());
  assert.equal(existsSync(join(bait, 'through')), false);
});

test('read-only mounts refuse docker cp', async () => {
  await ok(['create', '--name', 'ro', '-v', 'rovol:/data:ro', 'bb', 'true']);
  writeFileSync(join(work, 'ro.txt'), 'x');
  const r = await h.docker(['cp', join(work, 'ro.txt'), 'ro:/data/']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /marked read-only/);
  await ok(['rm', '-v', 'ro']);
});

test('docker cp -a chowns to the container user; plain cp keeps the archive owner', async () => {
  await ok(['create', '--name', 'owned', '--user', 'daemon', 'bb', 'true']);
  const tar = tarArchive([{ name: 'a.txt', data: 'a', uid: 4242, gid: 4243 }]);
  await ok(['cp', '-', 'owned:/tmp'], tar);
  await ok(['cp', '-a', join(work, 'ro.txt'), 'owned:/tmp/b.txt']);
  const ids = await ok(['commit', 'owned', 'owned-img']);
  assert.ok(ids.trim());
  assert.equal(await ok(['run', '--rm', 'owned-img', 'stat', '-c', '%n %u:%g', '/tmp/a.txt', '/tmp/b.txt']), '/tmp/a.txt 4242:4243\n/tmp/b.txt 1:1\n');
  await ok(['rm', 'owned']);
});

test('docker cp out of a container carries extended attributes (file capabilities)', async () => {
  assert.equal((await h.docker(['run', '--name', 'xa', 'bb', 'sh', '-c', 'mkdir /d && cp /bin/busybox /d/ping'])).code, 0);
  try {
    const upper = JSON.parse((await h.docker(['inspect', 'xa'])).stdout)[0].GraphDriver.Data.UpperDir as string;
    const cap = '0x0100000200200000000000000000000000000000';
    assert.equal(spawnSync('setfattr', ['-n', 'security.capability', '-v', cap, join(upper, 'd/ping')]).status, 0);
    const r = spawnSync('docker', ['cp', 'xa:/d', '-'], { env: h.dockerEnv, maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, String(r.stderr));
    const got: Record<string, string> = {};
    async function* once() { yield r.stdout; }
    for await (const e of readTar(once())) {
      for (const [k, v] of Object.entries(e.header.xattrs)) got[`${e.header.name} ${k}`] = `0x${v.toString('hex')}`;
      for await (const _ of e.body) void _;
    }
    assert.deepEqual(got, { 'd/ping security.capability': cap });
  } finally {
    await h.docker(['rm', '-f', 'xa']);
  }
});
