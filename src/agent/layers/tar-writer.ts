/**
 * Writes tar archives (ustar, with pax records for long names, long link targets and big
 * numbers), as Docker's layer and image archives use. Pure.
 */
export interface TarWriteHeader {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes (pax SCHILY.xattr.NAME records, raw values). */
  xattrs?: Record<string, Buffer>;
}

const FLAG: Record<TarWriteHeader['type'], string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** Zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(1024);

export const tarPadding = (size: number): Buffer => Buffer.alloc((512 - (size % 512)) % 512);

function octal(n: number, len: number): string | undefined {
  const s = Math.floor(n).toString(8);
  return s.length > len - 1 ? undefined : `${s.padStart(len - 1, '0')}\0`;
}

/** One pax record, "LEN key=value\n", LEN counting itself; the value may be binary. */
function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function block(name: string, flag: string, size: number, h: Partial<TarWriteHeader>, linkname: string): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write(octal(h.mode ?? 0o644, 8)!, 100, 'latin1');
  b.write(octal(h.uid ?? 0, 8) ?? octal(0, 8)!, 108, 'latin1');
  b.write(octal(h.gid ?? 0, 8) ?? octal(0, 8)!, 116, 'latin1');
  b.write(octal(size, 12) ?? octal(0, 12)!, 124, 'latin1');
  b.write(octal(h.mtime ?? 0, 12) ?? octal(0, 12)!, 136, 'latin1');
  b.write('        ', 148, 'latin1');
  b.write(flag, 156, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  b.write(octal(h.devmajor ?? 0, 8)!, 329, 'latin1');
  b.write(octal(h.devminor ?? 0, 8)!, 337, 'latin1');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** The header block(s) for one entry (a pax header first when a field does not fit ustar). */
export function tarHeader(h: TarWriteHeader): Buffer {
  const size = h.type === 'file' ? h.size ?? 0 : 0;
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const link = h.linkname ?? '';
  const pax: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  if (octal(size, 12) === undefined) pax.push(paxRecord('size', String(size)));
  for (const k of ['uid', 'gid'] as const) if (octal(h[k] ?? 0, 8) === undefined) pax.push(paxRecord(k, String(h[k])));
  for (const [k, v] of Object.entries(h.xattrs ?? {})) pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const main = block(Buffer.from(name).subarray(0, 100).toString('utf8'), FLAG[h.type], size, h, Buffer.from(link).subarray(0, 100).toString('utf8'));
  if (pax.length === 0) return main;
  const data = Buffer.concat(pax);
  return Buffer.concat([block('PaxHeader', 'x', data.length, { mode: 0o644 }, ''), data, tarPadding(data.length), main]);
}

/** A regular file entry with its content, padded. */
export function tarFile(name: string, data: Buffer, mode = 0o644, mtime = 0): Buffer {
  return Buffer.concat([tarHeader({ name, type: 'file', mode, size: data.length, mtime }), data, tarPadding(data.length)]);
}
