/**
 * A small token service for a registry's bearer-token realm (the Docker token protocol):
 * GET /token?service&scope&account with Basic credentials, or POST /token with an OAuth2
 * password or refresh_token grant. Issues RS256 JWTs whose `x5c` header carries a
 * self-signed certificate the registry trusts (its rootcertbundle). Policy: known users get
 * pull and push everywhere; anonymous clients get pull on `public/*` only.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface TokenRequestLog {
  method: string;
  scopes: string[];
  account?: string;
  grant?: string;
  ok: boolean;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class TokenService {
  readonly requests: TokenRequestLog[] = [];
  readonly service = 'tsm-test-registry';
  readonly issuer = 'tsm-test-issuer';
  private server?: http.Server;
  private readonly refreshTokens = new Map<string, string>();
  private readonly key: ReturnType<typeof createPrivateKey>;
  private readonly certDer: Buffer;
  port = 0;

  /** Makes a key and a self-signed certificate in `dir` (cert.pem is the registry's rootcertbundle). */
  constructor(readonly dir: string, readonly users: Record<string, string>) {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'token-key.pem'), '-out', join(dir, 'token-cert.pem'), '-days', '2', '-subj', '/CN=tsm-token-signer']);
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr.toString()}`);
    this.key = createPrivateKey(readFileSync(join(dir, 'token-key.pem')));
    this.certDer = new X509Certificate(readFileSync(join(dir, 'token-cert.pem'))).raw;
  }

  get certFile(): string {
    return join(this.dir, 'token-cert.pem');
  }

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((r) => { this.server?.closeAllConnections(); this.server?.close(() => r()); if (!this.server) r(); });
  }

  private sign(account: string | undefined, scopes: string[]): string {
    const access = scopes.flatMap((s) => {
      const [type, name, actions] = s.split(':');
      if (type !== 'repository' || !name) return [];
      const allowed = (actions ?? '').split(',').filter((a) => (account ? ['pull', 'push', 'delete', '*'].includes(a) : a === 'pull' && name.startsWith('public/')));
      return allowed.length ? [{ type, name, actions: allowed }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [this.certDer.toString('base64')] };
    const claims = { iss: this.issuer, sub: account ?? '', aud: this.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(this.key);
    return `${input}.${b64url(sig)}`;
  }

  private basicUser(req: http.IncomingMessage): string | undefined | null {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Basic (.+)$/.exec(h);
    if (!m) return null;
    const [u, ...rest] = Buffer.from(m[1], 'base64').toString().split(':');
    return this.users[u] !== undefined && this.users[u] === rest.join(':') ? u : null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (url.pathname !== '/token') return send(404, { error: 'not found' });
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      const grant = form.get('grant_type') ?? '';
      let account: string | undefined;
      if (grant === 'password' && this.users[form.get('username') ?? ''] === form.get('password')) account = form.get('username')!;
      if (grant === 'refresh_token') account = this.refreshTokens.get(form.get('refresh_token') ?? '');
      this.requests.push({ method: 'POST', scopes, account, grant, ok: !!account });
      if (!account) return send(401, { error: 'invalid_grant' });
      const refresh = randomBytes(16).toString('hex');
      this.refreshTokens.set(refresh, account);
      return send(200, { access_token: this.sign(account, scopes), expires_in: 300, refresh_token: refresh, scope: scopes.join(' ') });
    }
    const scopes = url.searchParams.getAll('scope');
    const user = this.basicUser(req);
    this.requests.push({ method: 'GET', scopes, account: user ?? undefined, ok: user !== null });
    if (user === null) return send(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    return send(200, { token: this.sign(user, scopes), expires_in: 300, issued_at: new Date().toISOString() });
  }

  /** A refresh token for `user` (what an identity-token login would have stored). */
  identityToken(user: string): string {
    const t = randomBytes(16).toString('hex');
    this.refreshTokens.set(t, user);
    return t;
  }
}
