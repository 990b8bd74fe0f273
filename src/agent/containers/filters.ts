import { badRequest } from '../http/api-error';
import type { ContainerRecord } from './types';

/** Parsed `filters` query: each key with its values. */
export type Filters = Map<string, string[]>;

/**
 * Parses the `filters` query parameter in both shapes clients send:
 * `{"label":{"k=v":true}}` (docker CLI, compose) and `{"label":["k=v"]}` (older clients). Pure.
 */
export function parseFilters(raw: string | null): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw badRequest(`invalid filter: ${raw}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`invalid filter: ${raw}`);
  for (const [k, vals] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(vals)) out.set(k, vals.map(String));
    else if (vals && typeof vals === 'object') out.set(k, Object.entries(vals).filter(([, on]) => on === true).map(([x]) => x));
    else throw badRequest(`invalid filter '${k}'`);
  }
  return out;
}

/** Checks that only `allowed` keys are used (dockerd answers 400 "invalid filter 'x'"). */
export function validateFilterKeys(f: Filters, allowed: readonly string[]): void {
  for (const k of f.keys()) if (!allowed.includes(k)) throw badRequest(`invalid filter '${k}'`);
}

/** Matches `key` or `key=value` filters against a label map. */
export function labelsMatch(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    return i === -1 ? w in labels : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

export const CONTAINER_FILTERS = ['status', 'name', 'id', 'label', 'exited', 'ancestor', 'before', 'since', 'network', 'volume', 'health', 'is-task', 'publish', 'expose'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

function nameMatches(rec: ContainerRecord, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(rec.Name) || new RegExp(pattern).test(rec.Name.slice(1));
  } catch {
    return rec.Name.includes(pattern);
  }
}

/** Whether a container passes every filter (values of one key are ORed, keys are ANDed). */
export function containerMatches(rec: ContainerRecord, f: Filters, imageMatches: (ref: string) => boolean): boolean {
  for (const [key, vals] of f) {
    if (vals.length === 0) continue;
    let ok = true;
    switch (key) {
      case 'status':
        for (const v of vals) if (!STATUSES.includes(v)) throw badRequest(`invalid filter 'status=${v}'`);
        ok = vals.includes(rec.State.Status);
        break;
      case 'name': ok = vals.some((v) => nameMatches(rec, v)); break;
      case 'id': ok = vals.some((v) => rec.Id.startsWith(v)); break;
      case 'label': ok = labelsMatch(rec.Config.Labels ?? {}, vals); break;
      case 'exited': ok = !rec.State.Running && rec.State.Status === 'exited' && vals.some((v) => Number(v) === rec.State.ExitCode); break;
      case 'ancestor': ok = vals.some(imageMatches); break;
      case 'volume': ok = vals.some((v) => (rec.MountPoints ?? []).some((m) => m.Name === v || m.Destination === v || (m.Type === 'bind' && m.Source === v))); break;
      case 'health':
        for (const v of vals) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(v)) throw badRequest(`Unrecognised filter value for health: ${v}`);
        ok = vals.includes(rec.State.Health?.Status ?? 'none');
        break;
      case 'is-task': ok = vals.includes('false'); break;
      case 'network': ok = vals.some((v) => Object.entries(rec.Net?.networks ?? {}).some(([name, e]) => name === v || e.NetworkID === v || (v.length >= 12 && e.NetworkID.startsWith(v)))); break;
      default: ok = true;
    }
    if (!ok) return false;
  }
  return true;
}
