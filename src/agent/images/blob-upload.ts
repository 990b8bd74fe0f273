import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
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
 * Compresses a layer with gzip while uploading it in one streamed PATCH; returns the digest
 * and size of what was sent, then completes the upload with that digest.
 */
export async function uploadGzipped(client: RegistryClient, location: string, source: AsyncIterable<Buffer>, scopes: readonly string[], progress: UploadProgress): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let read = 0;
  const body = Readable.from(source, { objectMode: false })
    .pipe(counting((n) => { read += n; progress(read); }))
    .pipe(createGzip({ level: 6, chunkSize: 256 * 1024 }))
    .pipe(counting((n) => { size += n; }, hash));
  const loc = await client.patchChunk(location, body, { start: 0 }, scopes);
  const digest = `sha256:${hash.digest('hex')}`;
  await client.completeUpload(loc, digest, scopes);
  return { digest, size };
}
