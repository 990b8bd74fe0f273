/**
 * Lexer for the Go text/template subset tsmachine supports in `--format`.
 * Produces text and action items; an action's inside is split into tokens.
 * Supports `{{- ` / ` -}}` whitespace trimming and `{{/* comments * /}}`.
 */
import { TemplateSyntaxError } from './errors';

export type TokenKind =
  | 'field' // .Name (value without the dot)
  | 'dot' // .
  | 'variable' // $ or $name
  | 'identifier' // function name or keyword
  | 'string' // "..." or `...` (value unquoted)
  | 'char' // 'a' (value = code point as decimal string)
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare' // :=
  | 'assign' // =
  | 'comma';

export interface Token {
  kind: TokenKind;
  value: string;
  /** Offset in the template source, for messages. */
  pos: number;
  /** Whitespace came right before it (`.A .B` are two operands, `.A.B` is one chain). */
  spaced?: boolean;
}

export type Item = { type: 'text'; text: string; pos: number } | { type: 'action'; tokens: Token[]; pos: number };

const LEFT = '{{';
const RIGHT = '}}';
const SPACE = /[ \t\r\n]/;
const ALNUM = /[\p{L}\p{N}_]/u;

function isTrimMarker(src: string, i: number, after: boolean): boolean {
  // `{{- ` needs a space after the dash; ` -}}` needs a space before it.
  return after ? src[i] === '-' && SPACE.test(src[i + 1] ?? '') : src[i] === '-' && SPACE.test(src[i - 1] ?? '');
}

/** Splits the template into text and actions, applying trim markers and dropping comments. */
export function lex(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf(LEFT, i);
    let text = src.slice(i, open === -1 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open === -1) {
      if (text) items.push({ type: 'text', text, pos: i });
      break;
    }
    let start = open + LEFT.length;
    if (isTrimMarker(src, start, true)) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 2;
    }
    if (text) items.push({ type: 'text', text, pos: i });
    const r = lexAction(src, start, open);
    trimNext = r.trimRight;
    if (r.tokens) items.push({ type: 'action', tokens: r.tokens, pos: open });
    i = r.end;
  }
  return items;
}

function lexAction(src: string, start: number, open: number): { tokens?: Token[]; end: number; trimRight: boolean } {
  let j = start;
  while (SPACE.test(src[j] ?? '')) j++;
  if (src.startsWith('/*', j)) {
    const close = src.indexOf('*/', j + 2);
    if (close === -1) throw new TemplateSyntaxError('unclosed comment', open);
    let k = close + 2;
    while (SPACE.test(src[k] ?? '')) k++;
    const trimRight = src[k] === '-' && src.startsWith(RIGHT, k + 1) && k > close + 2;
    if (trimRight) k++;
    if (!src.startsWith(RIGHT, k)) throw new TemplateSyntaxError('comment ends before closing delimiter', open);
    return { end: k + RIGHT.length, trimRight };
  }
  return lexTokens(src, start, open);
}

function lexTokens(src: string, start: number, open: number): { tokens: Token[]; end: number; trimRight: boolean } {
  const tokens: Token[] = [];
  let j = start;
  let spaced = false;
  for (;;) {
    if (j >= src.length) throw new TemplateSyntaxError('unclosed action', open);
    const c = src[j];
    if (isTrimMarker(src, j, false) && src.startsWith(RIGHT, j + 1)) return { tokens, end: j + 1 + RIGHT.length, trimRight: true };
    if (src.startsWith(RIGHT, j)) return { tokens, end: j + RIGHT.length, trimRight: false };
    if (SPACE.test(c)) {
      j++;
      spaced = true;
      continue;
    }
    const t = lexToken(src, j, open);
    tokens.push(spaced ? { ...t.token, spaced } : t.token);
    spaced = false;
    j = t.end;
  }
}

function readWhile(src: string, j: number, re: RegExp): number {
  while (j < src.length && re.test(src[j])) j++;
  return j;
}

