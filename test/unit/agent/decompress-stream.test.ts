import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { decompressStream, verifyDigest } from '../../../src/agent/layers/decompress-stream';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

test('a gzip source that fails after its last byte (a corrupt stored blob) fails the output instead of hanging it', async () => {
  const plain = Buffer.alloc(300_000, 7);
  const gz = gzipSync(plain);
  const diffId = `sha256:${createHash('sha256').update(plain).digest('hex')}`;
  async function* failing(): AsyncGenerator<Buffer> {
    yield gz;
    await new Promise((r) => setTimeout(r, 20));
    throw new Error('blob is corrupt');
  }
  await assert.rejects(collect(verifyDigest(decompressStream(failing(), 'gzip'), diffId)), /blob is corrupt/);
  async function* good(): AsyncGenerator<Buffer> { yield gz.subarray(0, 100); yield gz.subarray(100); }
  assert.deepEqual(await collect(verifyDigest(decompressStream(good(), 'gzip'), diffId)), plain);
});
