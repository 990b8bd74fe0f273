// Scanning a layer without unpacking it: the diff ID a pull verifies while the blob downloads,
// and the checks that refuse a hostile tar before anything is stored for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { scanLayer, LiveLayerScan } from '../../../src/agent/layers/layer-scan';
import { PathEscapeError } from '../../../src/agent/layers/path-scope';
import { TarFormatError } from '../../../src/agent/layers/tar-reader';
import { tarArchive, chunks } from './tar-fixture';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const layer = tarArchive([
  { name: 'etc/', type: '5' },
  { name: 'etc/hosts', data: '127.0.0.1 localhost\n' },
  { name: 'bin/sh', data: Buffer.alloc(300_000, 7) },
  { name: 'bin/ash', type: '1', linkname: 'bin/sh' },
  { name: 'bin/link', type: '2', linkname: '../../../../etc/shadow' },
]);

test('scanLayer: the diff ID of the whole stream, padding after the end blocks included', async () => {
  assert.deepEqual(await scanLayer(chunks(layer, 777)), { diffId: sha(layer) });
  // GNU tar pads archives to 10 KiB records: the bytes after the end-of-archive blocks count.
  const padded = Buffer.concat([layer, Buffer.alloc(9000)]);
  assert.deepEqual(await scanLayer(chunks(padded, 4096)), { diffId: sha(padded) });
});

test('scanLayer: names and hard links that climb out of the layer, and non-tars, are refused', async () => {
  await assert.rejects(scanLayer(chunks(tarArchive([{ name: '../../escape', data: 'x' }]))), PathEscapeError);
  await assert.rejects(scanLayer(chunks(tarArchive([{ name: 'ok', data: 'x' }, { name: 'hard', type: '1', linkname: '../outside' }]))), PathEscapeError);
  await assert.rejects(scanLayer(chunks(Buffer.alloc(2048, 'a'))), TarFormatError);
  // A symlink may point anywhere: it is interpreted inside the root when the layer unpacks.
  await scanLayer(chunks(tarArchive([{ name: 'l', type: '2', linkname: '/../../etc' }])));
});

test('LiveLayerScan: chunks pushed as a download delivers them give the same result as a scan of the whole', async () => {
  const gz = gzipSync(layer);
  const live = new LiveLayerScan('gzip');
  for (let off = 0; off < gz.length; off += 1000) await live.push(gz.subarray(off, off + 1000));
  assert.deepEqual(await live.end(), { diffId: sha(layer) });
  const plain = new LiveLayerScan('none');
  await plain.push(layer);
  assert.equal((await plain.end()).diffId, sha(layer));
});

test('LiveLayerScan: a layer that fails the scan never blocks the download; end() says why', async () => {
  const hostile = gzipSync(Buffer.concat([tarArchive([{ name: '../x', data: 'x' }]), Buffer.alloc(4 << 20)]));
  const live = new LiveLayerScan('gzip');
  for (let off = 0; off < hostile.length; off += 512) await live.push(hostile.subarray(off, off + 512));
  await assert.rejects(live.end(), PathEscapeError);
  const notGzip = new LiveLayerScan('gzip');
  for (let i = 0; i < 64; i++) await notGzip.push(Buffer.alloc(64 * 1024, i));
  await assert.rejects(notGzip.end(), /gzip magic bytes/);
});

test('LiveLayerScan: abort() ends a scan whose download broke', async () => {
  const live = new LiveLayerScan('gzip');
  await live.push(gzipSync(layer).subarray(0, 5000));
  live.abort();
  await assert.rejects(live.end());
});