function lexToken(src: string, j: number, open: number): { token: Token; end: number } {
  const c = src[j];
  const tok = (kind: TokenKind, value: string, end: number) => ({ token: { kind, value, pos: j }, end });
  if (c === '|') return tok('pipe', '|', j + 1);
  if (c === '(') return tok('lparen', '(', j + 1);
  if (c === ')') return tok('rparen', ')', j + 1);
  if (c === ',') return tok('comma', ',', j + 1);
  if (c === ':' && src[j + 1] === '=') return tok('declare', ':=', j + 2);
  if (c === '=') return tok('assign', '=', j + 1);
  if (c === '"') return lexQuoted(src, j);
  if (c === '`') {
    const close = src.indexOf('`', j + 1);
    if (close === -1) throw new TemplateSyntaxError('unterminated raw quoted string', j);
    return tok('string', src.slice(j + 1, close), close + 1);
  }
  if (c === "'") return lexChar(src, j);
  if (c === '.') {
    if (/[0-9]/.test(src[j + 1] ?? '')) return lexNumber(src, j);
    const end = readWhile(src, j + 1, ALNUM);
    return end === j + 1 ? tok('dot', '.', end) : tok('field', src.slice(j + 1, end), end);
  }
  if (c === '$') {
    const end = readWhile(src, j + 1, ALNUM);
    return tok('variable', src.slice(j, end), end);
  }
  if (/[0-9+-]/.test(c)) return lexNumber(src, j);
  if (ALNUM.test(c)) {
    const end = readWhile(src, j, ALNUM);
    const word = src.slice(j, end);
    if (word === 'true' || word === 'false') return tok('bool', word, end);
    if (word === 'nil') return tok('nil', word, end);
    return tok('identifier', word, end);
  }
  throw new TemplateSyntaxError(`unexpected character ${JSON.stringify(c)} in action started at offset ${open}`, j);
}

function lexNumber(src: string, j: number): { token: Token; end: number } {
  const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(src.slice(j));
  const text = m ? m[0] : '';
  if (!text || !/[0-9]/.test(text)) throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(src.slice(j, j + 10))}`, j);
  const next = src[j + text.length] ?? '';
  if (ALNUM.test(next) || next === '.') throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(text + next)}`, j);
  return { token: { kind: 'number', value: text, pos: j }, end: j + text.length };
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** Decodes one Go escape sequence at src[j] === '\\'; returns the text and the next offset. */
function unescapeAt(src: string, j: number): { text: string; end: number } {
  const e = src[j + 1];
  if (e !== undefined && e in SIMPLE_ESCAPES) return { text: SIMPLE_ESCAPES[e], end: j + 2 };
  const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
  if (hexLen) {
    const hex = src.slice(j + 2, j + 2 + hexLen);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) throw new TemplateSyntaxError(`bad escape \\${e}${hex}`, j);
    return { text: String.fromCodePoint(parseInt(hex, 16)), end: j + 2 + hexLen };
  }
  if (e !== undefined && /[0-7]/.test(e)) {
    const oct = src.slice(j + 1, j + 4);
    if (!/^[0-7]{3}$/.test(oct)) throw new TemplateSyntaxError(`bad octal escape \\${oct}`, j);
    return { text: String.fromCharCode(parseInt(oct, 8)), end: j + 4 };
  }
  throw new TemplateSyntaxError(`unknown escape sequence \\${e ?? ''}`, j);
}

function lexQuoted(src: string, j: number): { token: Token; end: number } {
  let out = '';
  let k = j + 1;
  for (;;) {
    const c = src[k];
    if (c === undefined || c === '\n') throw new TemplateSyntaxError('unterminated quoted string', j);
    if (c === '"') return { token: { kind: 'string', value: out, pos: j }, end: k + 1 };
    if (c === '\\') {
      const u = unescapeAt(src, k);
      out += u.text;
      k = u.end;
      continue;
    }
    out += c;
    k++;
  }
}

function lexChar(src: string, j: number): { token: Token; end: number } {
  let k = j + 1;
  let ch: string;
  if (src[k] === '\\') {
    const u = unescapeAt(src, k);
    ch = u.text;
    k = u.end;
  } else {
    const cp = src.codePointAt(k);
    if (cp === undefined) throw new TemplateSyntaxError('unterminated character constant', j);
    ch = String.fromCodePoint(cp);
    k += ch.length;
  }
  if (src[k] !== "'") throw new TemplateSyntaxError('unterminated character constant', j);
  return { token: { kind: 'char', value: String(ch.codePointAt(0)), pos: j }, end: k + 1 };
}
