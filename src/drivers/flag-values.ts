/**
 * Readers for driver flag values (strings from the command line or the environment), shared by
 * the drivers' config parsers. Each reports a bad value as a Problem naming its flag.
 */
import type { Problem } from '../core/errors';

/** A port to open in a cloud firewall. */
export interface PortSpec {
  port: number;
  protocol: 'tcp' | 'udp';
}

/** A trimmed string, or undefined when the value is missing, empty or `false`. */
export function flagString(v: unknown): string | undefined {
  if (v === undefined || v === null || v === false) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** A list from a repeatable flag, each value possibly a comma list; empty items dropped. */
export function flagList(v: unknown): string[] {
  const items = Array.isArray(v) ? v.map(String) : flagString(v)?.split(',') ?? [];
  return items.map((s) => s.trim()).filter(Boolean);
}

/** A boolean: true/false, 1/0, yes/no (from the environment); anything else is a problem. */
export function flagBool(v: unknown, field: string, problems: Problem[]): boolean {
  if (v === undefined || v === '' || typeof v === 'boolean') return v === true;
  const s = String(v).toLowerCase();
  if (['1', 'true', 'yes'].includes(s)) return true;
  if (['0', 'false', 'no'].includes(s)) return false;
  problems.push({ field, message: `"${String(v)}" is not a boolean`, suggestion: 'use true or false' });
  return false;
}

/** `PORT` or `PORT/tcp|udp` values (repeatable, each may hold a comma list), without duplicates. */
export function flagPorts(v: unknown, field: string, problems: Problem[]): PortSpec[] {
  const out: PortSpec[] = [];
  for (const item of flagList(v)) {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(item);
    const port = m ? Number(m[1]) : NaN;
    if (!m || port < 1 || port > 65535) {
      problems.push({ field, message: `"${item}" is not a port`, suggestion: `use PORT or PORT/tcp|udp, e.g. ${field} 8080/tcp` });
      continue;
    }
    const spec: PortSpec = { port, protocol: (m[2]?.toLowerCase() ?? 'tcp') as PortSpec['protocol'] };
    if (!out.some((p) => p.port === spec.port && p.protocol === spec.protocol)) out.push(spec);
  }
  return out;
}
