import { TsmError } from './errors';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Sleeps `ms`, rejecting with ABORTED when the signal fires. */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function abortError(signal: AbortSignal): TsmError {
  return new TsmError('ABORTED', 'interrupted', { cause: signal.reason });
}

export interface WaitOptions {
  timeoutMs: number;
  /** What is being waited for, named in the timeout error: "SSH on 10.0.0.2:22". */
  what: string;
  intervalMs?: number;
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
}

/**
 * Polls `predicate` until it returns a value other than `undefined`/`false`, or throws TIMEOUT
 * naming `what` and the last error the predicate threw (the reason it was not ready).
 */
export async function waitFor<T>(predicate: () => Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const nap = opts.sleep ?? sleep;
  const deadline = now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    try {
      const v = await predicate();
      if (v !== undefined && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      if (e instanceof TsmError && e.code === 'ABORTED') throw e;
      lastError = e;
    }
    if (now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new TsmError('TIMEOUT', `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}${why}`, {
        cause: lastError,
      });
    }
    await nap(Math.min(opts.intervalMs ?? 200, Math.max(0, deadline - now())), opts.signal);
  }
}
