import { spawn } from 'node:child_process';
import { constants as fsc, promises as fs, openSync, closeSync, statfsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Exec, ExecResult } from '../../core/exec';
import { TsmError } from '../../core/errors';
import { tcpReachable } from '../../core/tcp-reachable';

/** What /proc/<pid>/stat says about a process. */
export interface ProcStat {
  comm: string;
  /** One letter: R, S, D, Z, ... */
  state: string;
  ppid: number;
  /** Clock ticks after boot (field 22): with the PID, identifies one process for good. */
  startTime: number;
}

/** One line of /proc/self/mounts. */
export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string;
}

/**
 * The host operations the local driver makes, and nothing else: iproute2, iptables, spawning
 * the machine's process tree, /proc, the cgroup filesystem and a TCP probe. The real adapter is
 * `realLocalApi`; tests use it too (real over fake), pure logic is tested without it.
 */
export interface LocalHostApi {
  /** Runs iproute2 `ip`; throws COMMAND_FAILED on failure unless allowFailure. */
  ip(args: readonly string[], opts?: { allowFailure?: boolean }): Promise<ExecResult>;
  /** Runs `iptables`; throws COMMAND_FAILED on failure unless allowFailure. */
  iptables(args: readonly string[], opts?: { allowFailure?: boolean }): Promise<ExecResult>;
  /** Absolute path of a program found on PATH (plus the sbin folders), or undefined. */
  which(program: string): Promise<string | undefined>;
  /** Starts a program in its own session with stdio appended to `logPath`; returns its PID. */
  spawnDetached(file: string, args: readonly string[], opts: { logPath: string; env: Record<string, string> }): Promise<number>;
  /** undefined when the process does not exist. */
  procStat(pid: number): Promise<ProcStat | undefined>;
  /** PIDs whose parent is `pid`. */
  childPids(pid: number): Promise<number[]>;
  /** Sends a signal; a process that is already gone is not an error. */
  kill(pid: number, signal: NodeJS.Signals): void;
  /** The mount table of this process's mount namespace. */
  mounts(): Promise<MountEntry[]>;
  /** Filesystem magic number of the filesystem holding `path`. */
  fsType(path: string): number;
  /** True when a TCP connection to host:port is accepted within timeoutMs. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean>;
  /** File reads and writes (cgroup files, sysctls); readFile gives undefined when missing. */
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, data: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** Subfolder names; [] when the folder is missing. */
  subdirs(path: string): Promise<string[]>;
  /** Removes an empty folder; resolves if already gone. */
  rmdir(path: string): Promise<void>;
  /** Deletes a tree; resolves if already gone. */
  rmTree(path: string): Promise<void>;
  isRoot(): boolean;
  platform(): NodeJS.Platform;
}

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const ppid = Number(rest[1]);
  const startTime = Number(rest[19]);
  if (!Number.isFinite(ppid) || !Number.isFinite(startTime)) return undefined;
  return { comm: text.slice(open + 1, close), state: rest[0], ppid, startTime };
}

export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [source, target, fstype, options] = line.split(' ');
      return { source: unescape(source), target: unescape(target), fstype, options };
    });
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
}

function ignoreCodes(codes: string[]): (e: unknown) => void {
  return (e) => {
    if (!codes.includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  };
}

async function childPids(pid: number): Promise<number[]> {
  const direct = await readOrUndefined(`/proc/${pid}/task/${pid}/children`).catch(() => undefined);
  if (direct !== undefined) return direct.split(/\s+/).filter(Boolean).map(Number);
  const found: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const st = parseProcStat((await readOrUndefined(`/proc/${name}/stat`).catch(() => undefined)) ?? '');
    if (st?.ppid === pid) found.push(Number(name));
  }
  return found;
}

function spawnDetached(file: string, args: readonly string[], opts: { logPath: string; env: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = openSync(opts.logPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o600);
    try {
      const child = spawn(file, [...args], { detached: true, stdio: ['ignore', fd, fd], env: opts.env, cwd: '/' });
      child.once('error', (e) => reject(new TsmError('COMMAND_FAILED', `could not start ${file}: ${e.message}`, { cause: e })));
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid!);
      });
    } finally {
      closeSync(fd);
    }
  });
}

/** The real host, through `exec` for programs and node:fs for files. */
export function realLocalApi(exec: Exec): LocalHostApi {
  return {
    ip: (args, opts) => exec('ip', args, { allowFailure: opts?.allowFailure }),
    iptables: (args, opts) => exec('iptables', ['-w', '5', ...args], { allowFailure: opts?.allowFailure }),
    async which(program) {
      const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
      for (const d of dirs) {
        const p = join(d, program);
        if (await fs.access(p, fsc.X_OK).then(() => true, () => false)) return p;
      }
      return undefined;
    },
    spawnDetached,
    procStat: async (pid) => parseProcStat((await readOrUndefined(`/proc/${pid}/stat`)) ?? ''),
    childPids,
    kill(pid, signal) {
      try {
        process.kill(pid, signal);
      } catch (e) {
        ignoreCodes(['ESRCH'])(e);
      }
    },
    mounts: async () => parseMounts((await readOrUndefined('/proc/self/mounts')) ?? ''),
    fsType: (path) => statfsSync(path).type,
    tcpProbe: tcpReachable,
    readFile: readOrUndefined,
    writeFile: (path, data) => fs.writeFile(path, data),
    mkdirp: async (path) => void (await fs.mkdir(path, { recursive: true })),
    subdirs: async (path) =>
      (await fs.readdir(path, { withFileTypes: true }).catch((e) => (ignoreCodes(['ENOENT'])(e), []))).filter((d) => d.isDirectory()).map((d) => d.name),
    rmdir: (path) => fs.rmdir(path).catch(ignoreCodes(['ENOENT'])),
    rmTree: (path) => fs.rm(path, { recursive: true, force: true, maxRetries: 3 }),
    isRoot: () => process.getuid?.() === 0,
    platform: () => process.platform,
  };
}
