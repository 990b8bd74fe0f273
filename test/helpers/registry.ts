/**
 * A real Docker registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1 with its
 * own config file and temp storage: plain HTTP, TLS, htpasswd Basic auth or a bearer-token
 * realm. `stop()` ends the process (by PID) and removes everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
  /** htpasswd Basic auth with these users (bcrypt hashes made here). */
  users?: Record<string, string>;
  /** Bearer tokens from this realm, verified with this certificate. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

/** An htpasswd file the registry accepts (bcrypt, cost 5 to keep tests fast). */
export function htpasswd(users: Record<string, string>): string {
  return Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`).join('\n') + '\n';
}

function configYaml(dir: string, port: number, o: RegistryOptions): string {
  const lines = [
    'version: 0.1',
    'log:', '  level: warn', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: 127.0.0.1:${port}`, '  secret: tsmachine-tests',
  ];
  if (o.tls) lines.push('  tls:', `    certificate: ${o.tls.cert}`, `    key: ${o.tls.key}`);
  if (o.users) {
    writeFileSync(join(dir, 'htpasswd'), htpasswd(o.users));
    lines.push('auth:', '  htpasswd:', '    realm: tsmachine-test', `    path: ${join(dir, 'htpasswd')}`);
  } else if (o.token) {
    lines.push('auth:', '  token:', `    realm: ${o.token.realm}`, `    service: ${o.token.service}`, `    issuer: ${o.token.issuer}`, `    rootcertbundle: ${o.token.rootCertBundle}`);
  }
  return `${lines.join('\n')}\n`;
}

export class TestRegistry {
  private proc?: ChildProcess;

  private constructor(readonly dir: string, readonly port: number, readonly options: RegistryOptions) {}

  /** `127.0.0.1:PORT`, as image references name it. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.host}`;
  }

  static async start(options: RegistryOptions = {}): Promise<TestRegistry> {
    if (!existsSync(REGISTRY_BIN)) throw new Error(`${REGISTRY_BIN} is missing: install the docker-registry package (scripts/setup.sh)`);
    const r = new TestRegistry(mkdtempSync(join(tmpdir(), 'tsm-registry-')), await freePort(), options);
    writeFileSync(join(r.dir, 'config.yml'), configYaml(r.dir, r.port, options));
    const log = openSync(join(r.dir, 'registry.log'), 'a');
    r.proc = spawn(REGISTRY_BIN, ['serve', join(r.dir, 'config.yml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    try {
      await r.waitReady();
    } catch (e) {
      r.stop();
      throw e;
    }
    return r;
  }

  log(): string {
    try { return readFileSync(join(this.dir, 'registry.log'), 'utf8'); } catch { return ''; }
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.proc?.exitCode !== null) throw new Error(`docker-registry exited:\n${this.log()}`);
      const status = await this.get('/v2/').then((x) => x.status, () => 0);
      if (status === 200 || status === 401) return;
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${this.host}:\n${this.log()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** A GET to the registry (no auth, TLS not verified): status, headers and body. */
  get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const mod = this.options.tls ? https : http;
    return new Promise((res, rej) => {
      const req = mod.request(`${this.url}${path}`, { headers, rejectUnauthorized: false, agent: false } as https.RequestOptions, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', rej);
      req.end();
    });
  }

  stop(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
