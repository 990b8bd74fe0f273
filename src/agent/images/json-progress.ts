import type { Writable } from 'node:stream';

/** Docker's units.HumanSize (decimal units, 3 significant digits): "1.23MB". */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** The progress bar dockerd puts in `progress`: `[=====>      ]  1.2MB/4.5MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === width ? '=' : '>') : ''}${' '.repeat(width - filled)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/**
 * Writes Docker's JSON progress messages (`{"status","id","progressDetail","progress"}`,
 * `{"aux":...}`, `{"errorDetail":{"message"},"error"}`), one per line, on a streamed answer.
 * Byte-progress messages are throttled to one per id every 100 ms (the last always goes out).
 */
export class JsonProgress {
  private readonly last = new Map<string, number>();
  private closed = false;
  private out?: Writable;

  /** `open` starts the streamed answer; it is called at the first message, so errors before it can still get a status code. */
  constructor(private readonly open: () => Writable, private readonly clock: () => number = Date.now) {}

  /** True once the answer started (errors must then be sent as messages). */
  get started(): boolean {
    return this.out !== undefined;
  }

  get clientGone(): boolean {
    return this.closed;
  }

  write(msg: Record<string, unknown>): void {
    if (this.closed) return;
    if (!this.out) {
      this.out = this.open();
      this.out.on('close', () => { this.closed = true; });
    }
    this.out.write(`${JSON.stringify(msg)}\r\n`);
  }

  status(status: string, id?: string): void {
    this.write(id ? { status, progressDetail: {}, id } : { status });
  }

  bytes(id: string, status: string, current: number, total: number): void {
    const now = this.clock();
    if (current < total && now - (this.last.get(id) ?? 0) < 100) return;
    this.last.set(id, now);
    this.write({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  }

  aux(aux: Record<string, unknown>): void {
    this.write({ progressDetail: {}, aux });
  }

  error(message: string): void {
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    if (!this.closed) (this.out ?? this.open()).end();
  }
}
