import type { Readable } from 'node:stream';
import type { AuthConfig } from './auth-config';
import { HttpTransport, readBody, discard, type HttpResponse } from './http-transport';
import type { RegistryEndpoint } from './registry-endpoint';
import { RegistryError, registryErrorText, registryErrorCodes } from './registry-error';
import { TokenAuth } from './token-auth';
import { parseChallenges } from './www-authenticate';
import { MANIFEST_ACCEPT } from './manifest';
import { sha256Digest } from '../util/ids';

export const USER_AGENT = 'tsagent/0.1.0 (linux)';

export interface CallOptions {
  method: string;
  /** Path below the registry root (`/v2/...`) or an absolute URL (upload locations). */
  path: string;
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** A factory so the body can be sent again after an auth challenge. */
  body?: () => Buffer | Readable;
  /** When a streamed body cannot be replayed, the caller authenticates first (see `authenticate`). */
  follow?: boolean;
}

export const pullScope = (repo: string) => `repository:${repo}:pull`;
export const pushScope = (repo: string) => `repository:${repo}:pull,push`;

/**
 * Talks the Registry HTTP API v2 (OCI distribution) to one registry: scheme selection
 * (insecure registries: HTTPS without verification, else plain HTTP), authentication on
 * demand, manifests and blobs. Every answer is checked; failures are RegistryErrors.
 */
export class RegistryClient {
  private readonly transport: HttpTransport;
  private readonly auth: TokenAuth;
  private base?: Promise<string>;

  constructor(readonly endpoint: RegistryEndpoint, creds: AuthConfig) {
    this.transport = new HttpTransport(endpoint);
    this.auth = new TokenAuth(creds, this.transport);
  }

  close(): void {
    this.transport.close();
  }

  /** scheme://host, probing HTTPS first for insecure registries. */
  baseUrl(): Promise<string> {
    this.base ??= this.probe();
    return this.base;
  }

  private async probe(): Promise<string> {
    const https = `https://${this.endpoint.host}`;
    if (!this.endpoint.insecure) return https;
    try {
      discard(await this.transport.request({ method: 'GET', url: `${https}/v2/`, headers: { 'User-Agent': USER_AGENT } }));
      return https;
    } catch (e) {
      if (e instanceof RegistryError && (e.code === 'TLS' || e.code === 'CONNECT')) return `http://${this.endpoint.host}`;
      throw e;
    }
  }

  /** Forgets the cached token for `scopes`: the next request gets a new one. */
  forgetToken(scopes: readonly string[]): void {
    this.auth.forget(scopes);
  }

  /** Makes sure a token for `scopes` is cached (before sending bodies that cannot be replayed). */
  async authenticate(scopes: readonly string[]): Promise<void> {
    if (this.auth.cached(scopes)) return;
    const res = await this.call({ method: 'GET', path: '/v2/', scopes });
    discard(res);
    if (res.status === 401) throw new RegistryError('UNAUTHORIZED', `unauthorized: authentication required for ${this.endpoint.name}`, 401);
  }

