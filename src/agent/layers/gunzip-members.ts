import { createInflateRaw, type InflateRaw } from 'node:zlib';

/** Thrown for a gzip stream that is malformed or cut short; the message says how (callers name the blob). */
export class GzipFormatError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'GzipFormatError';
  }
}

const FTEXT_RESERVED = 0xe0;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Reads a source chunk by chunk, with bytes handed back for the next reader. */
class ChunkReader {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  done = false;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** The next bytes: what was handed back first, then the source's next chunk; null at its end. */
  async next(): Promise<Buffer | null> {
    if (this.pending.length) {
      const p = this.pending;
      this.pending = Buffer.alloc(0);
      return p;
    }
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length) return r.value;
    }
    return null;
  }

  unread(b: Buffer): void {
    if (b.length) this.pending = this.pending.length ? Buffer.concat([b, this.pending]) : b;
  }

  /** Exactly `n` bytes, or fewer at the source's end. */
  async take(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = await this.next();
      if (!c) break;
      const used = c.subarray(0, n - have);
      this.unread(c.subarray(used.length));
      parts.push(used);
      have += used.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async close(): Promise<void> {
    await this.it.return?.().catch(() => undefined);
  }
}

async function need(r: ChunkReader, n: number, what: string): Promise<Buffer> {
  const b = await r.take(n);
  if (b.length < n) throw new GzipFormatError(`it ends inside the ${what}`);
  return b;
}

async function skipZeroTerminated(r: ChunkReader, what: string): Promise<void> {
  for (;;) {
    const c = await r.next();
    if (!c) throw new GzipFormatError(`it ends inside the ${what}`);
    const z = c.indexOf(0);
    if (z >= 0) return r.unread(c.subarray(z + 1));
  }
}

/** Reads one member header (RFC 1952 2.3); false when the source has ended before it. */
async function readHeader(r: ChunkReader): Promise<boolean> {
  const first = await r.take(10);
  if (first.length === 0) return false;
  if (first.length < 10) throw new GzipFormatError('it ends inside a member header');
  if (first[0] !== 0x1f || first[1] !== 0x8b) throw new GzipFormatError('a member does not start with the gzip magic bytes');
  if (first[2] !== 8) throw new GzipFormatError(`compression method ${first[2]} is not deflate`);
  const flags = first[3];
  if (flags & FTEXT_RESERVED) throw new GzipFormatError('reserved header flags are set');
  if (flags & FEXTRA) await need(r, (await need(r, 2, 'extra field')).readUInt16LE(0), 'extra field');
  if (flags & FNAME) await skipZeroTerminated(r, 'file name');
  if (flags & FCOMMENT) await skipZeroTerminated(r, 'comment');
  if (flags & FHCRC) await need(r, 2, 'header checksum');
  return true;
}

function writeChunk(inf: InflateRaw, c: Buffer): Promise<void> {
  return new Promise((resolve, reject) => inf.write(c, (e) => (e ? reject(e) : resolve())));
}

/**
 * Feeds one member's deflate data to `inf`, chunk by chunk, and hands back what follows its
 * end (the trailer). Each chunk is written only once the one before it is consumed, so the end
 * of the deflate data is always inside the last chunk written: zlib's `bytesWritten` counts
 * what it consumed.
 */
async function feedMember(r: ChunkReader, inf: InflateRaw): Promise<void> {
  let written = 0;
  for (let c = await r.next(); c; c = await r.next()) {
    written += c.length;
    await writeChunk(inf, c);
    const left = written - inf.bytesWritten;
    if (left > 0) {
      r.unread(c.subarray(c.length - left));
      break;
    }
  }
  if (!inf.destroyed) inf.end();
}

/**
 * The uncompressed bytes of a gzip stream of one or more members, as Go's gzip reader takes it
 * (what Docker accepts). Inflates without gzip's CRC-32: for callers that hash the output
 * themselves against a diff ID (sha256), which is a stronger check; each member's length is
 * still checked against its trailer. Throws GzipFormatError or zlib's error.
 */
export async function* gunzipMembers(source: AsyncIterable<Buffer>, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  const r = new ChunkReader(source);
  let members = 0;
  try {
    while (await readHeader(r)) {
      members++;
      const inf = createInflateRaw({ chunkSize });
      const feeding = feedMember(r, inf).catch((e: unknown) => { inf.destroy(e as Error); });
      let size = 0;
      try {
        for await (const out of inf as AsyncIterable<Buffer>) {
          size = (size + out.length) >>> 0;
          yield out;
        }
      } finally {
        // Stopped early: the feeder ends with its next chunk (or the source's end).
        inf.destroy();
      }
      // The deflate data ended: its last chunk was consumed, the rest handed back.
      await feeding;
      const trailer = await need(r, 8, 'member trailer');
      if (trailer.readUInt32LE(4) !== size) throw new GzipFormatError(`a member's trailer gives its length as ${trailer.readUInt32LE(4)} bytes (mod 2^32), but it inflated to ${size}`);
    }
    if (members === 0) throw new GzipFormatError('it is empty');
  } finally {
    await r.close();
  }
}
