/**
 * conmon's k8s-file log format: one record per line,
 * `<RFC3339Nano local time> <stdout|stderr> <F|P> <content>\n`, where F ends a line of
 * output and P is a partial line (the newline after it was added by conmon). Pure.
 */
export interface LogRecord {
  stream: 'stdout' | 'stderr';
  partial: boolean;
  /** The output bytes, without the record's newline. */
  content: Buffer;
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
}

const TS = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|([+-])(\d\d):(\d\d))$/;

/** Nanoseconds since the epoch of an RFC 3339 timestamp with any offset; undefined if malformed. */
export function parseRfc3339Ns(ts: string): bigint | undefined {
  const m = TS.exec(ts);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const offMin = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (+m[10] * 60 + +m[11]);
  const frac = BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  return (BigInt(ms) - BigInt(offMin) * 60000n) * 1000000n + frac;
}

/** RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano), as `docker logs -t` prints. */
export function formatNs(ns: bigint): string {
  const ms = Number(ns / 1000000n);
  const frac = String(ns % 1000000000n).padStart(9, '0').replace(/0+$/, '');
  return `${new Date(ms).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

/** Parses one record (without its trailing newline); undefined when malformed. */
export function parseK8sLine(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line[s2 + 1];
  const tagEnd = s2 + 2;
  if ((tag !== 0x46 && tag !== 0x50) || (tagEnd < line.length && line[tagEnd] !== 0x20)) return undefined;
  const timeNs = parseRfc3339Ns(line.subarray(0, s1).toString('latin1'));
  if (timeNs === undefined) return undefined;
  return { stream, partial: tag === 0x50, content: line.subarray(Math.min(tagEnd + 1, line.length)), timeNs };
}

/** The bytes the container wrote for a record: content plus the newline for a full line. */
export function recordBytes(r: LogRecord): Buffer {
  return r.partial ? r.content : Buffer.concat([r.content, Buffer.from('\n')]);
}

/** Splits a byte stream of the log into records, keeping an incomplete last line for the next push. */
export class K8sLogParser {
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogRecord[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: LogRecord[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      const r = parseK8sLine(buf.subarray(start, nl));
      if (r) out.push(r);
      start = nl + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return out;
  }

  /** Bytes held back because their line is not complete yet. */
  get pending(): number {
    return this.rest.length;
  }
}
