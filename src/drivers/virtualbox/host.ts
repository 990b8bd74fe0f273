import { createWriteStream, promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One IPv4 address of a host network interface. */
export interface HostAddress {
  ifName: string;
  address: string;
  prefix: number;
}

/** What the driver asks of the machine it runs on (not of VirtualBox); injected so tests decide. */
export interface VBoxHost {
  readonly platform: NodeJS.Platform;
  cpuCount(): number;
  /** /proc/cpuinfo on Linux; undefined where it cannot be read. */
  cpuInfo(): Promise<string | undefined>;
  /** Every IPv4 address of the host's interfaces. */
  addresses(): HostAddress[];
  /** A TCP port on 127.0.0.1 free right now. */
  freePort(): Promise<number>;
  portFree(port: number): Promise<boolean>;
  exists(path: string): Promise<boolean>;
  readFile(path: string): Promise<string | undefined>;
  copyFile(from: string, to: string): Promise<void>;
  /** Downloads `url` to `dest` (temp file then rename). */
  download(url: string, dest: string, signal?: AbortSignal): Promise<void>;
}

function listen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const a = srv.address();
      const p = typeof a === 'object' && a ? a.port : undefined;
      srv.close(() => resolve(p));
    });
  });
}

export const realVBoxHost: VBoxHost = {
  platform: process.platform,
  cpuCount: () => cpus().length,
  async cpuInfo() {
    if (process.platform !== 'linux') return undefined;
    return fs.readFile('/proc/cpuinfo', 'utf8').catch(() => undefined);
  },
  addresses() {
    const out: HostAddress[] = [];
    for (const [ifName, addrs] of Object.entries(networkInterfaces())) {
      for (const a of addrs ?? []) {
        if (a.family === 'IPv4' && a.cidr) out.push({ ifName, address: a.address, prefix: Number(a.cidr.split('/')[1]) });
      }
    }
    return out;
  },
  async freePort() {
    const p = await listen(0);
    if (!p) throw new Error('no free TCP port on 127.0.0.1');
    return p;
  },
  async portFree(port) {
    return (await listen(port)) === port;
  },
  async exists(path) {
    return fs.access(path).then(() => true, () => false);
  },
  async readFile(path) {
    return fs.readFile(path, 'utf8').catch(() => undefined);
  },
  async copyFile(from, to) {
    await fs.mkdir(dirname(to), { recursive: true });
    await fs.copyFile(from, to);
  },
  async download(url, dest, signal) {
    // fetch refuses user:password@ URLs: send them as Basic auth instead.
    const u = new URL(url);
    const headers: Record<string, string> = {};
    if (u.username || u.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = u.password = '';
    }
    const res = await fetch(u, { signal, headers });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    await fs.mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}`;
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(tmp, { mode: 0o644 }));
      await fs.rename(tmp, dest);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  },
};
