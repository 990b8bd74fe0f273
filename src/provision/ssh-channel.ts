import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { TsmError } from '../core/errors';

/** How a remote command ended. `code` is 128 + signal number when it was killed by a signal (`SIGTERM`). */
export interface ChannelExit {
  code: number;
  signal?: string;
}

function exitCode(code: number | null | undefined, signal: string | undefined): number {
  if (typeof code === 'number') return code;
  const name = signal && !signal.startsWith('SIG') ? `SIG${signal}` : signal;
  const num = name ? (constants.signals as Record<string, number>)[name] : undefined;
  return num ? 128 + num : 255;
}

/** Exit statuses seen on channels, recorded from the moment each channel was handed over (trackExit). */
const exits = new WeakMap<ClientChannel, ChannelExit>();

/**
 * Starts recording the channel's exit status. Call it in ssh2's exec/shell callback itself,
 * before any await: ssh2 calls back while it parses the server's packet, and a fast command's
 * exit status often comes in the same packet, so its 'exit' event fires before a listener
 * attached after an await (a promise resolution) could hear it.
 */
export function trackExit(ch: ClientChannel): void {
  ch.on('exit', (code: number | null, sig?: string) => {
    exits.set(ch, { code: exitCode(code, sig), ...(sig ? { signal: sig } : {}) });
  });
}

/**
 * Resolves when the channel closes, with the remote exit status (see trackExit); rejects with
 * SSH_ERROR when the channel closed without one (the connection dropped), or ABORTED when
 * `signal` fires.
 */
export function waitChannel(ch: ClientChannel, where: string, signal?: AbortSignal): Promise<ChannelExit> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      try {
        ch.signal('KILL');
      } catch {
        // the server may not support signals; closing the channel is enough
      }
      ch.close();
      reject(new TsmError('ABORTED', 'interrupted', { cause: signal?.reason }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    ch.on('close', () => {
      signal?.removeEventListener('abort', onAbort);
      const exit = exits.get(ch);
      if (exit) resolve(exit);
      else reject(new TsmError('SSH_ERROR', `the SSH connection to ${where} was lost while a command ran`, {
        suggestion: 'check that the host is still up, then retry',
      }));
    });
  });
}

/** Collects a channel's stdout and stderr into buffers (both must be read or the channel stalls). */
export function collect(ch: ClientChannel): { stdout: () => Buffer; stderr: () => Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  ch.on('data', (d: Buffer) => out.push(d));
  ch.stderr.on('data', (d: Buffer) => err.push(d));
  return { stdout: () => Buffer.concat(out), stderr: () => Buffer.concat(err) };
}

/** A terminal whose size can change (a tty.WriteStream, or anything with the same shape). */
interface Resizable {
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface PumpOptions {
  stdin?: Readable;
  stdout: Writable;
  stderr?: Writable;
}

/**
 * Connects local streams to a channel until it closes: stdin -> channel (EOF forwarded),
 * channel stdout/stderr -> stdout/stderr (not ended), and window-change requests when `stdout`
 * emits 'resize'. Unpipes stdin at the end (the caller owns the local streams).
 */
export async function pump(ch: ClientChannel, o: PumpOptions, where: string, signal?: AbortSignal): Promise<number> {
  const term = o.stdout as Writable & Resizable;
  const onResize = () => ch.setWindow(term.rows ?? 24, term.columns ?? 80, 0, 0);
  const hasResize = typeof term.on === 'function' && ('columns' in term || 'rows' in term);
  if (hasResize) term.on!('resize', onResize);
  ch.pipe(o.stdout, { end: false });
  ch.stderr.pipe(o.stderr ?? o.stdout, { end: false });
  if (o.stdin) o.stdin.pipe(ch);
  else ch.end();
  try {
    return (await waitChannel(ch, where, signal)).code;
  } finally {
    if (hasResize) term.off?.('resize', onResize);
    o.stdin?.unpipe(ch);
  }
}
