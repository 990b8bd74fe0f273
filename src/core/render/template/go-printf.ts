/**
 * A subset of Go's fmt.Sprintf for `printf` in templates: flags `-+# 0`, width and precision
 * (also `*`), verbs v s q d t f F e E g G x X o b c and %%. Mismatches are reported in
 * the output the way Go does: `%!d(string=abc)`, `%!s(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`.
 */
import { goExponent, goFloat, goQuote, goTypeName, printValue } from './go-value';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
  verb: string;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function bad(spec: Spec, v: unknown): string {
  return v === null || v === undefined ? `%!${spec.verb}(<nil>)` : `%!${spec.verb}(${goTypeName(v)}=${printValue(v)})`;
}

function padTo(s: string, spec: Spec, numeric: boolean): string {
  const len = [...s].length;
  if (spec.width === undefined || len >= spec.width) return s;
  const n = spec.width - len;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function signed(s: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + s;
  if (spec.plus) return '+' + s;
  if (spec.space) return ' ' + s;
  return s;
}

function formatInt(n: number, spec: Spec): string {
  const abs = Math.abs(n);
  const radix: Record<string, number> = { d: 10, x: 16, X: 16, o: 8, b: 2 };
  let digits = abs.toString(radix[spec.verb]);
  if (spec.verb === 'X') digits = digits.toUpperCase();
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  if (spec.sharp) digits = ({ x: '0x', X: '0X', o: '0', b: '' }[spec.verb] ?? '') + digits;
  return padTo(signed(digits, n < 0, spec), spec, spec.prec === undefined);
}

function formatFloat(n: number, spec: Spec): string {
  const abs = Math.abs(n);
  let s: string;
  const v = spec.verb.toLowerCase();
  if (!Number.isFinite(n)) s = Number.isNaN(n) ? 'NaN' : 'Inf';
  else if (v === 'f') s = abs.toFixed(spec.prec ?? 6);
  else if (v === 'e') s = goExponent(abs.toExponential(spec.prec ?? 6));
  else s = spec.prec === undefined ? goFloat(abs) : goGPrec(abs, spec.prec);
  if (spec.verb === 'E' || spec.verb === 'G') s = s.toUpperCase();
  const negative = n < 0 || Object.is(n, -0);
  return padTo(signed(s, negative && !Number.isNaN(n), spec), spec, Number.isFinite(n));
}

function goGPrec(abs: number, prec: number): string {
  const p = prec === 0 ? 1 : prec;
  const exp = abs === 0 ? 0 : Math.floor(Math.log10(abs));
  if (exp < -4 || exp >= p) return goExponent(abs.toExponential(p - 1).replace(/\.?0+e/, 'e'));
  return String(Number(abs.toPrecision(p)));
}

function formatString(s: string, spec: Spec): string {
  const cut = spec.prec === undefined ? s : [...s].slice(0, spec.prec).join('');
  return padTo(cut, spec, false);
}

function hexString(s: string, upper: boolean, spec: Spec): string {
  const hex = Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, '0')).join('');
  return padTo(upper ? hex.toUpperCase() : hex, spec, false);
}

/** %s: strings as is, lists element by element, maps as %v; numbers, bools and nil are mismatches. */
function formatS(spec: Spec, v: unknown): string {
  if (typeof v === 'string') return formatString(v, spec);
  if (Array.isArray(v)) return `[${v.map((x) => formatArg(spec, x)).join(' ')}]`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return bad(spec, v);
  return formatString(printValue(v), spec);
}

/** Formats one argument for one verb. */
function formatArg(spec: Spec, v: unknown): string {
  const verb = spec.verb;
  if (Array.isArray(v) && verb !== 'v' && verb !== 'q' && verb !== 's') return `[${v.map((x) => formatArg(spec, x)).join(' ')}]`;
  if (verb === 'v') return padTo(typeof v === 'number' && !isInt(v) ? formatFloat(v, { ...spec, verb: 'g' }) : printValue(v), spec, typeof v === 'number');
  if (verb === 's') return formatS(spec, v);
  if (verb === 'q') return typeof v === 'string' ? padTo(goQuote(v), spec, false) : isInt(v) ? padTo(`'${String.fromCodePoint(v)}'`, spec, false) : bad(spec, v);
  if (verb === 't') return typeof v === 'boolean' ? padTo(String(v), spec, false) : bad(spec, v);
  if (verb === 'c') return isInt(v) ? padTo(String.fromCodePoint(v), spec, false) : bad(spec, v);
  if ('dob'.includes(verb)) return isInt(v) ? formatInt(v, spec) : bad(spec, v);
  if (verb === 'x' || verb === 'X') return isInt(v) ? formatInt(v, spec) : typeof v === 'string' ? hexString(v, verb === 'X', spec) : bad(spec, v);
  if ('fFeEgG'.includes(verb)) return typeof v === 'number' ? formatFloat(v, spec) : bad(spec, v);
  return bad(spec, v);
}

/** Reads flags, width and precision at format[i]; returns the spec and the next offset. */
function readSpec(format: string, i: number, takeArg: () => unknown): { spec: Spec; end: number } {
  const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, verb: '' };
  const flags: Record<string, keyof Spec> = { '-': 'minus', '+': 'plus', '#': 'sharp', ' ': 'space', '0': 'zero' };
  while (format[i] in flags) (spec[flags[format[i++]]] as boolean) = true;
  const num = (): number | undefined => {
    if (format[i] === '*') {
      i++;
      const a = takeArg();
      return isInt(a) ? a : undefined;
    }
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  spec.width = num();
  if (spec.width !== undefined && spec.width < 0) [spec.minus, spec.width] = [true, -spec.width];
  if (format[i] === '.') {
    i++;
    spec.prec = num() ?? 0;
  }
  const cp = format.codePointAt(i);
  spec.verb = cp === undefined ? '' : String.fromCodePoint(cp);
  return { spec, end: i + spec.verb.length };
}

/** Go's fmt.Sprintf for the supported verbs. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  const takeArg = () => (argi < args.length ? args[argi++] : undefined);
  for (let i = 0; i < format.length; ) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    const { spec, end } = readSpec(format, pct + 1, takeArg);
    i = end;
    if (spec.verb === '') out += '%!(NOVERB)';
    else if (spec.verb === '%') out += '%';
    else if (argi >= args.length) out += `%!${spec.verb}(MISSING)`;
    else out += formatArg(spec, args[argi++]);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a == null ? '<nil>' : `${goTypeName(a)}=${printValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(a);
  });
  return out;
}

/** fmt.Sprintln: always spaces, and a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(printValue).join(' ') + '\n';
}
