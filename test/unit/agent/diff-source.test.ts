// A layer's uncompressed content from a stored compressed blob (DiffSource), unpacked in the
// background after a pull (LayerStore.unpackAll, settled, idle). Needs no root: layers without
// parents unpack without an overlay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ContentStore } from '../../../src/agent/layers/content-store';
import { DistributionIndex } from '../../../src/agent/images/distribution-index';
import { DiffSource } from '../../../src/agent/images/diff-source';
import { LayerStore, chainIds } from '../../../src/agent/layers/layer-store';
import { DiffIdMismatchError } from '../../../src/agent/layers/decompress-stream';
import { LayerDefectError } from '../../../src/agent/layers/layer-defect';
import { tarArchive } from './tar-fixture';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function stores(t: { after(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'tsa-diffsrc-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const content = new ContentStore(join(base, 'content'));
  await content.init();
  const dist = new DistributionIndex(base);
  await dist.init();
  const diffs = new DiffSource(content, dist);
  const warnings: string[] = [];
  const layers = new LayerStore(join(base, 'layers'), (d) => diffs.openContent(d), (m) => warnings.push(m));
  await layers.init();
  /** Stores a gzip'd layer as a pull does; returns its diff ID and blob digest. */
  const pulled = async (tar: Buffer) => {
    const gz = gzipSync(tar);
    const digest = await content.putBytes(gz);
    await dist.addForm(sha(tar), { digest, mediaType: GZ, size: gz.length, stored: true });
    return { diffId: sha(tar), digest };
  };
  return { content, dist, diffs, layers, pulled };
}

async function readAll(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test('DiffSource: a stored blob is checked against its digest and the diff ID; right after a pull checked the blob (once), against the diff ID only', async (t) => {
  const { content, diffs, pulled } = await stores(t);
  const tar = tarArchive([{ name: 'a.txt', data: 'hello\n' }]);
  const { diffId, digest } = await pulled(tar);
  assert.deepEqual(await readAll(await diffs.open(diffId)), tar);
  diffs.trustOnce(diffId, digest);
  assert.deepEqual(await readAll(await diffs.open(diffId)), tar, 'a trusted open reads the same content');
  // The blob is damaged on disk after the pull checked it.
  writeFileSync(content.path(digest), gzipSync(tarArchive([{ name: 'a.txt', data: 'tampered\n' }])));
  await assert.rejects(readAll(await diffs.open(diffId)), /is corrupt/);
  diffs.trustOnce(diffId, digest);
  await assert.rejects(readAll(await diffs.open(diffId)), DiffIdMismatchError, 'the open right after a pull skips the blob hash, never the diff ID');
  await assert.rejects(readAll(await diffs.open(diffId)), /is corrupt/, 'and only that one skips the blob hash');
});

test('LayerStore.unpackAll: layers unpack in the background; settled() and idle() wait for them', async (t) => {
  const { layers, pulled, dist, content } = await stores(t);
  const base = await pulled(tarArchive([{ name: 'etc/', type: '5' }, { name: 'etc/os', data: 'busybox\n' }]));
  const chain = chainIds([base.diffId]);
  const running = layers.unpackAll([base.diffId]);
  assert.equal(layers.building(chain[0]), true);
  assert.equal((await layers.settled(chain[0]))?.size, 'busybox\n'.length);
  await layers.idle();
  assert.equal(layers.building(chain[0]), false);
  assert.equal(readFileSync(join(layers.dir(chain[0]), 'diff/etc/os'), 'utf8'), 'busybox\n');
  assert.equal((await running).length, 1);
  // A blob recorded under a diff ID its content does not have: nothing is put in place.
  const lying = sha(Buffer.from('something else'));
  const gz = gzipSync(tarArchive([{ name: 'x', data: 'x' }]));
  await dist.addForm(lying, { digest: await content.putBytes(gz), mediaType: GZ, size: gz.length, stored: true });
  await assert.rejects(layers.unpackAll([lying]), (e: unknown) => e instanceof LayerDefectError && e.site.diffId === lying && e.defect instanceof DiffIdMismatchError && /^layer sha256:[0-9a-f]{64} failed verification: .*image config says/.test(e.message));
  assert.equal(await layers.settled(lying), undefined);
  assert.deepEqual((await layers.list()).sort(), [chain[0]]);
  assert.deepEqual(readdirSync(layers.root).filter((n) => n.startsWith('tmp-')), [], 'no half-unpacked layer is left');
});

test('LayerStore: unusable content fails as LayerDefectError naming the layer; a failed parent passes its error on as it is; host failures are not defects', async (t) => {
  const { layers, dist, content } = await stores(t);
  const storeAs = async (bytes: Buffer, diffId: string, mediaType = GZ) => {
    await dist.addForm(diffId, { digest: await content.putBytes(bytes), mediaType, size: bytes.length, stored: true });
    return diffId;
  };
  // Names the layer, the blob it was read from, and (no parents here) not the parents.
  const defect = (diffId: string, check: RegExp) => (e: unknown) => e instanceof LayerDefectError && e.site.diffId === diffId
    && e.site.blob === dist.forms(diffId)[0].digest && !e.site.onParents && check.test(e.message);
  const escape = tarArchive([{ name: '../../escape.txt', data: 'x' }]);
  const escaping = await storeAs(gzipSync(escape), sha(escape));
  await assert.rejects(layers.unpackAll([escaping]), defect(escaping, /is not a safe layer archive: .*escapes the root/));
  // A plain tar served as gzip (recorded under another diff ID: a plain tar stored under its own is read as one).
  const plain = tarArchive([{ name: 'a', data: 'a' }]);
  const notGzip = await storeAs(plain, sha(Buffer.from('not gzip')));
  await assert.rejects(layers.unpackAll([notGzip]), defect(notGzip, /could not be decompressed as gzip: a member does not start with the gzip magic bytes/));
  const garbage = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 0xff)]);
  const notZstd = await storeAs(garbage, sha(Buffer.from('zstd')), 'application/vnd.oci.image.layer.v1.tar+zstd');
  await assert.rejects(layers.unpackAll([notZstd]), defect(notZstd, /could not be decompressed as zstd/));
  // A child whose parent failed fails with the parent's error, not one of its own.
  const child = await storeAs(gzipSync(plain), sha(plain));
  await assert.rejects(layers.unpackAll([escaping, child]), defect(escaping, /escapes the root/));
  // Nothing stored for a diff ID: a host-side failure, passed through as it is.
  const missing = sha(Buffer.from('never stored'));
  await assert.rejects(layers.unpackAll([missing]), (e: unknown) => !(e instanceof LayerDefectError) && /has no content in the store/.test((e as Error).message));
  assert.deepEqual(await layers.list(), []);
  assert.deepEqual(readdirSync(layers.root), [], 'no half-unpacked layer is left');
});
