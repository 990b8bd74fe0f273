import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { EventEmitter } from 'node:events';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContentStore } from '../layers/content-store';
import type { RegistryClient } from '../registry/registry-client';
import { RegistryError } from '../registry/registry-error';

export type ProgressFn = (current: number, total: number) => void;

interface Shared { promise: Promise<void>; events: EventEmitter }

const ATTEMPTS = 4;

/**
 * Downloads blobs into the content store. Every blob is checked against its digest and
 * size before it is moved into place; a broken connection resumes with a Range request from
 * the bytes already on disk (also after an agent restart). Concurrent requests for one digest
 * share one download, whichever client asked.
 */
export class BlobFetcher {
  private readonly inflight = new Map<string, Shared>();
  /** Blob GETs sent (all attempts), for tests and logs. */
  requests = 0;

  constructor(private readonly content: ContentStore, private readonly sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {}

  /** True when this digest is being downloaded right now. */
  busy(digest: string): boolean {
    return this.inflight.has(digest);
  }

  /**
   * Downloads a blob unless it is stored. True when it was downloaded now (by this call or
   * one it joined), so it has just been checked against its digest; false when it was stored.
   */
  async fetch(client: RegistryClient, repo: string, desc: { digest: string; size: number }, onProgress?: ProgressFn): Promise<boolean> {
    if (await this.content.has(desc.digest)) return false;
    let shared = this.inflight.get(desc.digest);
    if (!shared) {
      const events = new EventEmitter();
      const promise = this.download(client, repo, desc, (c, t) => events.emit('progress', c, t)).finally(() => this.inflight.delete(desc.digest));
      shared = { promise, events };
      this.inflight.set(desc.digest, shared);
    }
    if (onProgress) shared.events.on('progress', onProgress);
    try {
      await shared.promise;
      return true;
    } finally {
      if (onProgress) shared.events.off('progress', onProgress);
    }
  }

  private async download(client: RegistryClient, repo: string, desc: { digest: string; size: number }, progress: ProgressFn): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await this.sleep(200 * 2 ** attempt);
      try {
        return await this.attempt(client, repo, desc, progress);
      } catch (e) {
        lastError = e;
        if (e instanceof RegistryError && !['CONNECT', 'HTTP'].includes(e.code)) throw e;
      }
    }
    throw lastError;
  }

  /** Hash of what is already on disk (a partial download), and its size. */
  private async resumeState(path: string, max: number) {
    const hash = createHash('sha256');
    let size = (await fsp.stat(path).catch(() => undefined))?.size ?? 0;
    if (size > max) { await fsp.truncate(path, 0); size = 0; }
    if (size > 0) for await (const c of createReadStream(path, { end: size - 1 })) hash.update(c as Buffer);
    return { hash, size };
  }

  private async attempt(client: RegistryClient, repo: string, desc: { digest: string; size: number }, progress: ProgressFn): Promise<void> {
    const path = this.content.partialPath(desc.digest);
    let { hash, size } = await this.resumeState(path, desc.size);
    this.requests++;
    const { res, offset } = await client.getBlob(repo, desc.digest, size < desc.size ? size : 0);
    if (offset === 0 && size > 0) { hash = createHash('sha256'); size = 0; await fsp.truncate(path, 0).catch(() => undefined); }
    let current = size;
    const tap = new Transform({
      // Big buffers: a loopback or LAN registry delivers faster than 16 KiB writes keep up with.
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _e, cb) {
        current += chunk.length;
        if (current > desc.size) { cb(new RegistryError('SIZE_MISMATCH', `blob ${desc.digest} is larger than the ${desc.size} bytes its descriptor says`)); return; }
        hash.update(chunk);
        progress(current, desc.size);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(res.body, tap, createWriteStream(path, { flags: 'a', mode: 0o600, highWaterMark: 4 << 20 }));
    } catch (e) {
      if (e instanceof RegistryError) { await fsp.rm(path, { force: true }); throw e; }
      throw new RegistryError('CONNECT', `download of ${desc.digest} broke after ${current} bytes: ${(e as Error).message}`, 500, { cause: e });
    }
    if (current < desc.size) throw new RegistryError('CONNECT', `download of ${desc.digest} ended after ${current} of ${desc.size} bytes`);
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== desc.digest) {
      await fsp.rm(path, { force: true });
      throw new RegistryError('DIGEST_MISMATCH', `blob ${desc.digest} from ${client.endpoint.name}/${repo} failed verification: got ${current} bytes hashing to ${got} (expected ${desc.size} bytes)`);
    }
    await this.content.commitPartial(desc.digest);
  }
}
