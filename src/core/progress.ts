/**
 * Progress events the core emits during long operations. Library code never prints: commands
 * render these (a spinner on a TTY, plain lines otherwise).
 */
export type ProgressEvent =
  | { kind: 'step'; step: string; message: string }
  | { kind: 'done'; step: string; message: string; ms: number }
  | { kind: 'info'; message: string }
  | { kind: 'warn'; message: string };

export type ProgressSink = (e: ProgressEvent) => void;

export const silentProgress: ProgressSink = () => undefined;

/** Runs `fn` as a named step, emitting step/done events with its duration. */
export async function step<T>(sink: ProgressSink, step: string, message: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  sink({ kind: 'step', step, message });
  const v = await fn();
  sink({ kind: 'done', step, message, ms: Date.now() - t0 });
  return v;
}
