/** Builds small (possibly hostile) tar archives in memory for unpack tests. */
export interface FixtureEntry {
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '5' directory, '3' char device, '6' fifo. */
  type?: '0' | '1' | '2' | '3' | '5' | '6';
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  data?: string | Buffer;
  /** Extra pax records written in an 'x' header before the entry. */
  pax?: Record<string, string>;
}

function octal(n: number, len: number): string {
  return `${n.toString(8).padStart(len - 1, '0')}\0`;
}

function header(name: string, type: string, size: number, e: FixtureEntry): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(e.mode ?? (type === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  h.write(octal(e.uid ?? 0, 8), 108, 'latin1');
  h.write(octal(e.gid ?? 0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(1_700_000_000, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write((e.linkname ?? '').slice(0, 100), 157, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7), 148, 'latin1');
  return h;
}

function pad(b: Buffer): Buffer {
  const n = (512 - (b.length % 512)) % 512;
  return Buffer.concat([b, Buffer.alloc(n)]);
}

function paxData(records: Record<string, string>): Buffer {
  const parts = Object.entries(records).map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
    return `${len}${body}`;
  });
  return Buffer.from(parts.join(''));
}

export function tarArchive(entries: FixtureEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? '0';
    const data = type === '0' ? Buffer.from(e.data ?? '') : Buffer.alloc(0);
    if (e.pax) {
      const pd = paxData(e.pax);
      blocks.push(header('PaxHeader', 'x', pd.length, { name: 'PaxHeader' }), pad(pd));
    }
    blocks.push(header(e.name, type, data.length, e), pad(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export async function* chunks(buf: Buffer, size = 700): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
