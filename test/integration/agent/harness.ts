/**
 * Runs the bundled agent (dist/agent/tsagent.js) on 127.0.0.1 with mutual TLS, temp
 * data/exec roots and its own cgroup parent, and drives it with the real docker CLI.
 * `cleanup()` removes every container, stops the agent and then checks that nothing is left:
 * no mounts under the temp folder, no runtime state, no cgroup folders, no conmon processes.
 */
import { before, after } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, existsSync, openSync, closeSync } from 'node:fs';
import * as https from 'node:https';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AGENT_NODE_ARGS, AGENT_NODE_ENV } from '../../../src/agent/node-options';
import { makeTestCerts, type TestCerts } from '../../helpers/openssl-certs';
import { buildBusyboxRootfs } from '../../helpers/busybox-rootfs';

export const AGENT_BUNDLE = resolve(__dirname, '../../../agent/tsagent.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

export function runProcess(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number } = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((res) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      res({ code: code ?? (sig ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - started });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

/** Every process whose argv mentions `needle` (conmon, runc, containers of this test). */
export function processesMentioning(needle: string): Array<{ pid: number; argv: string }> {
  const out: Array<{ pid: number; argv: string }> = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0').join(' ');
      if (argv.includes(needle) && Number(p) !== process.pid) out.push({ pid: Number(p), argv });
    } catch { /* gone */ }
  }
  return out;
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4]).filter((m) => m.startsWith(dir));
}

/** Cgroup folders below `parent` in every hierarchy. */
export function cgroupChildren(parent: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', h, parent);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(join(dir, e.name));
  }
  return out;
}

/**
 * Removes the cgroups and network namespaces of harnesses whose test process is gone (a run
 * that was killed could not clean up): `tsagent-test-<pid>-*` and `tsa-it-<pid>-*` of a pid
 * that no longer exists. Only empty cgroups are removed; no process is touched.
 */
function sweepStaleTestResources(): void {
  const dead = (name: string, prefix: string) => {
    const m = new RegExp(`^${prefix}-(\\d+)-[a-z0-9]+$`).exec(name);
    return !!m && Number(m[1]) !== process.pid && !existsSync(`/proc/${m[1]}`);
  };
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const root = join('/sys/fs/cgroup', h);
    let names: string[] = [];
    try { names = readdirSync(root); } catch { continue; }
    for (const n of names.filter((x) => dead(x, 'tsagent-test'))) {
      for (const c of cgroupChildren(`/${n}`)) if (c.startsWith(`${root}/`)) spawnSync('rmdir', [c]);
      spawnSync('rmdir', [join(root, n)]);
    }
  }
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const n of netns.split('\n').map((l) => l.split(' ')[0]).filter((x) => dead(x, 'tsa-it'))) spawnSync('ip', ['netns', 'delete', n]);
}

let swept = false;

function removeCgroupParent(parent: string): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', h, parent);
    if (existsSync(dir)) spawnSync('rmdir', [dir]);
  }
}

