/**
 * `ls --filter key=value`, docker-machine's semantics:
 * - keys: driver, state, name, label, swarm (the key is case-insensitive);
 * - the same key repeated matches any of its values (OR); different keys must all match (AND);
 * - driver, state and swarm compare case-insensitively; `state=` matches state None;
 * - name is an unanchored regular expression (Go RE2 syntax; `^dev` for a prefix, a leading
 *   `(?i)` for case-insensitive), not a glob;
 * - label is `label=key=value` (value compared case-insensitively) or `label=key` (has key).
 * Every bad filter is reported at once, as INVALID_FLAG naming `--filter`.
 */
import { throwIfProblems, type Problem } from '../errors';
import type { MachineListRow } from './ls-table';

export const LS_FILTER_KEYS = Object.freeze(['driver', 'label', 'name', 'state', 'swarm'] as const);
export type LsFilterKey = (typeof LS_FILTER_KEYS)[number];

export interface LsFilterSpec {
  driver: string[];
  state: string[];
  name: RegExp[];
  label: Array<{ key: string; value?: string }>;
  swarm: string[];
}

export type LsFilterRow = Pick<MachineListRow, 'Name' | 'DriverName' | 'State' | 'Swarm' | 'Labels'>;

const FLAG = '--filter';
const VALID = `valid filters: ${LS_FILTER_KEYS.map((k) => `${k}=...`).join(', ')}`;

/** Go RE2 leading flag groups (`(?i)`, `(?is)`) become JavaScript flags; the rest is used as is. */
export function compileGoRegexp(source: string): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(source);
  const flags = m ? [...new Set(m[1].replace(/U/g, ''))].join('') : '';
  return new RegExp(m ? source.slice(m[0].length) : source, flags);
}

function addFilter(spec: LsFilterSpec, key: LsFilterKey, value: string, raw: string, problems: Problem[]): void {
  if (key === 'name') {
    try {
      spec.name.push(compileGoRegexp(value));
    } catch (e) {
      problems.push({ field: FLAG, message: `"${raw}": invalid regular expression: ${(e as Error).message}`, suggestion: 'name= takes a regular expression, e.g. name=^dev' });
    }
  } else if (key === 'label') {
    const eq = value.indexOf('=');
    if (value === '' || eq === 0) problems.push({ field: FLAG, message: `"${raw}": label filter needs a key`, suggestion: 'use label=<key> or label=<key>=<value>' });
    else spec.label.push(eq === -1 ? { key: value } : { key: value.slice(0, eq), value: value.slice(eq + 1) });
  } else {
    spec[key].push(value);
  }
}

/** Parses `--filter` values into a spec; throws INVALID_FLAG listing every bad one. */
export function parseLsFilterSpec(filters: readonly string[]): LsFilterSpec {
  const spec: LsFilterSpec = { driver: [], state: [], name: [], label: [], swarm: [] };
  const problems: Problem[] = [];
  for (const raw of filters) {
    const eq = raw.indexOf('=');
    if (eq === -1) {
      problems.push({ field: FLAG, message: `"${raw}": unsupported filter syntax, expected key=value`, suggestion: VALID });
      continue;
    }
    const key = raw.slice(0, eq).toLowerCase();
    if (!(LS_FILTER_KEYS as readonly string[]).includes(key)) {
      problems.push({ field: FLAG, message: `"${raw}": unsupported filter key "${key}"`, suggestion: VALID });
      continue;
    }
    addFilter(spec, key as LsFilterKey, raw.slice(eq + 1), raw, problems);
  }
  throwIfProblems(problems);
  return spec;
}

/** Go's strings.EqualFold, close enough: case-insensitive comparison. */
const sameText = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function anyOrEmpty<T>(values: readonly T[], pred: (v: T) => boolean): boolean {
  return values.length === 0 || values.some(pred);
}

function rowLabels(row: LsFilterRow): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of row.Labels) {
    const eq = l.indexOf('=');
    if (eq === -1) m.set(l, '');
    else m.set(l.slice(0, eq), l.slice(eq + 1));
  }
  return m;
}

/** The swarm master a row belongs to: the Swarm column without its ` (master)` suffix. */
function swarmMaster(row: LsFilterRow): string {
  return row.Swarm.replace(/ \(master\)$/, '');
}

/** True when the row passes every filter of the spec. */
export function matchesLsFilters(row: LsFilterRow, spec: LsFilterSpec): boolean {
  const labels = spec.label.length ? rowLabels(row) : undefined;
  return (
    anyOrEmpty(spec.driver, (d) => sameText(d, row.DriverName)) &&
    anyOrEmpty(spec.state, (s) => sameText(s, row.State) || (s === '' && row.State === 'None')) &&
    anyOrEmpty(spec.name, (re) => re.test(row.Name)) &&
    anyOrEmpty(spec.swarm, (s) => row.Swarm !== '' && sameText(s, swarmMaster(row))) &&
    anyOrEmpty(spec.label, (l) => labels!.has(l.key) && (l.value === undefined || sameText(l.value, labels!.get(l.key)!)))
  );
}

/** `parseLsFilters(['driver=local', 'state=running'])` -> a predicate over rows. */
export function parseLsFilters(filters: readonly string[]): (row: LsFilterRow) => boolean {
  const spec = parseLsFilterSpec(filters);
  return (row) => matchesLsFilters(row, spec);
}
