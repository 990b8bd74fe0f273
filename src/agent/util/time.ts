/** Go's zero time as Docker prints it. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 with nanoseconds in UTC, trailing zeros trimmed like Go's time.RFC3339Nano. */
export function rfc3339Nano(epochMs: number, nanos?: number): string {
  const d = new Date(epochMs);
  const base = d.toISOString().slice(0, 19);
  const ns = nanos ?? (epochMs % 1000) * 1e6;
  const frac = ns > 0 ? `.${String(ns).padStart(9, '0')}`.replace(/0+$/, '') : '';
  return `${base}${frac}Z`;
}

export function nowRfc3339(): string {
  const ns = process.hrtime.bigint() % 1000000n;
  const ms = Date.now();
  return rfc3339Nano(ms, (ms % 1000) * 1e6 + Number(ns));
}

/** Docker's units.HumanDuration ("Less than a second", "5 seconds", "About a minute", ...). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(ms / 60000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(ms / 3600000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** Parses Docker's since/until values: unix seconds with an optional fraction, or RFC 3339. Returns ns since epoch. */
export function parseTimestampNs(v: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return BigInt(m[1]) * 1000000000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : BigInt(t) * 1000000n;
}
