/**
 * Template functions: Go's builtins (and, or, not, len, index, slice, print, printf, println,
 * eq, ne, lt, le, gt, ge, html, urlquery), docker-machine's inspect functions (json,
 * prettyjson) and the docker CLI's string helpers (join, split, upper, lower, title).
 * `and` and `or` short-circuit, so the executor handles them itself.
 */
import { TemplateExecError } from './errors';
import { sprint, sprintf, sprintln } from './go-printf';
import { goTypeName, isPlainObject, printValue, toJsonValue, truth } from './go-value';

/** A template function. Arguments arrive evaluated; a thrown Error aborts the template. */
export type TemplateFunc = (...args: unknown[]) => unknown;

export interface FuncDef {
  fn: TemplateFunc;
  /** Exact number of arguments, or a minimum when `variadic`. */
  arity: number;
  variadic?: boolean;
}

function str(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new TemplateExecError(`${name}: expected a string, got ${goTypeName(v)} ${printValue(v)}`);
  return v;
}

function basicKind(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v;
  throw new TemplateExecError(`invalid type for comparison: ${goTypeName(v)}`);
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  const ka = basicKind(a);
  return rest.some((b) => {
    const kb = basicKind(b);
    if (ka === 'nil' || kb === 'nil') return ka === kb;
    if (ka !== kb) throw new TemplateExecError(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
    return a === b;
  });
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) throw new TemplateExecError(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  if (ka !== 'number' && ka !== 'string') throw new TemplateExecError(`invalid type for comparison: ${goTypeName(a)}`);
  return (a as number | string) < (b as number | string);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new TemplateExecError(`cannot index slice/array with type ${goTypeName(k)}`);
      if (k < 0 || k >= v.length) throw new TemplateExecError(`index out of range: ${k}`);
      v = typeof v === 'string' ? new TextEncoder().encode(v)[k] : v[k];
    } else if (v instanceof Map) {
      // A missing key gives the zero value of interface{}: nil, as Go's index does.
      v = v.has(k) ? v.get(k) : null;
    } else if (isPlainObject(v)) {
      v = Object.prototype.hasOwnProperty.call(v, String(k)) ? v[String(k)] : null;
    } else if (v === null || v === undefined) {
      throw new TemplateExecError('index of untyped nil');
    } else {
      throw new TemplateExecError(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function len(v: unknown): number {
  if (typeof v === 'string') return new TextEncoder().encode(v).length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new TemplateExecError(`len of type ${goTypeName(v)}`);
}

function slice(v: unknown, ...idx: unknown[]): unknown {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new TemplateExecError(`can't slice item of type ${goTypeName(v)}`);
  if (idx.length > 2) throw new TemplateExecError('too many slice indexes');
  const [from = 0, to = v.length] = idx as number[];
  if (![from, to].every((n) => Number.isInteger(n)) || from < 0 || to < from || to > v.length) throw new TemplateExecError(`slice index out of range: ${from}:${to}`);
  return v.slice(from, to);
}

function json(indent: string | undefined) {
  return (v: unknown): string => JSON.stringify(toJsonValue(v), null, indent) ?? 'null';
}

function join(list: unknown, sep: unknown): string {
  if (!Array.isArray(list)) throw new TemplateExecError(`join: expected a list, got ${goTypeName(list)}`);
  return list.map(printValue).join(str('join', sep));
}

const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' };

export const BUILTIN_FUNCS: Readonly<Record<string, FuncDef>> = {
  and: { fn: () => undefined, arity: 1, variadic: true },
  or: { fn: () => undefined, arity: 1, variadic: true },
  not: { fn: (v) => !truth(v), arity: 1 },
  len: { fn: len, arity: 1 },
  index: { fn: index, arity: 1, variadic: true },
  slice: { fn: slice, arity: 1, variadic: true },
  print: { fn: (...a) => sprint(a), arity: 0, variadic: true },
  printf: { fn: (f, ...a) => sprintf(str('printf', f), a), arity: 1, variadic: true },
  println: { fn: (...a) => sprintln(a), arity: 0, variadic: true },
  eq: { fn: eq, arity: 2, variadic: true },
  ne: { fn: (a, b) => !eq(a, b), arity: 2 },
  lt: { fn: lt, arity: 2 },
  le: { fn: (a, b) => lt(a, b) || eq(a, b), arity: 2 },
  gt: { fn: (a, b) => !lt(a, b) && !eq(a, b), arity: 2 },
  ge: { fn: (a, b) => !lt(a, b), arity: 2 },
  html: { fn: (...a) => sprint(a).replace(/[<>&'"\0]/g, (c) => HTML_ESCAPES[c]), arity: 0, variadic: true },
  urlquery: { fn: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()), arity: 0, variadic: true },
  json: { fn: json(undefined), arity: 1 },
  prettyjson: { fn: json('    '), arity: 1 },
  join: { fn: join, arity: 2 },
  split: { fn: (s, sep) => str('split', s).split(str('split', sep)), arity: 2 },
  upper: { fn: (s) => str('upper', s).toUpperCase(), arity: 1 },
  lower: { fn: (s) => str('lower', s).toLowerCase(), arity: 1 },
  title: { fn: (s) => str('title', s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()), arity: 1 },
};

/** Checks the number of arguments like Go does, then calls. */
export function callFunc(name: string, def: FuncDef, args: unknown[]): unknown {
  const ok = def.variadic ? args.length >= def.arity : args.length === def.arity;
  if (!ok) throw new TemplateExecError(`wrong number of args for ${name}: want ${def.variadic ? 'at least ' : ''}${def.arity} got ${args.length}`);
  try {
    return def.fn(...args);
  } catch (e) {
    if (e instanceof TemplateExecError) throw new TemplateExecError(`error calling ${name}: ${e.message}`, e.kind, e.suggestion);
    throw new TemplateExecError(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
