/**
 * Parses `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="...",service="...",scope="..."`
 * or `Basic realm="..."`. Several challenges may share one header. Pure.
 */
export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic", ... */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

function readToken(s: string, pos: { i: number }): string | undefined {
  TOKEN.lastIndex = pos.i;
  const m = TOKEN.exec(s);
  if (!m) return undefined;
  pos.i = TOKEN.lastIndex;
  return m[0];
}

function skipSpace(s: string, pos: { i: number }): void {
  while (pos.i < s.length && /[\s]/.test(s[pos.i])) pos.i++;
}

function readQuoted(s: string, pos: { i: number }): string {
  let out = '';
  pos.i++; // opening quote
  while (pos.i < s.length && s[pos.i] !== '"') {
    if (s[pos.i] === '\\' && pos.i + 1 < s.length) pos.i++;
    out += s[pos.i++];
  }
  pos.i++; // closing quote
  return out;
}

/** Reads `key=value` pairs after a scheme; stops at the start of the next challenge. */
function readParams(s: string, pos: { i: number }): Record<string, string> {
  const params: Record<string, string> = {};
  for (;;) {
    skipSpace(s, pos);
    const save = pos.i;
    const key = readToken(s, pos);
    if (!key) break;
    skipSpace(s, pos);
    if (s[pos.i] !== '=') { pos.i = save; break; } // a new scheme
    pos.i++;
    skipSpace(s, pos);
    params[key.toLowerCase()] = s[pos.i] === '"' ? readQuoted(s, pos) : (readToken(s, pos) ?? '');
    skipSpace(s, pos);
    if (s[pos.i] === ',') pos.i++;
  }
  return params;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const headers = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const h of headers) {
    const pos = { i: 0 };
    for (;;) {
      skipSpace(h, pos);
      while (h[pos.i] === ',') { pos.i++; skipSpace(h, pos); }
      const scheme = readToken(h, pos);
      if (!scheme) break;
      out.push({ scheme: scheme.toLowerCase(), params: readParams(h, pos) });
    }
  }
  return out;
}
