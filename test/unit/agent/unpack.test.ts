// Unpacking layer tars: ordinary content, then a corpus of hostile archives that must never
// write outside the target folder, then whiteouts applied through a real overlay mount (root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, lstatSync, readlinkSync, existsSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { unpackTar } from '../../../src/agent/layers/unpack';
import { PathEscapeError } from '../../../src/agent/layers/path-scope';
import { readTar } from '../../../src/agent/layers/tar-reader';
import { tarArchive, chunks, type FixtureEntry } from './tar-fixture';

function sandbox(t: { after(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'tsa-unpack-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim'), 'original');
  return { base, root, outside };
}

const unpack = (entries: FixtureEntry[], root: string) => unpackTar(chunks(tarArchive(entries)), root, { applyWhiteouts: false });

test('unpacks files, folders, symlinks, hard links with modes and owners', async (t) => {
  const { root } = sandbox(t);
  const stats = await unpack([
    { name: './', type: '5' },
    { name: 'etc/', type: '5', mode: 0o755 },
    { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 },
    { name: 'bin/tool', data: 'x'.repeat(5000), mode: 0o4755, uid: 1000, gid: 1000 },
    { name: 'bin/link', type: '2', linkname: 'tool' },
    { name: 'bin/hard', type: '1', linkname: 'bin/tool' },
    { name: '/abs/inside', data: 'absolute names stay inside' },
  ], root);
  assert.equal(stats.entries, 7);
  assert.equal(readFileSync(join(root, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
  const tool = statSync(join(root, 'bin/tool'));
  assert.equal(tool.mode & 0o7777, 0o4755, 'setuid survives chown');
  assert.equal(tool.uid, 1000);
  assert.equal(tool.size, 5000);
  assert.equal(readlinkSync(join(root, 'bin/link')), 'tool');
  assert.equal(statSync(join(root, 'bin/hard')).ino, tool.ino);
  assert.equal(readFileSync(join(root, 'abs/inside'), 'utf8'), 'absolute names stay inside');
  assert.equal(lstatSync(join(root, 'etc')).mtimeMs, 1_700_000_000_000);
});

test('reads pax long names and GNU tar output', async (t) => {
  const { base, root } = sandbox(t);
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(80)}.txt`;
  await unpack([{ name: 'PaxShort', data: 'pax content', pax: { path: long } }], root);
  assert.equal(readFileSync(join(root, long), 'utf8'), 'pax content');
  const src = join(base, 'src');
  mkdirSync(join(src, 'a'.repeat(120)), { recursive: true });
  writeFileSync(join(src, 'a'.repeat(120), 'b'.repeat(120)), 'gnu');
  const gnu = spawnSync('tar', ['--format=gnu', '-C', src, '-c', '.']).stdout;
  const root2 = join(base, 'root2');
  mkdirSync(root2);
  await unpackTar(chunks(gnu, 333), root2, { applyWhiteouts: false });
  assert.equal(readFileSync(join(root2, 'a'.repeat(120), 'b'.repeat(120)), 'utf8'), 'gnu');
});

const HOSTILE: Array<{ what: string; entries: FixtureEntry[] }> = [
  { what: 'a ../ path', entries: [{ name: '../outside/victim', data: 'pwned' }] },
  { what: 'a ../ path hidden in the middle', entries: [{ name: 'a/../../outside/victim', data: 'pwned' }] },
  { what: 'a pax path with ../', entries: [{ name: 'ok', data: 'pwned', pax: { path: '../../outside/victim' } }] },
  { what: 'a hard link to a file outside', entries: [{ name: 'h', type: '1', linkname: '../outside/victim' }] },
  { what: 'a hard link through a symlink outside', entries: [
    { name: 'up', type: '2', linkname: '../outside' }, { name: 'h', type: '1', linkname: 'up/victim' }] },
  { what: 'a hard link to an absolute host path', entries: [{ name: 'h', type: '1', linkname: '/etc/hostname' }] },
];

for (const h of HOSTILE) {
  test(`refuses ${h.what} and leaves the outside untouched`, async (t) => {
    const { root, outside } = sandbox(t);
    await assert.rejects(unpack(h.entries, root), PathEscapeError);
    assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'original');
  });
}

test('symlink-then-write: a file under a symlinked folder lands inside the root', async (t) => {
  const { root, outside, base } = sandbox(t);
  await unpack([
    { name: 'evil', type: '2', linkname: outside },
    { name: 'evil/victim', data: 'pwned' },
    { name: 'rel', type: '2', linkname: '../../../../outside' },
    { name: 'rel/victim2', data: 'pwned' },
  ], root);
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'original');
  assert.equal(existsSync(join(outside, 'victim2')), false);
  // Symlinks are followed with the root as "/": the writes land inside it.
  assert.equal(readFileSync(join(root, outside.slice(1), 'victim'), 'utf8'), 'pwned');
  assert.equal(readFileSync(join(root, 'outside/victim2'), 'utf8'), 'pwned');
  assert.deepEqual(readdirSync(base).sort(), ['outside', 'root']);
});

test('a member never writes through an existing symlink: it replaces the link', async (t) => {
  const { root, outside } = sandbox(t);
  await unpack([
    { name: 'victim-link', type: '2', linkname: join(outside, 'victim') },
    { name: 'victim-link', data: 'replaced' },
  ], root);
  assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'original');
  assert.equal(lstatSync(join(root, 'victim-link')).isFile(), true);
  assert.equal(readFileSync(join(root, 'victim-link'), 'utf8'), 'replaced');
});

test('rejects a corrupt header', async (t) => {
  const { root } = sandbox(t);
  const bad = tarArchive([{ name: 'x', data: 'y' }]);
  bad[150] ^= 0xff;
  await assert.rejects(unpackTar(chunks(bad), root, { applyWhiteouts: false }), /checksum/);
  const notTar = Buffer.from('this is not a tar archive'.repeat(40));
  await assert.rejects(async () => { for await (const e of readTar(chunks(notTar))) void e; }, /checksum/);
});

function mount(args: string[]): void {
  const r = spawnSync('mount', args);
  if (r.status !== 0) throw new Error(r.stderr.toString());
}

test('whiteouts become overlay whiteouts when unpacked onto an overlay (root)', { skip: process.getuid?.() !== 0 ? 'needs root to mount overlayfs' : false }, async (t) => {
  const { base } = sandbox(t);
  const lower = join(base, 'lower');
  const upper = join(base, 'upper');
  const work = join(base, 'work');
  const merged = join(base, 'merged');
  const view = join(base, 'view');
  for (const d of [lower, upper, work, merged, view, join(base, 'work2')]) mkdirSync(d);
  await unpack([
    { name: 'keep', data: 'k' }, { name: 'gone', data: 'g' },
    { name: 'dir/', type: '5' }, { name: 'dir/old1', data: '1' }, { name: 'dir/sub/', type: '5' }, { name: 'dir/sub/old2', data: '2' },
  ], lower);
  mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work},index=off`, merged]);
  try {
    await unpackTar(chunks(tarArchive([
      { name: '.wh.gone' },
      { name: 'dir/', type: '5' },
      { name: 'dir/.wh..wh..opq' },
      { name: 'dir/new', data: 'n' },
    ])), merged, { applyWhiteouts: true });
  } finally {
    spawnSync('umount', [merged]);
  }
  const wh = lstatSync(join(upper, 'gone'));
  assert.equal(wh.isCharacterDevice(), true, 'a 0/0 character device marks the deletion');
  assert.equal(wh.rdev, 0);
  assert.equal(existsSync(join(upper, '.wh.gone')), false);
  // Mount the layers again: the new layer hides what the opaque marker and whiteout removed.
  mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, view]);
  try {
    assert.deepEqual(readdirSync(view).sort(), ['dir', 'keep']);
    assert.deepEqual(readdirSync(join(view, 'dir')), ['new']);
  } finally {
    spawnSync('umount', [view]);
  }
});

