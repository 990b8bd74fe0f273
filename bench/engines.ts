/**
 * The two engines the benchmarks compare, each started privately for one run:
 *
 * - tsagent: the bundled agent (dist/agent/tsagent.js) through the test harness (temp data/exec
 *   roots, its own cgroup parent), without --debug, driven over its unix socket.
 * - dockerd: Debian's docker.io with its own --data-root, --exec-root, --pidfile, unix socket and
 *   cgroup parent, no bridge, no iptables/masquerading/forwarding (so containers run with
 *   `--network none` on both sides), and its own containerd. It runs under `docker-init -s`
 *   (tini as a subreaper) so the shims it double-forks are reaped, not left as zombies of PID 1.
 *
 * `stop()` removes every container, ends the engine by PID and removes its folders; it also
 * cleans up after a failure half-way (kills what mentions its folder, unmounts, removes the
 * cgroup parent) and reports what it had to clean by force.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOf } from '../test/helpers/registry-images';
import { makeTestCerts } from '../test/helpers/openssl-certs';
import { AgentHarness, freePort, cgroupChildren, mountsUnder, processesMentioning, runProcess, type RunResult } from '../test/integration/agent/harness';

/**
 * The engines keep their data on the root disk, as a host does (/var/lib/docker,
 * /var/lib/tsagent), not in /tmp, which is a tmpfs on many hosts. On this VM the speed of file
 * metadata varies up to tenfold over minutes and from folder to folder of the same disk
 * (0.01 to 1 ms per symlink; worst in /tmp and /var/tmp, and where files were just churned),
 * so what unpacks (dockerd's pull, tsagent's pull + run) carries that noise.
 * Every temp folder of the benches (engine roots, work folders) follows TMPDIR; BENCH_TMPDIR
 * picks another place.
 */
process.env.TMPDIR = process.env.BENCH_TMPDIR ?? '/var/tmp';

export interface Engine {
  readonly name: 'tsagent' | 'dockerd';
  /** Environment for the docker CLI (unix socket, own HOME/DOCKER_CONFIG). */
  readonly env: NodeJS.ProcessEnv;
  docker(args: string[], opts?: { input?: Buffer | string; timeoutMs?: number }): Promise<RunResult>;
  /** The engine's own long-running processes (tsagent: node; dockerd: dockerd + containerd). */
  enginePids(): number[];
  /** Per-container monitor processes (tsagent: conmon; dockerd: containerd-shim-runc-v2). */
  shimPids(): number[];
  /** Removes every container, stops the engine, removes its folders; returns what was left. */
  stop(): Promise<string[]>;
}

/** The harness without --debug (debug logging is not what a user runs). */
class QuietAgent extends AgentHarness {
  override agentArgs(extra: string[] = []): string[] {
    return super.agentArgs(extra).filter((a) => a !== '--debug');
  }
}

/** AgentHarness.create() for a subclass (create() itself always makes a plain AgentHarness). */
export async function createHarness<T extends AgentHarness>(cls: new () => T): Promise<T> {
  const h = new cls();
  mkdirSync(join(h.base, 'certs'));
  h.certs = makeTestCerts(join(h.base, 'certs'));
  h.port = await freePort();
  return h;
}

