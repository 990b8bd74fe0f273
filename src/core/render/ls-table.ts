/**
 * `tsmachine ls` output, as docker-machine prints it: the default table, `--format`
 * (Go template, `table` prefix for aligned columns with headers) and `--quiet`.
 * Pure: the command gathers the rows, these functions only render them.
 */
import type { MachineState } from '../../drivers/driver';
import { renderFormatList } from './format-list';

/** docker-machine's ls Active column: `*` active, `-` not, `* (swarm)` active through its swarm port. */
export type LsActive = '*' | '-' | '* (swarm)';

/** One machine in `ls`. Field names are docker-machine's, so `--format` templates carry over. */
export interface MachineListRow {
  Name: string;
  Active: LsActive;
  /** DOCKER_HOST points at this machine's engine. */
  ActiveHost: boolean;
  /** DOCKER_HOST points at this machine's swarm endpoint. */
  ActiveSwarm: boolean;
  DriverName: string;
  State: MachineState;
  /** `tcp://IP:2376`, '' when not running. */
  URL: string;
  /** Swarm master name, `name (master)` on the master, '' outside a swarm. */
  Swarm: string;
  /** `v28.2.2`, or `Unknown` when the engine did not answer. */
  DockerVersion: string;
  Error: string;
  /** How long querying the machine took, in milliseconds. Templates see Go's duration text (`25ms`). */
  ResponseTime: number;
  /** Engine labels (`k=v`) for `--filter label=`; not a column of the default table. */
  Labels: string[];
}

/** docker-machine's default ls format. */
export const LS_DEFAULT_FORMAT =
  'table {{ .Name }}\t{{ .Active }}\t{{ .DriverName}}\t{{ .State }}\t{{ .URL }}\t{{ .Swarm }}\t{{ .DockerVersion }}\t{{ .Error}}';

/** Header of every field in table mode (docker-machine's names; LABELS is ours). */
export const LS_HEADERS: Readonly<Record<keyof MachineListRow, string>> = Object.freeze({
  Name: 'NAME',
  Active: 'ACTIVE',
  ActiveHost: 'ACTIVE_HOST',
  ActiveSwarm: 'ACTIVE_SWARM',
  DriverName: 'DRIVER',
  State: 'STATE',
  URL: 'URL',
  Swarm: 'SWARM',
  DockerVersion: 'DOCKER',
  Error: 'ERRORS',
  ResponseTime: 'RESPONSE',
  Labels: 'LABELS',
});

export const LS_FIELDS = Object.freeze(Object.keys(LS_HEADERS)) as readonly (keyof MachineListRow)[];

const UNITS: Array<[number, string]> = [
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];

function trimFraction(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Go's time.Duration String() for a number of milliseconds: `0s`, `850µs`, `25ms`, `1.5s`, `2m3s`, `1h0m0s`. */
export function formatGoDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  if (ns < 1e9) {
    const [div, unit] = UNITS.find(([d]) => ns >= d)!;
    return sign + trimFraction(ns / div) + unit;
  }
  const h = Math.floor(ns / 3.6e12);
  const m = Math.floor((ns % 3.6e12) / 6e10);
  const s = trimFraction((ns % 6e10) / 1e9) + 's';
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  if (m > 0) return `${sign}${m}m${s}`;
  return sign + s;
}

/** What a template sees for one row (ResponseTime as Go prints a time.Duration). */
export function lsTemplateData(row: MachineListRow): Record<keyof MachineListRow, unknown> {
  return { ...row, ResponseTime: formatGoDuration(row.ResponseTime) };
}

/** Natural order (`dev2` before `dev10`), case-insensitive: docker-machine's ls order. */
export function naturalCompare(a: string, b: string): number {
  const ca = a.toLowerCase().match(/\d+|\D+/g) ?? [];
  const cb = b.toLowerCase().match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const [x, y] = [ca[i], cb[i]];
    if (x === y) continue;
    const bothNum = /^\d/.test(x) && /^\d/.test(y);
    if (bothNum && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

/** Rows sorted the way docker-machine lists them. Returns a new array. */
export function sortLsRows<T extends Pick<MachineListRow, 'Name'>>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => naturalCompare(a.Name, b.Name));
}

/** `ls --format`: a Go template per row, `table ...` for aligned columns with headers. */
export function renderLsFormat(rows: readonly MachineListRow[], format: string): string {
  return renderFormatList(format, rows.map(lsTemplateData), { headers: LS_HEADERS, fields: LS_FIELDS, listFields: ['Labels'] });
}

/** The default `ls` table: NAME ACTIVE DRIVER STATE URL SWARM DOCKER ERRORS. */
export function renderLsTable(rows: readonly MachineListRow[]): string {
  return renderLsFormat(rows, LS_DEFAULT_FORMAT);
}

/** `ls --quiet`: one name per line. */
export function renderLsQuiet(rows: readonly Pick<MachineListRow, 'Name'>[]): string {
  return rows.map((r) => r.Name + '\n').join('');
}