test('extended attributes from GNU tar --xattrs are set, binary values intact; overlay metadata is refused', { skip: process.getuid?.() !== 0 ? 'trusted.* needs root' : false }, async (t) => {
  const src = mkdtempSync(join(tmpdir(), 'tsa-xattr-src-'));
  const dest = mkdtempSync(join(tmpdir(), 'tsa-xattr-dest-'));
  t.after(() => { rmSync(src, { recursive: true, force: true }); rmSync(dest, { recursive: true, force: true }); });
  const ok = (argv: string[]) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }); assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`); return r.stdout; };
  writeFileSync(join(src, 'ping'), 'binary');
  mkdirSync(join(src, 'etc'));
  // cap_net_raw+ep as the kernel stores it (vfs_cap_data revision 2): NUL bytes and all.
  const cap = '0x0100000200200000000000000000000000000000';
  ok(['setfattr', '-n', 'security.capability', '-v', cap, join(src, 'ping')]);
  ok(['setfattr', '-n', 'user.origin', '-v', 'a=b\nc', join(src, 'ping')]);
  ok(['setfattr', '-n', 'user.dir', '-v', 'yes', join(src, 'etc')]);
  ok(['setfattr', '-n', 'trusted.overlay.opaque', '-v', 'y', join(src, 'etc')]);
  const tar = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
  assert.equal(tar.status, 0, String(tar.stderr));
  const warnings: string[] = [];
  await unpackTar(chunks(tar.stdout), dest, { applyWhiteouts: false, warn: (m) => warnings.push(m) });
  const attrs = (p: string) => ok(['getfattr', '-h', '-d', '-m', '-', '-e', 'hex', join(dest, p)]);
  assert.match(attrs('ping'), new RegExp(`security\\.capability=${cap}`));
  assert.match(attrs('ping'), new RegExp(`user\\.origin=0x${Buffer.from('a=b\nc').toString('hex')}`));
  assert.match(attrs('etc'), /user\.dir=0x796573/);
  assert.doesNotMatch(attrs('etc'), /trusted\.overlay/, 'overlayfs metadata is never taken from a layer');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /1 extended attribute\(s\) of layer members were not set: trusted\.overlay\.opaque: not taken from layers/);
});
