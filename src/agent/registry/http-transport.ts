import * as http from 'node:http';
import * as https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import type { RegistryEndpoint } from './registry-endpoint';
import { RegistryError } from './registry-error';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Follow redirects (GET/HEAD). Authorization is dropped when a redirect leaves the origin. */
  follow?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: string;
  body: http.IncomingMessage;
}

const MAX_REDIRECTS = 5;

/** Reads a response body into memory (bounded). */
export async function readBody(res: HttpResponse | http.IncomingMessage, limit = 32 * 1024 * 1024): Promise<Buffer> {
  const body = 'body' in res ? res.body : res;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) { body.destroy(); throw new RegistryError('HTTP', `response body larger than ${limit} bytes`); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Drains and discards a body so the connection can be reused. */
export function discard(res: HttpResponse): void {
  res.body.resume();
}

/**
 * HTTP(S) to one registry with keep-alive connections. TLS: the system CAs plus the
 * endpoint's extra CAs; verification is off only for insecure registries. Other hosts
 * reached through redirects get default TLS settings and never the Authorization header.
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent: https.Agent;
  private readonly foreignHttps = new https.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(readonly endpoint: RegistryEndpoint) {
    const t = endpoint.tls;
    this.httpsAgent = new https.Agent({
      keepAlive: true, maxSockets: 16,
      ca: t.ca ? [...rootCertificates, ...t.ca.map((c) => c.toString())] : undefined,
      cert: t.cert, key: t.key,
      rejectUnauthorized: !endpoint.insecure,
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.foreignHttps.destroy();
  }

  private once(req: HttpRequest, url: URL): Promise<HttpResponse> {
    const own = url.host === this.endpoint.host;
    const agent = url.protocol === 'http:' ? this.httpAgent : own ? this.httpsAgent : this.foreignHttps;
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const r = mod.request(url, { method: req.method, headers: req.headers, agent }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url: url.toString(), body: res });
      });
      r.on('error', (e) => reject(connectError(e, url)));
      if (req.body === undefined) r.end();
      else if (Buffer.isBuffer(req.body)) r.end(req.body);
      else {
        req.body.on('error', (e) => r.destroy(e));
        req.body.pipe(r);
      }
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    const origin = url.origin;
    let headers = { ...(req.headers ?? {}) };
    for (let i = 0; ; i++) {
      const res = await this.once({ ...req, headers }, url);
      if (!req.follow || ![301, 302, 303, 307, 308].includes(res.status) || !res.headers.location) return res;
      discard(res);
      if (i >= MAX_REDIRECTS) throw new RegistryError('HTTP', `too many redirects fetching ${req.url}`);
      url = new URL(res.headers.location, url);
      if (url.origin !== origin) {
        const { Authorization: _a, authorization: _b, ...rest } = headers;
        void _a; void _b;
        headers = rest;
      }
    }
  }
}

function connectError(e: Error & { code?: string }, url: URL): RegistryError {
  const code = e.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/.test(code) || /certificate/.test(e.message)) {
    return new RegistryError('TLS', `TLS failure talking to ${url.host}: ${e.message} (trust its CA with <certs-dir>/${url.host}/ca.crt, or mark it --insecure-registry)`, 500, { cause: e });
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/.test(e.message)) {
    return new RegistryError('TLS', `${url.host} does not speak HTTPS (${e.message}): if it is a plain HTTP registry, start tsagent with --insecure-registry ${url.host}`, 500, { cause: e });
  }
  return new RegistryError('CONNECT', `cannot reach registry ${url.host}: ${e.message}`, 500, { cause: e });
}
