import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { readFileSync } from 'node:fs';
import type { Logger } from '../util/log';
import { parseQuery, buildResponse, DnsFormatError, RCODE_OK, RCODE_SERVFAIL, TYPE_A, type DnsQuery } from './dns-codec';

/** A lower-case name asked by the container at `source` -> addresses, or undefined when unknown. */
export type NameLookup = (name: string, source: string) => string[] | undefined;

/** The agent's own resolvers and search domains (its /etc/resolv.conf). */
export interface Upstream {
  servers: string[];
  search: string[];
  /** 53 unless set (tests). */
  port?: number;
}

export function hostResolvers(text = safeRead('/etc/resolv.conf')): Upstream {
  const servers: string[] = [];
  const search: string[] = [];
  for (const l of text.split('\n')) {
    const w = l.trim().split(/\s+/);
    if (w[0] === 'nameserver' && net.isIPv4(w[1] ?? '')) servers.push(w[1]);
    if ((w[0] === 'search' || w[0] === 'domain') && w.length > 1) search.push(...w.slice(1).map((d) => d.toLowerCase().replace(/\.$/, '')));
  }
  return { servers, search };
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The DNS server of one user-defined network, on its gateway address, port 53, UDP and TCP.
 * Answers A queries for the network's containers (name, aliases, short ID, also with the
 * host's search domains appended) and relays every other query to the agent's resolvers.
 * Queries from outside the network's subnet are dropped.
 */
export class DnsServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;

  constructor(
    readonly address: string,
    private readonly lookup: NameLookup,
    private readonly fromNetwork: (ip: string) => boolean,
    private readonly log: Logger,
    private readonly upstream: Upstream = hostResolvers(),
    private readonly port = 53,
  ) {}

  async start(): Promise<void> {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(this.port, this.address, () => { udp.off('error', rej); res(); }); });
    udp.on('error', (e) => this.log.warn('dns: udp error', { address: this.address, error: e.message }));
    udp.on('message', (msg, rinfo) => {
      if (!this.fromNetwork(rinfo.address)) return;
      void this.answer(msg, rinfo.address).then((out) => { if (out) udp.send(out, rinfo.port, rinfo.address); });
    });
    this.udp = udp;
    const tcp = net.createServer((sock) => this.serveTcp(sock));
    try {
      await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(this.port, this.address, () => { tcp.off('error', rej); res(); }); });
    } catch (e) {
      udp.close();
      throw e;
    }
    this.tcp = tcp;
  }

  stop(): void {
    this.udp?.close();
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }

  private serveTcp(sock: net.Socket): void {
    const source = sock.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    if (!this.fromNetwork(source)) { sock.destroy(); return; }
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(msg, source).then((out) => {
          if (!out || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        });
      }
    });
  }

  /** The response to one message, or undefined to stay silent (unparseable input). */
  async answer(msg: Buffer, source: string): Promise<Buffer | undefined> {
    let q: DnsQuery;
    try {
      q = parseQuery(msg);
    } catch (e) {
      if (e instanceof DnsFormatError) return undefined;
      throw e;
    }
    const local = this.resolveLocal(q.name, source);
    // Known names answer every type; only A has data (no IPv6 yet), so AAAA gets an empty answer.
    // Several containers behind one name (compose replicas): shuffled per answer, as dockerd does,
    // so clients that take the first address spread over them.
    if (local) return buildResponse(q, RCODE_OK, q.type === TYPE_A ? shuffled(local) : []);
    return (await this.forward(msg)) ?? buildResponse(q, RCODE_SERVFAIL);
  }

  /** Addresses for a container name or alias, tried as given and without a host search domain. */
  resolveLocal(name: string, source: string): string[] | undefined {
    const direct = this.lookup(name, source);
    if (direct) return direct;
    for (const d of this.upstream.search) {
      if (name.endsWith(`.${d}`)) {
        const hit = this.lookup(name.slice(0, -d.length - 1), source);
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /**
   * Relays the query to all the host's resolvers at once and returns the first answer, or
   * undefined when none answers in 2 s. (One after the other, a few dead resolvers would outlast
   * the clients' own 5 s timeouts.)
   */
  private forward(msg: Buffer): Promise<Buffer | undefined> {
    const servers = this.upstream.servers;
    if (servers.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      let pending = servers.length;
      const done = (v: Buffer | undefined) => { clearTimeout(timer); s.close(); resolve(v); };
      const timer = setTimeout(() => done(undefined), 2000);
      s.on('error', () => undefined);
      s.on('message', (m, from) => { if (servers.includes(from.address)) done(m); });
      for (const server of servers) {
        s.send(msg, this.upstream.port ?? 53, server, (err) => { if (err && --pending === 0) done(undefined); });
      }
    });
  }
}

/** A copy of `xs` in random order (Fisher-Yates). */
export function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
