import type { ServerResponse } from 'node:http';
import { Duplex, type Writable } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** Headers dockerd sends on every answer. */
export const ENGINE_HEADERS: Record<string, string> = {
  'Api-Version': '1.51',
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'tsagent/0.1.0 (linux)',
};

/** How a handler answers, whether the request came as plain HTTP or as an Upgrade. */
export interface Responder {
  /** True once a status line was sent. */
  readonly started: boolean;
  json(status: number, body: unknown): void;
  text(status: number, body: string, contentType?: string, headers?: Record<string, string>): void;
  empty(status: number, headers?: Record<string, string>): void;
  /** Sends the headers now; the body is streamed (chunked) and ends with `end()`. */
  stream(status: number, contentType: string, headers?: Record<string, string>): Writable;
  /**
   * Takes over the connection: `101 UPGRADED` when the client asked to upgrade, else a
   * `200` whose body is the raw stream. Returns the connection to read stdin from and write to.
   */
  hijack(contentType: string): Duplex;
}

export class ResResponder implements Responder {
  started = false;
  constructor(private readonly res: ServerResponse) {}

  private head(status: number, headers: Record<string, string | number>): void {
    this.started = true;
    this.res.writeHead(status, { ...ENGINE_HEADERS, ...headers });
  }
  json(status: number, body: unknown): void {
    const data = Buffer.from(`${JSON.stringify(body)}\n`);
    this.head(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
    this.res.end(data);
  }
  text(status: number, body: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
    const data = Buffer.from(body);
    this.head(status, { ...headers, 'Content-Type': contentType, 'Content-Length': data.length });
    this.res.end(data);
  }
  empty(status: number, headers: Record<string, string> = {}): void {
    this.head(status, status === 204 || status === 304 ? headers : { ...headers, 'Content-Length': 0 });
    this.res.end();
  }
  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    this.head(status, { ...headers, 'Content-Type': contentType });
    this.res.flushHeaders();
    return this.res;
  }
  hijack(contentType: string): Duplex {
    // Without an Upgrade the stream is an ordinary chunked 200 body; there is no stdin.
    const res = this.stream(200, contentType);
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) { res.write(chunk, () => cb()); },
      final(cb) { res.end(); cb(); },
    });
    duplex.push(null);
    res.on('close', () => duplex.destroy());
    return duplex;
  }
}

function rawHead(status: number, headers: Record<string, string | number>, reason?: string): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ''}\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** Answers on a raw socket handed over by the server's 'upgrade' event. */
export class SocketResponder implements Responder {
  started = false;
  constructor(private readonly socket: Duplex) {}

  private send(status: number, headers: Record<string, string | number>, body?: Buffer): void {
    this.started = true;
    this.socket.write(rawHead(status, { ...ENGINE_HEADERS, ...headers, Connection: 'close' }));
    this.socket.end(body);
  }
  json(status: number, body: unknown): void {
    const data = Buffer.from(`${JSON.stringify(body)}\n`);
    this.send(status, { 'Content-Type': 'application/json', 'Content-Length': data.length }, data);
  }
  text(status: number, body: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
    const data = Buffer.from(body);
    this.send(status, { ...headers, 'Content-Type': contentType, 'Content-Length': data.length }, data);
  }
  empty(status: number, headers: Record<string, string> = {}): void {
    this.send(status, { ...headers, 'Content-Length': 0 });
  }
  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    this.started = true;
    this.socket.write(rawHead(status, { ...ENGINE_HEADERS, ...headers, 'Content-Type': contentType, Connection: 'close' }));
    return this.socket;
  }
  hijack(contentType: string): Duplex {
    this.started = true;
    this.socket.write(
      rawHead(101, { ...ENGINE_HEADERS, 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }, 'UPGRADED'),
    );
    return this.socket;
  }
}
