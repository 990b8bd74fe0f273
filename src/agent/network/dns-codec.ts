/** A tiny DNS message codec (RFC 1035): enough to answer A queries and relay the rest. Pure. */

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const RCODE_OK = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export interface DnsQuery {
  id: number;
  /** The request's flags word (opcode and RD are echoed back). */
  flags: number;
  /** Lower-case, without the trailing dot. */
  name: string;
  type: number;
  cls: number;
  /** Bytes of the first question (name + type + class), copied into the answer. */
  question: Buffer;
}

export class DnsFormatError extends Error {}

/** Reads a (possibly compressed) name at `off`; returns it and the offset after it. */
function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (off >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[off];
    if (len === 0) return { name: labels.join('.'), end: end === -1 ? off + 1 : end };
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new DnsFormatError('truncated pointer');
      if (end === -1) end = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    if (len > 63 || off + 1 + len > buf.length) throw new DnsFormatError('bad label');
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  throw new DnsFormatError('too many labels or a pointer loop');
}

/** Parses a query with one question; throws DnsFormatError for anything else. */
export function parseQuery(buf: Buffer): DnsQuery {
  if (buf.length < 12) throw new DnsFormatError('message shorter than a header');
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) throw new DnsFormatError('not a query');
  if (buf.readUInt16BE(4) !== 1) throw new DnsFormatError('expected exactly one question');
  const { name, end } = readName(buf, 12);
  if (end + 4 > buf.length) throw new DnsFormatError('truncated question');
  return {
    id: buf.readUInt16BE(0), flags, name: name.toLowerCase().replace(/\.$/, ''),
    type: buf.readUInt16BE(end), cls: buf.readUInt16BE(end + 2), question: buf.subarray(12, end + 4),
  };
}

/** Encodes a name without compression. */
export function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'latin1');
    if (b.length > 63) throw new DnsFormatError(`label too long: ${p}`);
    out.push(Buffer.from([b.length]), b);
  }
  out.push(Buffer.from([0]));
  return Buffer.concat(out);
}

/** A query message for `name` (used by tests and tools). */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([h, encodeName(name), tail]);
}

/** The answer to `q`: `addresses` as A records (for A queries), with `rcode`. */
export function buildResponse(q: DnsQuery, rcode: number, addresses: string[] = [], ttl = 600): Buffer {
  const answers = q.type === TYPE_A ? addresses : [];
  const h = Buffer.alloc(12);
  h.writeUInt16BE(q.id, 0);
  // QR, the request's opcode and RD, RA, rcode.
  h.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode & 0xf), 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
    return rr;
  });
  return Buffer.concat([h, q.question, ...rrs]);
}

export interface DnsAnswer {
  id: number;
  rcode: number;
  addresses: string[];
}

/** Reads the A records of a response (for tests and tools). */
export function parseResponse(buf: Buffer): DnsAnswer {
  if (buf.length < 12) throw new DnsFormatError('message shorter than a header');
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = readName(buf, off).end + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    off = readName(buf, off).end;
    if (off + 10 > buf.length) throw new DnsFormatError('truncated record');
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 8);
    off += 10;
    if (off + len > buf.length) throw new DnsFormatError('truncated record data');
    if (type === TYPE_A && len === 4) addresses.push([...buf.subarray(off, off + 4)].join('.'));
    off += len;
  }
  return { id: buf.readUInt16BE(0), rcode: buf.readUInt16BE(2) & 0xf, addresses };
}
