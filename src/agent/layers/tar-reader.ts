import { ByteReader } from './byte-reader';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractional with pax). */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* records from the entry's pax header: name -> raw value (may be binary). */
  xattrs: Record<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's content; must be consumed before asking for the next entry (or it is skipped). */
  body: AsyncIterable<Buffer>;
}

export class TarFormatError extends Error {}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z === -1 ? s : s.subarray(0, z)).toString('utf8');
}

/** Octal (NUL/space padded) or GNU base-256 numbers. */
export function parseNumeric(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    let v = f[0] & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i];
    return v;
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`invalid number "${s}" in tar header`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let want: number;
  try {
    want = parseNumeric(h, 148, 8);
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

/** Parses pax extended header records ("%d key=value\n") into keys and raw values. */
export function parsePaxRaw(data: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp === -1) break;
    const len = Number(data.subarray(off, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || off + len > data.length) throw new TarFormatError('invalid pax record');
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.push([rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1)]);
    off += len;
  }
  return out;
}

/** Parses pax extended header records as text. */
export function parsePax(data: Buffer): Record<string, string> {
  return Object.fromEntries(parsePaxRaw(data).map(([k, v]) => [k, v.toString('utf8')]));
}

const XATTR = 'SCHILY.xattr.';

interface Pending { pax: Record<string, string>; xattrs?: Record<string, Buffer>; longName?: string; longLink?: string }

function buildHeader(h: Buffer, type: TarEntryType, p: Pending, global: Record<string, string>): TarHeader {
  const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = ustar ? str(h, 345, 155) : '';
  const pax = { ...global, ...p.pax };
  const name = pax.path ?? p.longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
  const xattrs = p.xattrs ?? {};
  return {
    name,
    type,
    mode: parseNumeric(h, 100, 8) & 0o7777,
    uid: pax.uid !== undefined ? Number(pax.uid) : parseNumeric(h, 108, 8),
    gid: pax.gid !== undefined ? Number(pax.gid) : parseNumeric(h, 116, 8),
    size: pax.size !== undefined ? Number(pax.size) : parseNumeric(h, 124, 12),
    mtime: pax.mtime !== undefined ? Number(pax.mtime) : parseNumeric(h, 136, 12),
    linkname: pax.linkpath ?? p.longLink ?? str(h, 157, 100),
    devmajor: parseNumeric(h, 329, 8),
    devminor: parseNumeric(h, 337, 8),
    xattrs,
  };
}

async function* body(r: ByteReader, state: { left: number }): AsyncGenerator<Buffer> {
  while (state.left > 0) {
    const c = await r.readSome(Math.min(state.left, 1 << 20));
    if (!c) throw new TarFormatError('tar stream ended inside a file');
    state.left -= c.length;
    yield c;
  }
}

const pad = (n: number) => (512 - (n % 512)) % 512;

/** Reads a tar stream (ustar, pax, GNU long names) entry by entry. */
export async function* readTar(source: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  const global: Record<string, string> = {};
  let pending: Pending = { pax: {} };
  for (;;) {
    const h = await r.read(512);
    if (!h || h.every((b) => b === 0)) return;
    if (!checksumOk(h)) throw new TarFormatError('invalid tar header checksum (not a tar archive?)');
    const flag = String.fromCharCode(h[156]);
    const size = parseNumeric(h, 124, 12);
    if ('xgLK'.includes(flag)) {
      const data = (await r.read(size)) ?? Buffer.alloc(0);
      await r.skip(pad(size));
      if (flag === 'x') {
        for (const [k, v] of parsePaxRaw(data)) {
          if (k.startsWith(XATTR)) (pending.xattrs ??= {})[k.slice(XATTR.length)] = Buffer.from(v);
          else pending.pax[k] = v.toString('utf8');
        }
      }
      else if (flag === 'g') Object.assign(global, parsePax(data));
      else if (flag === 'L') pending.longName = str(data, 0, data.length);
      else pending.longLink = str(data, 0, data.length);
      continue;
    }
    const type = TYPES[flag];
    const header = type ? buildHeader(h, type, pending, global) : undefined;
    pending = { pax: {} };
    const dataSize = header ? (header.type === 'file' ? header.size : 0) : size;
    const state = { left: dataSize };
    if (header) yield { header, body: body(r, state) };
    await r.skip(state.left);
    await r.skip(pad(dataSize));
  }
}
