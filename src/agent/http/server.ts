import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { readFileSync, promises as fsp } from 'node:fs';
import type { ListenAddress, TlsConfig } from '../config/flags';
import type { Logger } from '../util/log';
import { Router, splitVersion, type RequestContext } from './router';
import { ResResponder, SocketResponder, type Responder } from './responder';
import { badRequest, toApiError } from './api-error';


const MAX_JSON_BODY = 8 * 1024 * 1024;

/** Reads `length` bytes that follow the headers of an upgraded request; puts back the rest (stdin). */
function readUpgradeBody(socket: Duplex, head: Buffer, length: number): Promise<Buffer> {
  if (head.length >= length) {
    if (head.length > length) socket.unshift(head.subarray(length));
    return Promise.resolve(head.subarray(0, length));
  }
  return new Promise((resolve, reject) => {
    let buf = head;
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < length) return;
      cleanup();
      if (buf.length > length) socket.unshift(buf.subarray(length));
      resolve(buf.subarray(0, length));
    };
    const onEnd = () => { cleanup(); reject(badRequest('request body ended early')); };
    const cleanup = () => { socket.off('data', onData); socket.off('end', onEnd); socket.pause(); };
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}

function readStreamBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_JSON_BODY) { reject(badRequest('request body too large')); req.destroy(); return; }
      chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function makeContext(req: http.IncomingMessage, respond: Responder, upgrade?: { socket: Duplex; head: Buffer }): RequestContext {
  const url = new URL(req.url ?? '/', 'http://tsagent');
  const { version, path } = splitVersion(url.pathname);
  let bodyP: Promise<Buffer> | undefined;
  const body = () => {
    if (!bodyP) {
      const len = Number(req.headers['content-length'] ?? 0);
      bodyP = upgrade ? readUpgradeBody(upgrade.socket, upgrade.head, len) : readStreamBody(req);
    }
    return bodyP;
  };
  const closeTarget: NodeJS.EventEmitter = upgrade ? upgrade.socket : req.socket;
  return {
    method: req.method ?? 'GET',
    path,
    params: {},
    query: url.searchParams,
    apiVersion: version,
    req,
    respond,
    body,
    async json<T>() {
      const b = await body();
      if (b.length === 0 || b.toString().trim() === '') return {} as T;
      try { return JSON.parse(b.toString('utf8')) as T; } catch (e) { throw badRequest(`invalid JSON body: ${(e as Error).message}`); }
    },
    onClose(cb) { closeTarget.once('close', cb); },
    upgraded: upgrade ? { socket: upgrade.socket } : undefined,
  };
}

export interface ServeOptions {
  router: Router;
  log: Logger;
  /** Told when a request begins and ends (memory is given back when the agent goes quiet). */
  activity?: { touch(): void };
}

/** Dispatches one request (plain or upgraded) to the router; answers errors as dockerd does. */
async function dispatch(opts: ServeOptions, req: http.IncomingMessage, respond: Responder, upgrade?: { socket: Duplex; head: Buffer }): Promise<void> {
  const started = Date.now();
  let status = 0;
  opts.activity?.touch();
  try {
    const ctx = makeContext(req, respond, upgrade);
    const { handler, params } = opts.router.match(ctx.method, ctx.path);
    ctx.params = params;
    await handler(ctx);
  } catch (e) {
    const err = toApiError(e);
    status = err.status;
    if (err.status >= 500) opts.log.error('request failed', { method: req.method, url: req.url, error: err.message });
    if (!respond.started) {
      if (err.status === 304) respond.empty(304);
      else respond.json(err.status, { message: err.message });
    }
  } finally {
    opts.activity?.touch();
    opts.log.debug('request', { method: req.method, url: req.url, status: status || undefined, ms: Date.now() - started });
  }
}

function attach(server: http.Server, opts: ServeOptions): void {
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void dispatch(opts, req, new ResResponder(res));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    void dispatch(opts, req, new SocketResponder(socket), { socket, head });
  });
  server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
}

/** Mutual-TLS server options: only client certificates signed by the CA are accepted. */
export function tlsServerOptions(tls: TlsConfig): https.ServerOptions {
  return {
    ca: readFileSync(tls.caFile),
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    allowHalfOpen: true,
  } as https.ServerOptions;
}

async function dockerGid(): Promise<number | undefined> {
  const lines = (await fsp.readFile('/etc/group', 'utf8').catch(() => '')).split('\n');
  const line = lines.find((l) => l.startsWith('docker:'));
  return line ? Number(line.split(':')[2]) : undefined;
}

async function listenUnix(server: http.Server, path: string): Promise<void> {
  await fsp.rm(path, { force: true });
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  await fsp.mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => { server.off('error', reject); resolve(); });
  });
  await fsp.chmod(path, 0o660);
  const gid = await dockerGid();
  if (gid !== undefined) await fsp.chown(path, 0, gid).catch(() => undefined);
}

/** Starts one listener per address. TCP listeners require `tls` (mutual TLS). */
export async function listen(hosts: ListenAddress[], tls: TlsConfig | undefined, opts: ServeOptions): Promise<http.Server[]> {
  const servers: http.Server[] = [];
  for (const h of hosts) {
    if (h.proto === 'tcp') {
      if (!tls) throw new Error(`refusing to listen on tcp://${h.address} without mutual TLS`);
      const server = https.createServer(tlsServerOptions(tls));
      attach(server, opts);
      server.on('tlsClientError', (err) => opts.log.debug('TLS handshake refused', { error: err.message }));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(h.port, h.host, () => { server.off('error', reject); resolve(); });
      });
      servers.push(server);
    } else {
      const server = http.createServer();
      attach(server, opts);
      await listenUnix(server, h.address);
      servers.push(server);
    }
  }
  return servers;
}

