/**
 * How JavaScript values behave as Go template values: printing (fmt's %v), truth,
 * Go-ish type names for messages, and map/struct access.
 *
 * Mapping: string/number/boolean are Go basic kinds (integers print as ints, other numbers
 * as float64); arrays are slices (`[a b]`); `Map` instances and plain objects are maps
 * (`map[k:v]`, keys sorted as Go does). `undefined` is Go's "no value" (a missing map key)
 * and prints `<no value>`; `null` is nil and prints `<nil>`.
 */

export type MapLike = Map<unknown, unknown> | Record<string, unknown>;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Map) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isMapLike(v: unknown): v is MapLike {
  return v instanceof Map || isPlainObject(v);
}

/** Entries of a map-like value, sorted by key like Go's fmt and range. */
export function sortedEntries(v: MapLike): Array<[unknown, unknown]> {
  const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Go's type name of a value, for messages like `%!d(string=abc)`. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMapLike(v)) return 'map[string]interface {}';
  if (typeof v === 'function') return 'func';
  return (v as object).constructor?.name ?? 'object';
}

/** Go's %v for a float64 (strconv 'g' with the shortest precision, %e past exponent 21). */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) return goExponent(n.toExponential());
  return String(n);
}

/** JS exponent text (`1.5e-7`) to Go's (`1.5e-07`). */
export function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** fmt.Sprint-like printing of one value (the %v verb). */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(printNested).join(' ')}]`;
  if (isMapLike(v)) return `map[${sortedEntries(v).map(([k, x]) => `${printNested(k)}:${printNested(x)}`).join(' ')}]`;
  return String(v);
}

function printNested(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : printValue(v);
}

/** Go template truth: false, 0, "", nil, empty slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Converts a value for JSON output: Maps become objects, undefined becomes null. */
export function toJsonValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), toJsonValue(x)]));
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  return v;
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}
