import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { ByteReader } from './byte-reader';

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

async function need(r: ByteReader, n: number, what: string): Promise<Buffer> {
  const b = await r.take(n);
  if (b.length < n) throw new GzipFormatError(`it ends inside the ${what}`);
  return b;
}

/** Whatever bytes are there next (a chunk, or what was handed back); null at the end. */
const nextChunk = (r: ByteReader) => r.readSome(Number.MAX_SAFE_INTEGER);

async function skipZeroTerminated(r: ByteReader, what: string): Promise<void> {
  for (;;) {
    const c = await nextChunk(r);
    if (!c) throw new GzipFormatError(`it ends inside the ${what}`);
    const z = c.indexOf(0);
    if (z >= 0) return r.unread(c.subarray(z + 1));
  }
}

/** Reads one member header (RFC 1952 2.3); false when the source has ended before it. */
async function readHeader(r: ByteReader): Promise<boolean> {
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
async function feedMember(r: ByteReader, inf: InflateRaw): Promise<void> {
  let written = 0;
  for (let c = await nextChunk(r); c; c = await nextChunk(r)) {
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
  const r = new ByteReader(source);
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
