/**
 * The agent's logger: one line per event on stderr, `time level message key=value...`.
 * Never log secrets (keys, tokens, registry credentials).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function render(fields?: Record<string, unknown>): string {
  if (!fields) return '';
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
      return ` ${k}=${/[\s"=]/.test(s) ? JSON.stringify(s) : s}`;
    })
    .join('');
}

/** A logger writing to `out` (stderr by default); debug lines only when `debug`. */
export function createLogger(debug: boolean, out: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const write = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (level === 'debug' && !debug) return;
    out(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${render(fields)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
