import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { join } from 'node:path';
import { mkdirp, exists } from '../util/fsx';
import { sha256Digest } from '../util/ids';

/** Thrown when content does not match its digest; `stored` names a stored blob found damaged. */
export class DigestMismatchError extends Error {
  constructor(message: string, readonly stored?: string) {
    super(message);
    this.name = 'DigestMismatchError';
  }
}

/** A stored blob whose bytes no longer hash to its digest. */
const damaged = (digest: string, got: string) => new DigestMismatchError(`blob ${digest} is corrupt (content hashes to ${got})`, digest);

/**
 * Content-addressed blobs under `<root>/sha256/<hex>`: written through a hash and renamed
 * into place only when complete, read back with verification.
 */
export class ContentStore {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdirp(join(this.root, 'sha256'));
    await mkdirp(join(this.root, 'tmp'));
    for (const f of await fsp.readdir(join(this.root, 'tmp'))) await fsp.rm(join(this.root, 'tmp', f), { force: true });
    await mkdirp(join(this.root, 'ingest'));
    const stale = Date.now() - 7 * 24 * 3600 * 1000;
    for (const f of await fsp.readdir(join(this.root, 'ingest'))) {
      const st = await fsp.stat(join(this.root, 'ingest', f)).catch(() => undefined);
      if (st && st.mtimeMs < stale) await fsp.rm(join(this.root, 'ingest', f), { force: true });
    }
  }

  /**
   * Where a download of `digest` accumulates. Kept across failures and restarts so an
   * interrupted pull resumes; only `commitPartial` moves it into the store.
   */
  partialPath(digest: string): string {
    return join(this.root, 'ingest', this.path(digest).split('/').pop()!);
  }

  /** Moves a complete, already verified download into the store. */
  async commitPartial(digest: string): Promise<void> {
    if (await this.has(digest)) await fsp.rm(this.partialPath(digest), { force: true });
    else await fsp.rename(this.partialPath(digest), this.path(digest));
  }

  /** Bytes stored for a digest, or undefined. */
  async size(digest: string): Promise<number | undefined> {
    return (await fsp.stat(this.path(digest)).catch(() => undefined))?.size;
  }

  /** Every stored digest. */
  async list(): Promise<string[]> {
    return (await fsp.readdir(join(this.root, 'sha256'))).filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  path(digest: string): string {
    const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
    if (!m) throw new Error(`invalid digest "${digest}"`);
    return join(this.root, 'sha256', m[1]);
  }

  has(digest: string): Promise<boolean> {
    return exists(this.path(digest));
  }

  /** Streams `source` into the store; returns its digest and size. Verifies `expected` when given. */
  async ingest(source: Readable | AsyncIterable<Buffer>, expected?: string): Promise<{ digest: string; size: number }> {
    const tmp = join(this.root, 'tmp', randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); },
    });
    try {
      await pipeline(source, tap, createWriteStream(tmp, { mode: 0o600 }));
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected && expected !== digest) throw new DigestMismatchError(`content digest ${digest} does not match ${expected}`);
      if (await this.has(digest)) await fsp.rm(tmp, { force: true });
      else await fsp.rename(tmp, this.path(digest));
      return { digest, size };
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  async putBytes(data: Buffer): Promise<string> {
    return (await this.ingest((async function* () { yield data; })())).digest;
  }

  /** The blob's bytes, verified. */
  async readBytes(digest: string): Promise<Buffer> {
    const data = await fsp.readFile(this.path(digest));
    const got = sha256Digest(data);
    if (got !== digest) throw damaged(digest, got);
    return data;
  }

  /** Streams the blob as it is on disk (for content this process has just verified). */
  read(digest: string): AsyncIterable<Buffer> {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Streams the blob; the stream fails at its end if the content does not match the digest. */
  async *readVerified(digest: string): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    for await (const chunk of this.read(digest)) {
      hash.update(chunk);
      yield chunk;
    }
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== digest) throw damaged(digest, got);
  }

  async remove(digest: string): Promise<void> {
    await fsp.rm(this.path(digest), { force: true });
  }
}