export class AgentHarness {
  readonly base = mkdtempSync(join(tmpdir(), 'tsa-it-'));
  readonly dataRoot = join(this.base, 'data');
  readonly execRoot = join(this.base, 'exec');
  readonly socket = join(this.base, 'agent.sock');
  readonly pidfile = join(this.base, 'agent.pid');
  readonly logFile = join(this.base, 'agent.log');
  readonly cgroupParent = `/tsagent-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  certs!: TestCerts;
  port = 0;
  proc?: ChildProcess;
  private exited?: Promise<number | null>;

  /**
   * With `netns`, the agent runs in a fresh network namespace of its own (`ip netns add`, entered
   * with nsenter --net only, so mounts stay shared) and the CLI talks to it over the unix socket.
   * Its bridges and iptables rules go away with the namespace in cleanup().
   */
  netns?: string;

  static async create(opts: { netns?: boolean } = {}): Promise<AgentHarness> {
    const h = new AgentHarness();
    await h.prepare(opts);
    return h;
  }

  /**
   * The usual suite set-up, registered with node:test: before the file's tests an agent is
   * started (in its own network namespace with `netns`) and busybox is imported as `bb` (unless
   * `busybox: false`); after them the cleanup must find nothing left behind.
   */
  static forSuite(opts: { netns?: boolean; busybox?: boolean; setUp?: (h: AgentHarness) => Promise<void> | void } = {}): AgentHarness {
    const h = new AgentHarness();
    // One hook: node's test runner starts a file's top-level before() hooks together, so a
    // suite's own set-up goes in setUp, which runs once the agent is up.
    before(async () => {
      await h.prepare(opts);
      await h.start();
      if (opts.busybox !== false) {
        const r = await h.importBusybox('bb');
        if (r.code !== 0) throw new Error(`docker import of busybox failed: ${r.stderr}`);
      }
      await opts.setUp?.(h);
    });
    after(async () => {
      const left = await h.cleanup();
      if (left.length > 0) throw new Error(`left behind by the suite: ${left.join('; ')}`);
    });
    return h;
  }

  private async prepare(opts: { netns?: boolean }): Promise<void> {
    const h = this;
    if (!swept) { swept = true; sweepStaleTestResources(); }
    if (opts.netns) {
      h.netns = `tsa-it-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const r = spawnSync('ip', ['netns', 'add', h.netns]);
      if (r.status !== 0) throw new Error(`ip netns add ${h.netns}: ${r.stderr}`);
      h.inNetns(['ip', 'link', 'set', 'lo', 'up']);
    }
    mkdirSync(join(h.base, 'certs'));
    h.certs = makeTestCerts(join(h.base, 'certs'));
    h.port = await freePort();
  }

  get dockerEnv(): NodeJS.ProcessEnv {
    if (this.netns) return { PATH: process.env.PATH, HOME: this.base, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.base, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
    return {
      PATH: process.env.PATH, HOME: this.base, DOCKER_HOST: `tcp://127.0.0.1:${this.port}`, DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: this.certs.clientDir, DOCKER_CONFIG: join(this.base, 'docker-config'), DOCKER_CLI_HINTS: 'false',
    };
  }

  /** Runs a command inside the agent's network namespace (netns mode); throws when it fails. */
  inNetns(argv: string[]): string {
    const r = spawnSync('ip', ['netns', 'exec', this.netns!, ...argv], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${this.netns}: ${r.stderr}`);
    return r.stdout;
  }

  /** Like runProcess, inside the agent's network namespace. */
  runInNetns(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return runProcess('nsenter', [`--net=/run/netns/${this.netns}`, ...argv], opts);
  }

  agentArgs(extra: string[] = []): string[] {
    return [
      AGENT_BUNDLE, '-H', `tcp://127.0.0.1:${this.port}`, '-H', `unix://${this.socket}`, '--tlsverify',
      '--tlscacert', this.certs.caPem, '--tlscert', this.certs.serverCert, '--tlskey', this.certs.serverKey,
      '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--cgroup-parent', this.cgroupParent,
      '--pidfile', this.pidfile, '--label', 'suite=agent-it', '--debug',
      // Outside a namespace of its own the agent must not create bridges or iptables rules on the host.
      ...(this.netns ? [] : ['--bridge', 'none']), ...extra,
    ];
  }

  /** Extra agent flags used by every start (e.g. --insecure-registry). */
  extraArgs: string[] = [];

  /** Starts the agent and waits until /_ping answers over mutual TLS. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    // node runs the agent as the provisioner has it run on hosts (src/agent/node-options.ts).
    const node = [process.execPath, ...AGENT_NODE_ARGS, ...this.agentArgs(this.extraArgs)];
    const env = { ...process.env, ...Object.fromEntries(AGENT_NODE_ENV) };
    this.proc = this.netns
      ? spawn('nsenter', [`--net=/run/netns/${this.netns}`, ...node], { stdio: ['ignore', log, log], env })
      : spawn(node[0], node.slice(1), { stdio: ['ignore', log, log], env });
    closeSync(log);
    const proc = this.proc;
    this.exited = new Promise((res) => proc.once('exit', (code) => res(code)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`agent exited (${proc.exitCode}):\n${this.log()}`);
      if ((await this.ping()) === 200) return;
      if (Date.now() > deadline) throw new Error(`agent did not answer /_ping:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** GET /_ping with the given client certificate (the harness's by default); the status or an error string. */
  ping(opts: { cert?: Buffer; key?: Buffer; noClientCert?: boolean } = {}): Promise<number | string> {
    if (this.netns) {
      return new Promise((res) => {
        const req = http.request({ socketPath: this.socket, path: '/_ping', method: 'GET', agent: false, timeout: 3000 }, (r) => { r.resume(); r.on('end', () => res(r.statusCode ?? 0)); });
        req.on('error', (e) => res(`error: ${e.message}`));
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end();
      });
    }
    return new Promise((res) => {
      const req = https.request({
        host: '127.0.0.1', port: this.port, path: '/_ping', method: 'GET', ca: readFileSync(this.certs.caPem),
        ...(opts.noClientCert ? {} : { cert: opts.cert ?? readFileSync(this.certs.clientCert), key: opts.key ?? readFileSync(this.certs.clientKey) }),
        agent: false, timeout: 3000,
      }, (r) => { r.resume(); r.on('end', () => res(r.statusCode ?? 0)); });
      req.on('error', (e) => res(`error: ${e.message}`));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  }

  docker(args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<RunResult> {
    return runProcess('docker', args, { env: this.dockerEnv, ...opts });
  }

  /** Imports the busybox rootfs as `name`. */
  async importBusybox(name = 'bb', extra: string[] = []): Promise<RunResult> {
    const dir = join(this.base, `rootfs-${name.replace(/[^a-z0-9]/g, '-')}`);
    mkdirSync(dir);
    try {
      return await this.docker(['import', ...extra, '-', name], { input: await buildBusyboxRootfs(dir) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Sends a signal to the agent and waits for it to exit; returns its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc?.exitCode ?? null;
    this.proc.kill(signal);
    return this.exited!;
  }

  /**
   * Removes every container through the API, stops the agent and returns what was left
   * behind (empty when clean). Always removes the temp folder and cgroup parent.
   */
  async cleanup(): Promise<string[]> {
    const leftovers: string[] = [];
    try {
      if (this.proc && this.proc.exitCode === null) {
        const ids = (await this.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (ids.length) await this.docker(['rm', '-f', ...ids]);
        await this.stop('SIGTERM');
      }
      leftovers.push(...mountsUnder(this.base).map((m) => `mount ${m}`));
      leftovers.push(...cgroupChildren(this.cgroupParent).map((c) => `cgroup ${c}`));
      leftovers.push(...processesMentioning(this.execRoot).map((p) => `process ${p.pid}: ${p.argv.slice(0, 120)}`));
      const state = join(this.execRoot, 'runtime');
      if (existsSync(state)) leftovers.push(...readdirSync(state).map((s) => `runtime state ${s}`));
    } finally {
      this.forceClean();
    }
    return leftovers;
  }

  /** Last-resort teardown when a test failed half-way: kill what is ours, unmount, delete. */
  forceClean(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
    for (const p of processesMentioning(this.execRoot)) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    const state = join(this.execRoot, 'runtime');
    if (existsSync(state)) for (const id of readdirSync(state)) spawnSync('runc', ['--root', state, 'delete', '--force', id]);
    for (const m of mountsUnder(this.base).reverse()) spawnSync('umount', ['-l', m]);
    for (const c of cgroupChildren(this.cgroupParent)) spawnSync('rmdir', [c]);
    removeCgroupParent(this.cgroupParent);
    if (this.netns) spawnSync('ip', ['netns', 'delete', this.netns]);
    rmSync(this.base, { recursive: true, force: true });
  }
}
