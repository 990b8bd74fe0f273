import { createHash } from 'node:crypto';
import { Decompress as ZstdDecompress } from 'fzstd';
import { gunzipMembers } from './gunzip-members';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Thrown when uncompressed content does not hash to the diff ID it should have. */
export class DiffIdMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`layer content hashes to ${actual}, but the image config says ${expected} (rootfs.diff_ids): the layer or the config is corrupt`);
    this.name = 'DiffIdMismatchError';
  }
}

/** Thrown for zstd data that is malformed or cut short (fzstd's message says how). */
export class ZstdFormatError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'ZstdFormatError';
  }
}

/** fzstd's errors (plain Errors with a numeric code) as ZstdFormatError. */
function pushZstd(d: ZstdDecompress, chunk: Uint8Array, final?: boolean): void {
  try {
    d.push(chunk, final);
  } catch (e) {
    throw new ZstdFormatError((e as Error).message);
  }
}

/** zstd through fzstd (pure JS: Node 20's zlib has no zstd). Frames may be concatenated. */
async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const d = new ZstdDecompress((data) => { out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)); });
  for await (const chunk of source) {
    pushZstd(d, chunk);
    if (out.length) { const o = out; out = []; yield* o; }
  }
  pushZstd(d, new Uint8Array(0), true);
  yield* out;
}

/**
 * The uncompressed bytes of a layer's `source`. For callers that check the output's sha256
 * against the layer's diff ID: gzip's own CRC-32, a weaker check of the same bytes, is not
 * computed (it costs a fifth of the inflate). A consumer that stops early ends the source.
 */
export function decompressStream(source: AsyncIterable<Buffer>, kind: LayerCompression): AsyncIterable<Buffer> {
  if (kind === 'none') return source;
  if (kind === 'gzip') return gunzipMembers(source);
  return unzstd(source);
}

/**
 * Passes `source` through, hashing it; at its end throws DiffIdMismatchError unless the
 * content hashed to `expected`. The consumer must read to the end (see `drain`).
 */
export async function* verifyDigest(source: AsyncIterable<Buffer>, expected: string, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const c of source) {
    hash.update(c);
    onBytes?.(c.length);
    yield c;
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== expected) throw new DiffIdMismatchError(expected, got);
}

/** An iterator that can be handed to a parser that stops early, then read to its end. */
export class Drainable implements AsyncIterable<Buffer> {
  private readonly it: AsyncIterator<Buffer>;
  /** Bytes that went through. */
  bytes = 0;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }
  private async next(): Promise<IteratorResult<Buffer>> {
    const r = await this.it.next();
    if (!r.done) this.bytes += r.value.length;
    return r;
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return { next: () => this.next() };
  }
  async drain(): Promise<void> {
    for (;;) if ((await this.next()).done) return;
  }

  /** Stops reading early: ends the source (its streams are destroyed, its files closed). */
  async close(): Promise<void> {
    await this.it.return?.().catch(() => undefined);
  }
}
