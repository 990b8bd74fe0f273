/**
 * A programmable HTTP proxy in front of a test registry, for what a well-behaved registry
 * never does: it counts blob downloads, can throttle them, cut one after N bytes, or
 * redirect them to a second server on another loopback address (127.0.0.2) that records
 * whether an Authorization header followed the redirect; it can hold or fail the GETs of one
 * blob, and break blob uploads.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyBehaviour {
  /** Bytes per second for blob bodies (0: unthrottled). */
  throttle: number;
  /** Cut the next `times` blob downloads after `bytes` bytes. */
  cut?: { bytes: number; times: number };
  /** Redirect blob GETs to the 127.0.0.2 blob server. */
  redirectBlobs: boolean;
  /** Break the connection of the next `times` blob upload requests (PATCH/PUT) after their first bytes. */
  breakUploads?: { times: number };
  /** Hold GETs of this blob for `ms` before answering, or answer them with `status` instead. */
  blob?: { digest: string; holdMs?: number; status?: number };
}

const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/;

export class RegistryProxy {
  readonly behaviour: ProxyBehaviour = { throttle: 0, redirectBlobs: false };
  /** Blob GETs per digest (including resumed ones). */
  readonly blobGets = new Map<string, number>();
  /** Every request: method and path. */
  readonly requests: Array<{ method: string; path: string }> = [];
  /** Range headers seen on blob GETs. */
  readonly ranges: string[] = [];
  /** How many requests had arrived when a held blob GET (behaviour.blob) was let through. */
  readonly arrivedWhileHeld: number[] = [];
  /** Authorization headers the redirect target received (undefined when none). */
  readonly redirectedAuth: Array<string | undefined> = [];
  private readonly server = http.createServer((q, s) => this.handle(q, s));
  private readonly blobServer = http.createServer((q, s) => this.serveRedirected(q, s));
  private readonly pendingAuth = new Map<string, string | undefined>();
  port = 0;
  blobPort = 0;

  constructor(private readonly upstream: string) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    await new Promise<void>((r) => this.blobServer.listen(0, '127.0.0.2', r));
    this.blobPort = (this.blobServer.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of [this.server, this.blobServer]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, path: string, headers: http.IncomingHttpHeaders, blob: boolean): void {
    const up = http.request(`${this.upstream}${path}`, { method: req.method, headers: { ...headers, host: this.host } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (!blob || req.method !== 'GET' || (ur.statusCode ?? 0) >= 300) { ur.pipe(res); return; }
      void this.pump(ur, res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }

  /** Copies a blob body, throttled and possibly cut. */
  private async pump(from: http.IncomingMessage, to: http.ServerResponse): Promise<void> {
    const cut = this.behaviour.cut && this.behaviour.cut.times > 0 ? this.behaviour.cut : undefined;
    let sent = 0;
    for await (const chunk of from) {
      let c = chunk as Buffer;
      if (cut && cut.times > 0 && sent + c.length > cut.bytes) {
        cut.times--;
        to.write(c.subarray(0, cut.bytes - sent));
        await new Promise((r) => setTimeout(r, 50));
        to.destroy();
        from.destroy();
        return;
      }
      for (let off = 0; off < c.length; off += 64 * 1024) {
        const part = c.subarray(off, off + 64 * 1024);
        if (!to.write(part)) await new Promise((r) => to.once('drain', r));
        sent += part.length;
        if (this.behaviour.throttle > 0) await new Promise((r) => setTimeout(r, (part.length / this.behaviour.throttle) * 1000));
      }
      c = Buffer.alloc(0);
    }
    to.end();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', path });
    const brk = this.behaviour.breakUploads;
    if (brk && brk.times > 0 && (req.method === 'PATCH' || req.method === 'PUT') && /\/blobs\/uploads\//.test(path)) {
      brk.times--;
      const cut = () => { req.destroy(); res.destroy(); };
      req.once('data', cut);
      req.once('end', cut);
      return;
    }
    const m = BLOB.exec(path.split('?')[0]);
    const special = m && req.method === 'GET' && this.behaviour.blob?.digest === m[2] ? this.behaviour.blob : undefined;
    if (special?.status) {
      res.writeHead(special.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `the test proxy answers ${special.status}` }] }));
      return;
    }
    if (special?.holdMs) {
      setTimeout(() => {
        this.arrivedWhileHeld.push(this.requests.length);
        this.forward(req, res, path, req.headers, true);
      }, special.holdMs);
      return;
    }
    if (m && req.method === 'GET') {
      this.blobGets.set(m[2], (this.blobGets.get(m[2]) ?? 0) + 1);
      if (req.headers.range) this.ranges.push(req.headers.range);
      if (this.behaviour.redirectBlobs) {
        const key = Math.random().toString(36).slice(2);
        this.pendingAuth.set(key, req.headers.authorization);
        res.writeHead(307, { Location: `http://127.0.0.2:${this.blobPort}${path}?k=${key}` });
        res.end();
        return;
      }
    }
    this.forward(req, res, path, req.headers, !!m);
  }

  /** The redirect target: records the Authorization it got, fetches with the proxy's own copy of the original one. */
  private serveRedirected(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.redirectedAuth.push(req.headers.authorization);
    const auth = this.pendingAuth.get(url.searchParams.get('k') ?? '');
    const headers: http.IncomingHttpHeaders = { ...(auth ? { authorization: auth } : {}), ...(req.headers.range ? { range: req.headers.range } : {}) };
    this.forward(req, res, url.pathname, headers, true);
  }
}
