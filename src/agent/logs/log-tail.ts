import { promises as fsp, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { K8sLogParser, type LogRecord } from './k8s-log';

export interface TailOptions {
  path: string;
  /** Byte offset to start reading at. */
  offset: number;
  /** Keep reading new records after the end of the file until `done` settles. */
  follow: boolean;
  /** Settles when no more output will come (the run exited and conmon drained it). */
  done?: Promise<unknown>;
  /** Stops early (the client went away). */
  signal?: AbortSignal;
  /** Receives records in order; awaited, so a slow client slows the reader. */
  onRecords(records: LogRecord[]): Promise<void> | void;
}

/** Size of a file, 0 when it does not exist yet. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await fsp.stat(path)).size;
  } catch {
    return 0;
  }
}

async function readToEnd(path: string, pos: number, parser: K8sLogParser, opts: TailOptions): Promise<number> {
  let fh;
  try {
    fh = await fsp.open(path, 'r');
  } catch {
    return 0;
  }
  let total = 0;
  try {
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      if (opts.signal?.aborted) break;
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos + total);
      if (bytesRead === 0) break;
      total += bytesRead;
      const records = parser.push(Buffer.from(buf.subarray(0, bytesRead)));
      if (records.length > 0) await opts.onRecords(records);
    }
  } finally {
    await fh.close();
  }
  return total;
}

/**
 * Reads a conmon k8s-file log from `offset`, and with `follow` keeps reading as it grows
 * (inotify on its folder, plus a slow poll) until `done` settles, then drains what is left.
 * Returns the offset just after the last complete record read.
 */
export async function tailLog(opts: TailOptions): Promise<number> {
  const parser = new K8sLogParser();
  let pos = opts.offset;
  let finished = false;
  let wake: (() => void) | undefined;
  const kick = () => { const w = wake; wake = undefined; w?.(); };
  let watcher: FSWatcher | undefined;
  if (opts.follow) {
    try {
      watcher = watch(dirname(opts.path), kick);
      watcher.on('error', () => undefined);
    } catch { /* poll only */ }
    opts.done?.then(() => { finished = true; kick(); }, () => { finished = true; kick(); });
    opts.signal?.addEventListener('abort', kick);
  }
  try {
    for (;;) {
      if (opts.signal?.aborted) return pos;
      const last = finished;
      const n = await readToEnd(opts.path, pos, parser, opts);
      pos += n;
      if (!opts.follow || last) return pos - parser.pending;
      if (n === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(kick, 500).unref();
        });
      }
    }
  } finally {
    watcher?.close();
  }
}
