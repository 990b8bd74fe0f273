// Layers unpacked in parallel (LayerStore.ensureTop): a layer that qualifies goes into its own
// folder without its parents (unpackTar's `standalone`), anything else falls back to an overlay
// of the parents. Either way the merged view must be exactly what the one-after-another unpack
// on an overlay gives, and a layer is never in place without its parents. Needs root (overlay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackTar, NeedsParentsError } from '../../../src/agent/layers/unpack';
import { LayerStore, chainIds } from '../../../src/agent/layers/layer-store';
import { mountOverlay, unmount } from '../../../src/agent/util/mount';
import { tarArchive, chunks, type FixtureEntry } from './tar-fixture';

const ROOT = process.getuid?.() === 0;

function sandbox(t: { after(fn: () => void | Promise<void>): void }): string {
  const base = mkdtempSync(join(tmpdir(), 'tsa-layers-par-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

const standalone = (entries: FixtureEntry[], root: string) => unpackTar(chunks(tarArchive(entries)), root, { applyWhiteouts: false, standalone: true });

test('standalone unpack refuses whiteouts, made-up folders and hard links to other layers', async (t) => {
  const base = sandbox(t);
  const cases: Array<[string, FixtureEntry[]]> = [
    ['whiteout', [{ name: 'etc/', type: '5' }, { name: 'etc/.wh.passwd' }]],
    ['opaque', [{ name: 'etc/', type: '5' }, { name: 'etc/.wh..wh..opq' }]],
    ['folder not in the layer', [{ name: 'usr/bin/tool', data: 'x' }]],
    ['folder replaced by a file', [{ name: 'a/', type: '5' }, { name: 'a', data: 'file now' }, { name: 'a/b', data: 'x' }]],
    ['folder is a symlink of the layer', [{ name: 'a', type: '2', linkname: '/etc' }, { name: 'a/b', data: 'x' }]],
    ['hard link to another layer', [{ name: 'bin/', type: '5' }, { name: 'bin/sh', type: '1', linkname: 'bin/busybox' }]],
  ];
  for (const [i, [why, entries]] of cases.entries()) {
    const root = join(base, `r${i}`);
    mkdirSync(root);
    await assert.rejects(standalone(entries, root), NeedsParentsError, why);
  }
  const ok = join(base, 'ok');
  mkdirSync(ok);
  const stats = await standalone([
    { name: './', type: '5' }, { name: 'bin/', type: '5' }, { name: 'bin/busybox', data: 'bb', mode: 0o755 },
    { name: 'bin/sh', type: '1', linkname: 'bin/busybox' }, { name: 'bin/ls', type: '2', linkname: 'busybox' },
  ], ok);
  assert.equal(stats.entries, 5);
  assert.equal(lstatSync(join(ok, 'bin/sh')).ino, lstatSync(join(ok, 'bin/busybox')).ino);
});

/** Every path of a tree with its type, mode, owner, size, content hash or link target. */
function describe(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, r));
    const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? `l->${readlinkSync(join(dir, r))}` : st.isFile() ? `f:${createHash('sha256').update(readFileSync(join(dir, r))).digest('hex').slice(0, 12)}` : 'other';
    // Folders whose content an unpack changed without a member for them get the time of the unpack.
    const mtime = st.isSymbolicLink() ? '' : st.mtimeMs === 1_700_000_000_000 ? ' fixture-time' : ' unpack-time';
    out.push(`${r} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}${mtime}`);
    if (st.isDirectory()) out.push(...describe(dir, r));
  }
  return out;
}

const LOWER: FixtureEntry[] = [
  { name: './', type: '5' },
  { name: 'etc/', type: '5' }, { name: 'etc/passwd', data: 'root\n' }, { name: 'etc/group', data: 'root\n' },
  { name: 'tmp/', type: '5', mode: 0o1777 }, { name: 'tmp/old', data: 'old' },
  { name: 'opt/', type: '5' }, { name: 'opt/dir/', type: '5' }, { name: 'opt/dir/x', data: 'x' },
  { name: 'opt/file', data: 'a file' }, { name: 'lib', type: '2', linkname: 'usr/lib' },
  { name: 'usr/', type: '5' }, { name: 'usr/lib/', type: '5' }, { name: 'usr/lib/libc', data: 'libc' },
];