  async call(o: CallOptions): Promise<HttpResponse> {
    const url = o.path.startsWith('http') ? o.path : `${await this.baseUrl()}${o.path}`;
    const send = (authz?: string) => this.transport.request({
      method: o.method, url, follow: o.follow, body: o.body?.(),
      headers: { 'User-Agent': USER_AGENT, ...(o.headers ?? {}), ...(authz ? { Authorization: authz } : {}) },
    });
    let res = await send(this.auth.cached(o.scopes));
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers['www-authenticate']);
    discard(res);
    if (challenges.length === 0) throw new RegistryError('UNAUTHORIZED', `unauthorized: ${this.endpoint.name} answered 401 without a challenge`, 401);
    res = await send(await this.auth.answer(challenges, o.scopes));
    return res;
  }

  /** Throws the RegistryError for a failed answer (reads its body). */
  async fail(res: HttpResponse, what: string): Promise<never> {
    const body = await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));
    const text = registryErrorText(body);
    const codes = registryErrorCodes(body);
    if (res.status === 401) throw new RegistryError('UNAUTHORIZED', `${what}: unauthorized: ${text}`, 401);
    if (res.status === 403 || codes.includes('DENIED')) throw new RegistryError('DENIED', `${what}: denied: ${text}`, 403);
    if (res.status === 404) throw new RegistryError('NOT_FOUND', `${what}: ${text}`, 404);
    throw new RegistryError('HTTP', `${what}: registry answered ${res.status}: ${text}`, 500);
  }

  /** GET a manifest by tag or digest: its bytes, media type and sha256 digest (of the bytes). */
  async getManifest(repo: string, ref: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const res = await this.call({ method: 'GET', path: `/v2/${repo}/manifests/${ref}`, scopes: [pullScope(repo)], headers: { Accept: MANIFEST_ACCEPT }, follow: true });
    if (res.status !== 200) await this.fail(res, `manifest for ${this.endpoint.name}/${repo}:${ref}`);
    const bytes = await readBody(res, 4 * 1024 * 1024);
    const digest = sha256Digest(bytes);
    return { bytes, mediaType: String(res.headers['content-type'] ?? '').split(';')[0], digest };
  }

  /** GET a blob from `offset` (Range; a 200 means the registry sent it whole). Follows redirects. */
  async getBlob(repo: string, digest: string, offset = 0): Promise<{ res: HttpResponse; offset: number }> {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.call({ method: 'GET', path: `/v2/${repo}/blobs/${digest}`, scopes: [pullScope(repo)], headers, follow: true });
    if (res.status === 206) return { res, offset };
    if (res.status === 200) return { res, offset: 0 };
    if (res.status === 416 && offset > 0) { discard(res); return this.getBlob(repo, digest, 0); }
    return this.fail(res, `blob ${digest} of ${this.endpoint.name}/${repo}`);
  }

  /** The blob's size when the repository has it, else undefined. */
  async headBlob(repo: string, digest: string, scopes: readonly string[]): Promise<number | undefined> {
    const res = await this.call({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, scopes, follow: true });
    if (res.status === 200 || res.status === 404) discard(res);
    if (res.status === 200) return Number(res.headers['content-length'] ?? 0);
    if (res.status === 404) return undefined;
    return this.fail(res, `checking blob ${digest} in ${this.endpoint.name}/${repo}`);
  }

  /** Cross-repository mount: true when mounted, else the upload location the registry opened instead. */
  async mountBlob(repo: string, digest: string, from: string, scopes: readonly string[]): Promise<true | string> {
    const res = await this.call({ method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, scopes, headers: { 'Content-Length': '0' } });
    if (res.status === 201) { discard(res); return true; }
    if (res.status === 202 && res.headers.location) { discard(res); return this.absolute(String(res.headers.location)); }
    return this.fail(res, `mounting ${digest} from ${from} into ${this.endpoint.name}/${repo}`);
  }

  /** Opens an upload session; returns its absolute location. */
  async startUpload(repo: string, scopes: readonly string[]): Promise<string> {
    const res = await this.call({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, scopes, headers: { 'Content-Length': '0' } });
    if (res.status === 202 && res.headers.location) discard(res);
    if (res.status !== 202 || !res.headers.location) return this.fail(res, `starting an upload to ${this.endpoint.name}/${repo}`);
    return this.absolute(String(res.headers.location));
  }

  /** Sends one chunk with PATCH; returns the next location. */
  async patchChunk(location: string, body: Buffer | Readable, range: { start: number; length?: number }, scopes: readonly string[]): Promise<string> {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (range.length !== undefined) {
      headers['Content-Length'] = String(range.length);
      headers['Content-Range'] = `${range.start}-${range.start + range.length - 1}`;
    }
    const res = await this.call({ method: 'PATCH', path: location, scopes, headers, body: () => body });
    if (res.status !== 202 || !res.headers.location) return this.fail(res, 'uploading a chunk');
    discard(res);
    return this.absolute(String(res.headers.location));
  }

  /** Completes an upload (optionally with the last bytes: a monolithic upload). */
  async completeUpload(location: string, digest: string, scopes: readonly string[], body?: Buffer): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const res = await this.call({
      method: 'PUT', path: url.toString(), scopes, body: () => body ?? Buffer.alloc(0),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body?.length ?? 0) },
    });
    if (res.status !== 201) await this.fail(res, `completing the upload of ${digest}`);
    discard(res);
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports (or computes). */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string, scopes: readonly string[]): Promise<string> {
    const res = await this.call({ method: 'PUT', path: `/v2/${repo}/manifests/${ref}`, scopes, body: () => bytes, headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) } });
    if (res.status !== 201 && res.status !== 200) await this.fail(res, `putting the manifest ${this.endpoint.name}/${repo}:${ref}`);
    discard(res);
    return String(res.headers['docker-content-digest'] ?? sha256Digest(bytes));
  }

  private absolute(location: string): Promise<string> {
    return this.baseUrl().then((b) => new URL(location, b).toString());
  }
}
