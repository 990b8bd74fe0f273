/**
 * Test fixture: a real OpenSSH sshd on 127.0.0.1:<free port>, run as root with its own temp
 * config dir, ed25519 host key, authorized_keys (one file per user) and pid file.
 *
 * With `sandbox: true` sshd runs in a throwaway root: new mount, UTS, IPC and PID namespaces,
 * overlays over /etc, /usr and /var (upper dirs on a tmpfs) and a tmpfs on /run. Everything a
 * test writes there through SSH (users, sudoers, /etc/tsagent, services, packages, the hostname)
 * vanishes at stop(), and every process started in it dies with sshd (PID 1 of its namespace).
 * The network namespace is shared: it listens on the host's loopback.
 *
 * The process tree is `setpriv --pdeathsig KILL unshare ... --kill-child sshd` (setpriv execs
 * unshare), and sshd is PID 1 of a new PID namespace: killing unshare by PID ends sshd and every
 * session, and so does a crash of the test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostExec } from '../../src/core/exec';
import type { SshEndpoint } from '../../src/drivers/driver';

export interface SshdOptions {
  /** Run sshd in a throwaway root (see the file comment). */
  sandbox?: boolean;
}

export interface Sshd {
  readonly host: string;
  readonly port: number;
  /** The fixture's temp folder (config, keys, logs). */
  readonly dir: string;
  /** Private key authorized for root (and for users added with authorize()). */
  readonly clientKeyPath: string;
  readonly clientPublicKey: string;
  readonly hostKeyPath: string;
  /** Host PID of `unshare` (the tree's root); stop() kills by it. */
  pid(): number;
  /** The host's public key line (`ssh-ed25519 AAAA... comment`). */
  hostPublicKey(): Promise<string>;
  endpoint(user?: string): SshEndpoint;
  /** Lets `user` log in with the fixture's client key. */
  authorize(user: string): Promise<void>;
  /** Replaces the host key (takes effect at the next restart()). */
  regenerateHostKey(): Promise<void>;
  /** Stops and starts sshd on the same port (a sandbox starts from a clean overlay). */
  restart(): Promise<void>;
  /** Stops sshd and deletes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
  /** sshd's log so far (stderr, -e). */
  log(): string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function keygen(path: string, comment: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  await hostExec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}/%u`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    '',
  ].join('\n');
}

/** The shell script that builds the throwaway root inside the new namespaces, then execs sshd. */
function sandboxScript(dir: string): string {
  const t = join(dir, 'ns');
  return [
    'set -e',
    `mount -t tmpfs -o mode=700 tsm-sandbox ${t}`,
    'for d in etc usr var; do',
    `  mkdir -p ${t}/$d.up ${t}/$d.wk`,
    `  mount -t overlay tsm-sandbox-$d -o lowerdir=/$d,upperdir=${t}/$d.up,workdir=${t}/$d.wk /$d`,
    'done',
    'mount -t tmpfs -o mode=755 tsm-sandbox-run /run',
    'mkdir -p -m 755 /run/sshd /run/lock',
    'hostname tsm-sandbox',
    `exec /usr/sbin/sshd -D -e -f ${join(dir, 'sshd_config')}`,
  ].join('\n');
}

/**
 * sshd always runs as PID 1 of its own PID namespace, so killing it also ends every session
 * process it forked; the sandbox adds UTS and IPC namespaces and the overlays.
 */
function spawnSshd(dir: string, sandbox: boolean): ChildProcess {
  const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')];
  const ns = ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', ...(sandbox ? ['--uts', '--ipc'] : [])];
  const argv = sandbox ? ['/bin/sh', '-c', sandboxScript(dir)] : sshd;
  return spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', ...ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Host PIDs of a process's children. */
async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

async function waitGone(pids: number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive: number[] = [];
    for (const p of pids) {
      // Gone, or a zombie (it released its sockets and mounts; its reaper may be slow).
      const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
      if (stat !== '' && !/^\d+ \(.*\) Z/.test(stat)) alive.push(p);
    }
    if (alive.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes ${alive.join(', ')} still alive after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when sshd logs that it listens; rejects (with its log) if it exits first. */
function waitListening(child: ChildProcess, logs: string[], timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`sshd did not start in ${timeoutMs}ms:\n${logs.join('')}`)), timeoutMs);
    const onData = (d: Buffer) => {
      logs.push(d.toString());
      if (logs.join('').includes('Server listening on 127.0.0.1')) done();
    };
    const onExit = (code: number | null) => done(new Error(`sshd exited (${code}) before listening:\n${logs.join('')}`));
    const done = (e?: Error) => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      if (e) reject(e);
      else {
        child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Kills a process by PID and waits for it to be gone. */
function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      process.kill(child.pid!, 'SIGKILL');
    } catch {
      resolve();
    }
  });
}

/** Starts sshd; the caller must `stop()` it (t.after). */
export async function startSshd(o: SshdOptions = {}): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'tsm-sshd-'));
  const sandbox = o.sandbox ?? false;
  const port = await freePort();
  const clientKeyPath = join(dir, 'client_ed25519');
  const hostKeyPath = join(dir, 'host_ed25519');
  let child: ChildProcess | undefined;
  let logs: string[] = [];
  const start = async () => {
    logs = [];
    child = spawnSshd(dir, sandbox);
    await waitListening(child, logs);
  };
  const stop = async () => {
    if (!child) return;
    const inner = await childPids(child.pid!);
    await killAndWait(child);
    await waitGone(inner);
  };
  try {
    // sshd reads a user's authorized_keys with that user's privileges: keep the path traversable.
    await chmod(dir, 0o711);
    await mkdir(join(dir, 'authorized_keys'), { mode: 0o755 });
    await mkdir(join(dir, 'ns'), { mode: 0o700 });
    await keygen(clientKeyPath, 'tsm-test-client');
    await keygen(hostKeyPath, 'tsm-test-host');
    const clientPublicKey = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();
    await writeFile(join(dir, 'sshd_config'), sshdConfig(dir, port));
    const authorize = async (user: string) => {
      const f = join(dir, 'authorized_keys', user);
      await writeFile(f, `${clientPublicKey}\n`, { mode: 0o644 });
      await chmod(f, 0o644);
    };
    await authorize('root');
    if (!sandbox) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    await start();
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      dir,
      clientKeyPath,
      clientPublicKey,
      hostKeyPath,
      pid: () => child!.pid!,
      hostPublicKey: async () => (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim(),
      endpoint: (user = 'root') => ({ host: '127.0.0.1', port, user, privateKeyPath: clientKeyPath }),
      authorize,
      regenerateHostKey: () => keygen(hostKeyPath, 'tsm-test-host'),
      restart: async () => {
        await stop();
        await start();
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
      log: () => logs.join(''),
    };
  } catch (e) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
