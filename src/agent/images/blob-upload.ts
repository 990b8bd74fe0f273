import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { gzip, deflateRaw } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);
const GZIP_BLOCK = 1024 * 1024;
const GZIP_PARALLEL = 4;
const SAMPLE = 8 * 1024;

/**
 * The gzip level for one block: 6 (gzip's default), or 0 (stored) when samples from its
 * start, middle and end do not shrink at level 1: already compressed or random data, on which
 * zlib spends as long as on text (about 20 ms per MiB here) to gain nothing.
 */
export async function gzipLevel(block: Buffer): Promise<0 | 6> {
  if (block.length < 4 * SAMPLE) return 6;
  const at = [0, (block.length - SAMPLE) >> 1, block.length - SAMPLE];
  const sizes = await Promise.all(at.map((o) => deflateRawAsync(block.subarray(o, o + SAMPLE), { level: 1 }).then((b) => b.length)));
  return sizes.every((n) => n > SAMPLE * 0.97) ? 0 : 6;
}

async function gzipBlock(block: Buffer): Promise<Buffer> {
  return gzipAsync(block, { level: await gzipLevel(block) });
}

/**
 * gzip in 1 MiB blocks compressed in parallel on libuv's pool and emitted in order: a
 * multi-member gzip stream, which every gzip reader (Go's, zlib's, Node's) reads as one.
 * Blocks that do not compress are stored (gzipLevel).
 */
export async function* parallelGzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const inflight: Array<Promise<Buffer>> = [];
  let parts: Buffer[] = [];
  let size = 0;
  let blocks = 0;
  const flush = (all: boolean) => {
    const data = Buffer.concat(parts, size);
    let off = 0;
    for (; data.length - off >= GZIP_BLOCK || (all && off < data.length); off += GZIP_BLOCK) {
      inflight.push(gzipBlock(data.subarray(off, off + GZIP_BLOCK)));
      blocks++;
    }
    parts = off < data.length ? [data.subarray(off)] : [];
    size = data.length - Math.min(off, data.length);
  };
  try {
    for await (const c of source) {
      parts.push(c);
      size += c.length;
      if (size >= GZIP_BLOCK) flush(false);
      while (inflight.length >= GZIP_PARALLEL) yield await inflight.shift()!;
    }
    flush(true);
    if (blocks === 0) inflight.push(gzipAsync(Buffer.alloc(0), { level: 6 }));
    while (inflight.length) yield await inflight.shift()!;
  } finally {
    for (const p of inflight) p.catch(() => undefined);
  }
}
import type { RegistryClient } from '../registry/registry-client';

export type UploadProgress = (current: number) => void;

/** Blobs up to this size go in one PUT (monolithic upload). */
export const MONOLITHIC_MAX = 8 * 1024 * 1024;

function counting(onBytes: (n: number) => void, hash?: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) { hash?.update(chunk); onBytes(chunk.length); cb(null, chunk); },
  });
}

/**
 * Uploads a stored blob: PATCHed in chunks of `chunkSize` bytes with Content-Range when it
 * is larger than that (chunkSize > 0), else monolithic (the bytes in the closing PUT) when
 * small, else in one PATCH; then PUT ?digest.
 */
export async function uploadFile(client: RegistryClient, location: string, file: string, desc: { digest: string; size: number }, scopes: readonly string[], chunkSize: number, progress: UploadProgress): Promise<void> {
  const chunked = chunkSize > 0 && desc.size > chunkSize;
  if (!chunked && desc.size <= MONOLITHIC_MAX) {
    const data = await readFile(file);
    await client.completeUpload(location, desc.digest, scopes, data);
    progress(desc.size);
    return;
  }
  const step = chunkSize > 0 ? chunkSize : desc.size;
  let loc = location;
  let sent = 0;
  for (let start = 0; start < desc.size; start += step) {
    const length = Math.min(step, desc.size - start);
    const body = createReadStream(file, { start, end: start + length - 1, highWaterMark: 1 << 20 }).pipe(counting((n) => { sent += n; progress(sent); }));
    loc = await client.patchChunk(loc, body, { start, length }, scopes);
  }
  await client.completeUpload(loc, desc.digest, scopes);
}

/**
 * Compresses a layer with gzip (parallel blocks) while uploading it in one streamed PATCH; returns the digest
 * and size of what was sent, then completes the upload with that digest.
 */
export async function uploadGzipped(client: RegistryClient, location: string, source: AsyncIterable<Buffer>, scopes: readonly string[], progress: UploadProgress): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let read = 0;
  const input = Readable.from(source, { objectMode: false }).pipe(counting((n) => { read += n; progress(read); }));
  const body = Readable.from(parallelGzip(input), { objectMode: false }).pipe(counting((n) => { size += n; }, hash));
  const loc = await client.patchChunk(location, body, { start: 0 }, scopes);
  const digest = `sha256:${hash.digest('hex')}`;
  await client.completeUpload(loc, digest, scopes);
  return { digest, size };
}
