import { constants } from 'node:os';

const SIGNALS = constants.signals as Record<string, number>;

/** Parses "SIGTERM", "TERM", "term" or "15" to a signal number; undefined when unknown. */
export function parseSignal(s: string | number | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (typeof s === 'number') return s > 0 && s < 65 ? s : undefined;
  if (/^\d+$/.test(s)) return parseSignal(Number(s));
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  if (/^SIGRTMIN\+\d+$/.test(name)) return 34 + Number(name.split('+')[1]);
  return SIGNALS[name];
}
