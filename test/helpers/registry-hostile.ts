/**
 * A registry that lies: it serves whatever manifests and blobs a test puts in it, under any
 * digest (plain HTTP on 127.0.0.1, no auth). For checking that clients verify what they get.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class HostileRegistry {
  /** `<repo>/manifests/<ref>` -> body and content type. */
  readonly manifests = new Map<string, { body: Buffer; type: string }>();
  /** digest -> bytes served for it (whatever they hash to). */
  readonly blobs = new Map<string, Buffer>();
  /** digest -> a gate its GETs wait for (see holdBlob). */
  private readonly held = new Map<string, Promise<void>>();
  private readonly server = http.createServer((q, s) => this.handle(q, s));
  port = 0;

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Serves `body` as manifest `repo:ref` (and under its real digest). */
  manifest(repo: string, ref: string, body: Buffer | object, type = 'application/vnd.oci.image.manifest.v1+json'): string {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    this.manifests.set(`${repo}/manifests/${ref}`, { body: b, type });
    this.manifests.set(`${repo}/manifests/${sha256(b)}`, { body: b, type });
    return sha256(b);
  }

  /** Makes GETs of blob `digest` wait until the returned release is called. */
  holdBlob(digest: string): () => void {
    let release!: () => void;
    this.held.set(digest, new Promise<void>((r) => { release = r; }));
    return () => { this.held.delete(digest); release(); };
  }

  /** Stores a blob under its own digest, or under `as` (a lie). */
  blob(data: Buffer, as?: string): { digest: string; size: number } {
    const digest = as ?? sha256(data);
    this.blobs.set(digest, data);
    return { digest, size: data.length };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/v2/') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{}'); return; }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    const notFound = () => { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] })); };
    if (!m) return notFound();
    if (m[2] === 'manifests') {
      const e = this.manifests.get(`${m[1]}/manifests/${m[3]}`);
      if (!e) return notFound();
      res.writeHead(200, { 'Content-Type': e.type, 'Content-Length': e.body.length, 'Docker-Content-Digest': sha256(e.body) });
      res.end(req.method === 'HEAD' ? undefined : e.body);
      return;
    }
    const gate = req.method === 'GET' ? this.held.get(m[3]) : undefined;
    if (gate) { void gate.then(() => this.handle(req, res)); return; }
    const b = this.blobs.get(m[3]);
    if (!b) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] })); return; }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': b.length });
    res.end(req.method === 'HEAD' ? undefined : b);
  }
}
