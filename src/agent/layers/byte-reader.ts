/** Exact-length reads over an async stream of chunks (a tar body, a request body, a gzip stream). */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Buffer>;
  private readonly inner: AsyncIterator<Buffer | string>;

  constructor(source: AsyncIterable<Buffer | string>) {
    const inner = source[Symbol.asyncIterator]();
    this.inner = inner;
    this.it = {
      next: async () => {
        const r = await inner.next();
        return r.done ? r : { done: false, value: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value) };
      },
    };
  }

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    }
  }

  /** Exactly n bytes; null at a clean end of stream; throws when the stream ends inside them. */
  async read(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.buf.length === 0 && this.done) return null;
    if (this.buf.length < n) throw new Error(`unexpected end of stream (wanted ${n} bytes, got ${this.buf.length})`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Exactly n bytes, or fewer (none at all) when the stream ends first. */
  async take(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Hands bytes back: the next read starts with them. */
  unread(b: Buffer): void {
    if (b.length) this.buf = this.buf.length ? Buffer.concat([b, this.buf]) : b;
  }

  /** Stops reading early: ends the source (its streams are destroyed, its files closed). */
  async close(): Promise<void> {
    await this.inner.return?.().catch(() => undefined);
  }

  /** Up to `max` bytes (at least 1) or null at end of stream. */
  async readSome(max: number): Promise<Buffer | null> {
    await this.fill(1);
    if (this.buf.length === 0) return null;
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const c = await this.readSome(left);
      if (!c) throw new Error('unexpected end of stream while skipping');
      left -= c.length;
    }
  }
}
