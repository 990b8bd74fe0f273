/**
 * Registry credentials as the docker CLI sends them in `X-Registry-Auth` (base64url JSON of
 * {username, password, auth, email, serveraddress, identitytoken, registrytoken}) and in the
 * body of POST /auth. Pure. Never log these values.
 */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** A refresh token from an earlier login (OAuth2 refresh_token grant). */
  identitytoken?: string;
  /** A bearer token to use as is. */
  registrytoken?: string;
  serveraddress?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Normalises the CLI's JSON (any key case; `auth` is base64 "user:password"). */
export function authConfigFromJson(raw: unknown): AuthConfig {
  if (!raw || typeof raw !== 'object') return {};
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) o[k.toLowerCase()] = v;
  const out: AuthConfig = {
    username: str(o.username), password: str(o.password), identitytoken: str(o.identitytoken),
    registrytoken: str(o.registrytoken), serveraddress: str(o.serveraddress),
  };
  const auth = str(o.auth);
  if (auth && !out.username) {
    const dec = Buffer.from(auth, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i > 0) { out.username = dec.slice(0, i); out.password = dec.slice(i + 1); }
  }
  return out;
}

/** Decodes an `X-Registry-Auth` header; anything unreadable means anonymous. */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return {};
  try {
    const json = Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    return authConfigFromJson(JSON.parse(json));
  } catch {
    return {};
  }
}

export function hasCredentials(a: AuthConfig): boolean {
  return !!(a.username || a.identitytoken || a.registrytoken);
}
