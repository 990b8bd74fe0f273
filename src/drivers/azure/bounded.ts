import { TsmError } from '../../core/errors';
import type { LroOptions } from './api';

/**
 * Runs one Azure call (often a long-running operation) with a time bound and, when `interrupt`
 * is given, the user's interrupt. The call gets a signal that fires on either; the wait ends on
 * either even if the SDK ignored the signal. Timeout -> TIMEOUT naming `what`; interrupt ->
 * ABORTED. Other errors pass through untouched.
 */
export async function boundedCall<T>(
  what: string,
  timeoutMs: number,
  interrupt: AbortSignal | undefined,
  fn: (o: LroOptions) => Promise<T>,
): Promise<T> {
  if (interrupt?.aborted) throw aborted(what, interrupt.reason);
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  const signal = interrupt ? AbortSignal.any([interrupt, timer.signal]) : timer.signal;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([fn({ signal }), stop]);
  } catch (e) {
    if (interrupt?.aborted) throw aborted(what, e);
    if (timer.signal.aborted) {
      throw new TsmError('TIMEOUT', `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`, {
        cause: e,
        suggestion: 'Azure may still finish it: check the Azure portal (Activity log), then run the command again',
      });
    }
    throw e;
  } finally {
    clearTimeout(t);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    stop.catch(() => undefined);
  }
}

function aborted(what: string, cause: unknown): TsmError {
  return new TsmError('ABORTED', `interrupted while ${what}`, { cause });
}