export async function startTsagent(extraArgs: string[] = []): Promise<Engine> {
  const h = await createHarness(QuietAgent);
  h.extraArgs = extraArgs;
  try {
    await h.start();
  } catch (e) {
    h.forceClean();
    throw e;
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: h.base, DOCKER_HOST: `unix://${h.socket}`, DOCKER_CONFIG: join(h.base, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
  return {
    name: 'tsagent',
    env,
    docker: (args, opts = {}) => runProcess('docker', args, { env, ...opts }),
    enginePids: () => (h.proc?.pid ? [h.proc.pid] : []),
    shimPids: () => processesMentioning(h.execRoot).filter((p) => /(^|\/)conmon /.test(p.argv)).map((p) => p.pid),
    stop: () => h.cleanup(),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startDockerd(extraArgs: string[] = []): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-bench-dd-'));
  const sock = join(dir, 'docker.sock');
  const pidfile = join(dir, 'dockerd.pid');
  const cgroupParent = `/tsm-bench-dd-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
  const docker = (args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}) => runProcess('docker', args, { env, ...opts });
  const args = [
    '-s', '--', 'dockerd', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', pidfile,
    '-H', `unix://${sock}`, '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none',
    '--cgroup-parent', cgroupParent, ...extraArgs,
  ];
  const proc: ChildProcess = spawn('docker-init', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const errLog: Buffer[] = [];
  proc.stderr?.on('data', (d: Buffer) => { errLog.push(d); if (errLog.length > 2000) errLog.shift(); });
  const exited = new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
  const dockerdPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(pidfile, 'utf8').trim());
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  const stop = async (): Promise<string[]> => {
    const forced: string[] = [];
    try {
      if (proc.exitCode === null && dockerdPid()) {
        const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (ids.length) await docker(['rm', '-f', ...ids], { timeoutMs: 120_000 });
      }
      const pid = dockerdPid();
      if (pid && alive(pid)) process.kill(pid, 'SIGTERM');
      else if (proc.exitCode === null && proc.pid) process.kill(proc.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    } finally {
      if (proc.exitCode === null && proc.pid) { forced.push(`dockerd (docker-init ${proc.pid}) still running: killed`); proc.kill('SIGKILL'); }
      for (const p of processesMentioning(dir)) {
        forced.push(`process ${p.pid}: ${p.argv.slice(0, 100)}`);
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      for (const m of mountsUnder(dir).reverse()) { forced.push(`mount ${m}`); spawnSync('umount', ['-l', m]); }
      for (const c of cgroupChildren(cgroupParent)) { forced.push(`cgroup ${c}`); spawnSync('rmdir', [c]); }
      for (const h of readdirSync('/sys/fs/cgroup')) {
        const d = join('/sys/fs/cgroup', h, cgroupParent);
        if (existsSync(d)) spawnSync('rmdir', [d]);
      }
      rmSync(dir, { recursive: true, force: true });
    }
    return forced;
  };

  try {
    const deadline = Date.now() + 60_000;
    while ((await docker(['version'])).code !== 0) {
      if (proc.exitCode !== null) throw new Error(`dockerd exited (${proc.exitCode}): ${Buffer.concat(errLog).toString().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('dockerd did not answer within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    name: 'dockerd',
    env,
    docker,
    enginePids: () => {
      const pid = dockerdPid();
      if (!pid) return [];
      // dockerd starts its own containerd with a config under our exec root. (Not through
      // /proc/PID/task/PID/children: that lists only the main thread's children, and Go forks
      // from any thread.)
      const ctrd = processesMentioning(join(dir, 'exec')).filter((p) => /^(\S*\/)?containerd --config /.test(p.argv)).map((p) => p.pid);
      return [pid, ...ctrd];
    },
    shimPids: () => processesMentioning(join(dir, 'exec')).filter((p) => p.argv.startsWith('/usr/bin/containerd-shim') || p.argv.startsWith('containerd-shim')).map((p) => p.pid),
    stop,
  };
}

/** Resident set (VmRSS) of a process, in KiB (0 when gone). */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size (shared pages split among the processes mapping them), in KiB. */
export function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A layer of ~`mb` MB in 8 files: half random (incompressible), half text-like (compressible). */
export function dataLayer(mb: number): Buffer {
  const files: Record<string, Buffer> = {};
  const per = Math.floor((mb * 1_000_000) / 8);
  for (let i = 0; i < 8; i++) {
    const b = Buffer.alloc(per);
    if (i % 2 === 0) for (let j = 0; j + 4 <= per; j += 4) b.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, j);
    else for (let j = 0; j < per; j++) b[j] = 97 + ((j * 7 + (j >> 9)) % 26);
    files[`data/part-${i}.bin`] = b;
  }
  return tarOf(files);
}