const UPPERS: Record<string, { entries: FixtureEntry[]; standalone: boolean }> = {
  'self-contained': {
    standalone: true,
    entries: [
      { name: 'etc/', type: '5', mode: 0o750 }, { name: 'etc/passwd', data: 'root\nuser\n' },
      { name: 'opt/', type: '5' }, { name: 'opt/dir', data: 'file replaces a folder' },
      { name: 'opt/file/', type: '5', mode: 0o700 }, { name: 'opt/file/inside', data: 'folder replaces a file' },
      { name: 'lib/', type: '5' }, { name: 'lib/own', data: 'folder replaces a symlink' },
      { name: 'new/', type: '5', uid: 1000, gid: 1000 }, { name: 'new/tool', data: 'tool', mode: 0o4755 },
      { name: 'new/hard', type: '1', linkname: 'new/tool' }, { name: 'new/link', type: '2', linkname: '../etc/passwd' },
    ],
  },
  'whiteouts and made-up folders': {
    standalone: false,
    entries: [
      { name: 'etc/', type: '5' }, { name: 'etc/.wh.group', data: '' },
      { name: 'tmp/.wh..wh..opq', data: '' }, { name: 'tmp/new', data: 'new' },
      { name: 'usr/lib/libm', data: 'libm' },
    ],
  },
};

for (const [name, upper] of Object.entries(UPPERS)) {
  test(`parallel unpack gives the same tree as one after another: ${name}`, { skip: !ROOT && 'needs root (overlay mounts)' }, async (t) => {
    const base = sandbox(t);
    const tars = [tarArchive(LOWER), tarArchive(upper.entries)];
    const diffIds = tars.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);
    const byDiff = new Map(diffIds.map((d, i) => [d, tars[i]]));
    const opened: string[] = [];
    const open = async (d: string) => { opened.push(d); return { content: chunks(byDiff.get(d)!, 4096) }; };
    const serial = new LayerStore(join(base, 'serial'), open, () => undefined);
    const parallel = new LayerStore(join(base, 'parallel'), open, () => undefined);
    await serial.init();
    await parallel.init();
    await serial.ensure(diffIds);
    opened.length = 0;
    const first = parallel.ensureTop(diffIds.slice(0, 1), Promise.resolve());
    const second = parallel.ensureTop(diffIds, first);
    await Promise.all([first, second]);
    // The self-contained layer is read once; the other is read again for the overlay unpack.
    assert.equal(opened.filter((d) => d === diffIds[1]).length, upper.standalone ? 1 : 2);
    assert.deepEqual((await parallel.meta(chainIds(diffIds)[1]))?.parent, chainIds(diffIds)[0]);
    const views: string[][] = [];
    for (const store of [serial, parallel]) {
      const target = join(base, `view-${views.length}`);
      mkdirSync(target);
      await mountOverlay({ lowers: chainIds(diffIds).reverse().map((c) => store.relDiff(c)), lowerBase: store.root, upper: '', work: '', target, readOnly: true });
      try {
        views.push(describe(target));
      } finally {
        await unmount(target);
      }
    }
    assert.ok(views[0].length > 5);
    assert.deepEqual(views[1], views[0]);
  });
}

test('a layer whose parent fails is not put in place and leaves nothing behind', async (t) => {
  const base = sandbox(t);
  const tars = [tarArchive(LOWER), tarArchive(UPPERS['self-contained'].entries)];
  const diffIds = tars.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);
  const store = new LayerStore(join(base, 'layers'), async (d) => ({ content: chunks(tars[diffIds.indexOf(d)]) }), () => undefined);
  await store.init();
  const parentFailed = Promise.reject(new Error('parent layer failed verification'));
  await assert.rejects(store.ensureTop(diffIds, parentFailed), /parent layer failed verification/);
  assert.deepEqual(readdirSync(store.root), [], 'no layer folder, no tmp- folder');
  assert.equal(existsSync(store.dir(chainIds(diffIds)[1])), false);
});
