import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { BlobTee, TeeBrokenError } from '../../../src/agent/images/blob-tee';
import { decompressStream, verifyDigest } from '../../../src/agent/layers/decompress-stream';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test('a tee delivers a contiguous prefix: bytes re-sent by a resumed or restarted download are skipped', async () => {
  const blob = Buffer.from('0123456789abcdef');
  const tee = new BlobTee();
  const out = collect(tee);
  tee.offer(blob.subarray(0, 6), 0);
  tee.offer(blob.subarray(4, 10), 4); // resumed from fewer bytes than were streamed
  tee.offer(blob.subarray(0, 8), 0); // restarted from zero
  tee.offer(blob.subarray(8), 8);
  tee.end();
  assert.deepEqual(await out, blob);
});

test('a tee ends only when told (after verification), and a failure reaches the reader', async () => {
  const tee = new BlobTee();
  const out = collect(tee);
  tee.offer(Buffer.from('abc'), 0);
  const boom = new Error('blob failed verification');
  tee.fail(boom);
  await assert.rejects(out, (e) => e === boom);
});

test('a download that resumes past the streamed bytes breaks the tee (the reader falls back to the store)', async () => {
  const tee = new BlobTee();
  const out = collect(tee);
  tee.offer(Buffer.from('xyz'), 10);
  await assert.rejects(out, TeeBrokenError);
});

test('a gzip layer failing its blob check fails the decompressed stream instead of hanging it', async () => {
  const plain = Buffer.alloc(300_000, 7);
  const gz = gzipSync(plain);
  const diffId = `sha256:${createHash('sha256').update(plain).digest('hex')}`;
  const tee = new BlobTee();
  const out = collect(verifyDigest(decompressStream(tee, 'gzip'), diffId));
  tee.offer(gz, 0);
  setTimeout(() => tee.fail(new Error('digest mismatch')), 20);
  await assert.rejects(out, /digest mismatch/);
  const ok = new BlobTee();
  const good = collect(verifyDigest(decompressStream(ok, 'gzip'), diffId));
  ok.offer(gz.subarray(0, 100), 0);
  ok.offer(gz.subarray(100), 100);
  ok.end();
  assert.deepEqual(await good, plain);
});
