import type { AuthConfig } from './auth-config';
import type { Challenge } from './www-authenticate';
import { HttpTransport, readBody } from './http-transport';
import { RegistryError, registryErrorText } from './registry-error';

interface CachedToken { header: string; expiresAt: number }

/**
 * Answers a registry's challenge: Basic with the user's credentials, or the Bearer token flow
 * (GET realm?service&scope with Basic credentials, or POST realm with the identity token as
 * an OAuth2 refresh_token grant), taking `token` or `access_token` from the answer. Tokens
 * are cached per scope set until shortly before they expire. Never logs credentials.
 */
export class TokenAuth {
  private readonly cache = new Map<string, CachedToken>();
  private challenge?: Challenge;

  constructor(private readonly creds: AuthConfig, private readonly transport: HttpTransport, private readonly clock: () => number = Date.now) {}

  /** The Authorization header for these scopes, from the last challenge (undefined before any). */
  cached(scopes: readonly string[]): string | undefined {
    if (this.creds.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    const c = this.cache.get(key(scopes));
    return c && c.expiresAt > this.clock() ? c.header : undefined;
  }

  /** Drops the token for these scopes (the registry refused it before its stated expiry). */
  forget(scopes: readonly string[]): void {
    this.cache.delete(key(scopes));
  }

  /** Builds an Authorization header answering `challenges` for `scopes`. */
  async answer(challenges: Challenge[], scopes: readonly string[]): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) this.challenge = bearer;
    if (!bearer && basic) {
      if (!this.creds.username) throw new RegistryError('UNAUTHORIZED', 'unauthorized: authentication required (run docker login)', 401);
      const header = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
      this.cache.set(key(scopes), { header, expiresAt: Number.MAX_SAFE_INTEGER });
      return header;
    }
    if (!bearer) throw new RegistryError('UNAUTHORIZED', `unauthorized: unsupported authentication scheme "${challenges[0]?.scheme ?? 'none'}"`, 401);
    const { token, expiresIn } = await this.fetchToken(bearer, scopes);
    const header = `Bearer ${token}`;
    this.cache.set(key(scopes), { header, expiresAt: this.clock() + Math.max(10, expiresIn - 10) * 1000 });
    return header;
  }

  private async fetchToken(ch: Challenge, scopes: readonly string[]): Promise<{ token: string; expiresIn: number }> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError('UNAUTHORIZED', 'registry sent a Bearer challenge without a realm', 401);
    const url = new URL(realm);
    let res;
    if (this.creds.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.creds.identitytoken, client_id: 'tsagent', access_type: 'offline' });
      if (ch.params.service) form.set('service', ch.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await this.transport.request({ method: 'POST', url: url.toString(), body: Buffer.from(form.toString()), headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } });
    } else {
      if (ch.params.service) url.searchParams.set('service', ch.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (this.creds.username) {
        url.searchParams.set('account', this.creds.username);
        headers.Authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
      }
      res = await this.transport.request({ method: 'GET', url: url.toString(), headers, follow: true });
    }
    const body = await readBody(res, 1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError('UNAUTHORIZED', `unauthorized: the token service at ${url.host} refused the credentials (${registryErrorText(body)})`, 401);
    }
    if (res.status !== 200) throw new RegistryError('UNAUTHORIZED', `token service at ${url.host} answered ${res.status}: ${registryErrorText(body)}`, 401);
    let j: { token?: string; access_token?: string; expires_in?: number };
    try { j = JSON.parse(body.toString('utf8')) as typeof j; } catch { throw new RegistryError('UNAUTHORIZED', `token service at ${url.host} answered with invalid JSON`, 401); }
    const token = j.token || j.access_token;
    if (!token) throw new RegistryError('UNAUTHORIZED', `token service at ${url.host} returned no token`, 401);
    return { token, expiresIn: typeof j.expires_in === 'number' && j.expires_in > 0 ? j.expires_in : 60 };
  }
}

function key(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}
