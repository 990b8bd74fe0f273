/** Thrown into a tee's reader when the tee cannot deliver the whole blob: read it from the store instead. */
export class TeeBrokenError extends Error {
  constructor(reason: string) {
    super(`streamed layer unavailable: ${reason}`);
    this.name = 'TeeBrokenError';
  }
}

/** Most bytes a tee holds for a reader that lags behind the download before it gives up. */
const LIMIT = 64 * 1024 * 1024;

/**
 * The bytes of a blob as its download receives them, so a layer can be unpacked while it
 * downloads. It only ever holds a contiguous prefix of the blob (a resumed or restarted
 * download re-sends bytes the tee skips), ends only once the downloader has verified the
 * whole blob's digest, and never slows the download down: a reader that falls more than
 * LIMIT bytes behind gets TeeBrokenError and must read the stored blob instead.
 */
export class BlobTee implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [];
  private queued = 0;
  /** Bytes of the blob taken so far (the prefix length). */
  private taken = 0;
  private done = false;
  private failure?: Error;
  private wake?: () => void;

  /** Offers the chunk that starts at byte `start` of the blob. */
  offer(chunk: Buffer, start: number): void {
    if (this.done || this.failure) return;
    if (start > this.taken) { this.fail(new TeeBrokenError('the download resumed past the bytes streamed')); return; }
    const fresh = start + chunk.length - this.taken;
    if (fresh <= 0) return;
    const part = fresh === chunk.length ? chunk : chunk.subarray(chunk.length - fresh);
    this.taken += part.length;
    this.queued += part.length;
    if (this.queued > LIMIT) { this.fail(new TeeBrokenError('the unpack fell too far behind the download')); return; }
    this.queue.push(part);
    this.signal();
  }

  /** The downloader verified the blob: the reader may finish. */
  end(): void {
    if (this.failure) return;
    this.done = true;
    this.signal();
  }

  /** The reader fails with `e` (after what it already read); the queue is dropped. */
  fail(e: Error): void {
    if (this.done || this.failure) return;
    this.failure = e;
    this.queue = [];
    this.queued = 0;
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const c = this.queue.shift();
      if (c) { this.queued -= c.length; yield c; continue; }
      if (this.done) return;
      await new Promise<void>((r) => { this.wake = r; });
    }
  }
}
