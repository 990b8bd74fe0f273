/**
 * Healthcheck configuration and state as dockerd keeps them: the merge of the request's
 * Healthcheck with the image's, dockerd's checks, and the state machine for probe results
 * (starting → healthy / unhealthy, FailingStreak, the last 5 log entries). Pure.
 */
import { badRequest } from '../http/api-error';

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthLogEntry { Start: string; End: string; ExitCode: number; Output: string }

export interface HealthState { Status: HealthStatus; FailingStreak: number; Log: HealthLogEntry[] }

export const DEFAULT_INTERVAL_NS = 30e9;
export const DEFAULT_TIMEOUT_NS = 30e9;
export const DEFAULT_START_INTERVAL_NS = 5e9;
export const DEFAULT_RETRIES = 3;
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT = 4096;

/** dockerd's merge: no user Healthcheck means the image's; empty fields come from the image. */
export function mergeHealthcheck(user: unknown, image: unknown): HealthConfig | undefined {
  const u = user as HealthConfig | undefined | null;
  const i = image as HealthConfig | undefined | null;
  if (!u) return i ?? undefined;
  if (!i) return u;
  return {
    ...u,
    Test: u.Test && u.Test.length ? u.Test : i.Test,
    Interval: u.Interval || i.Interval,
    Timeout: u.Timeout || i.Timeout,
    StartPeriod: u.StartPeriod || i.StartPeriod,
    StartInterval: u.StartInterval || i.StartInterval,
    Retries: u.Retries || i.Retries,
  };
}

/** dockerd's checks of a Healthcheck (400 with its messages). */
export function validateHealthcheck(hc: unknown): void {
  if (hc === undefined || hc === null) return;
  if (typeof hc !== 'object') throw badRequest('invalid Healthcheck: expected an object');
  const h = hc as Record<string, unknown>;
  if (h.Test != null && !(Array.isArray(h.Test) && h.Test.every((t) => typeof t === 'string'))) throw badRequest('invalid Healthcheck.Test: expected a list of strings');
  const test = (h.Test as string[] | null | undefined) ?? [];
  if (test.length && !['NONE', 'CMD', 'CMD-SHELL'].includes(test[0])) {
    throw badRequest(`invalid Healthcheck.Test: the first element must be NONE, CMD or CMD-SHELL, not "${test[0]}"`);
  }
  if (test.length === 1 && test[0] !== 'NONE') throw badRequest(`invalid Healthcheck.Test: ${test[0]} needs a command`);
  for (const [key, name] of [['Interval', 'Interval'], ['Timeout', 'Timeout'], ['StartPeriod', 'StartPeriod'], ['StartInterval', 'StartInterval']] as const) {
    const v = h[key];
    if (v === undefined || v === null || v === 0) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`invalid Healthcheck.${key}: expected nanoseconds`);
    if (v < 1e6) throw badRequest(`${name} in Healthcheck cannot be less than 1ms`);
  }
  const r = h.Retries;
  if (r !== undefined && r !== null && (typeof r !== 'number' || !Number.isInteger(r))) throw badRequest('invalid Healthcheck.Retries: expected an integer');
  if (typeof r === 'number' && r < 0) throw badRequest('Retries in Healthcheck cannot be negative');
}

export interface Probe { argv: string[]; intervalMs: number; timeoutMs: number; startPeriodMs: number; startIntervalMs: number; retries: number }

/** The probe to run, or undefined when there is none (no Test, or NONE / --no-healthcheck). */
export function probeOf(hc: HealthConfig | undefined | null): Probe | undefined {
  const test = hc?.Test ?? [];
  if (!test.length || test[0] === 'NONE') return undefined;
  const argv = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test.slice(1);
  const ms = (ns: number | undefined, d: number) => Math.max(1, Math.round((ns || d) / 1e6));
  return {
    argv,
    intervalMs: ms(hc!.Interval, DEFAULT_INTERVAL_NS),
    timeoutMs: ms(hc!.Timeout, DEFAULT_TIMEOUT_NS),
    startPeriodMs: Math.round((hc!.StartPeriod ?? 0) / 1e6),
    startIntervalMs: ms(hc!.StartInterval, DEFAULT_START_INTERVAL_NS),
    retries: hc!.Retries || DEFAULT_RETRIES,
  };
}

export function initialHealth(): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: [] };
}

/**
 * Applies one probe result as dockerd does: success makes it healthy and resets the streak;
 * a failure inside the start period while still starting is not counted; otherwise the
 * streak grows and reaching `retries` makes it unhealthy. Returns the new state.
 */
export function applyResult(state: HealthState, entry: HealthLogEntry, retries: number, inStartPeriod: boolean): HealthState {
  const log = [...state.Log, { ...entry, Output: entry.Output.slice(0, MAX_OUTPUT) }].slice(-MAX_LOG_ENTRIES);
  if (entry.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  if (inStartPeriod && state.Status === 'starting') return { ...state, Log: log };
  const streak = state.FailingStreak + 1;
  return { Status: streak >= retries ? 'unhealthy' : state.Status, FailingStreak: streak, Log: log };
}

/** The suffix `docker ps` shows after "Up ...". */
export function healthSuffix(state: HealthState | undefined): string {
  if (!state) return '';
  return state.Status === 'starting' ? ' (health: starting)' : ` (${state.Status})`;
}
