import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { OciRuntime } from './runc';

export interface ConmonStart {
  id: string;
  /** Short unique ID: conmon names the attach socket folder after it (socket paths are short). */
  cuuid: string;
  name: string;
  bundle: string;
  logPath: string;
  exitDir: string;
  socketDir: string;
  pidFile: string;
  conmonPidFile: string;
  tty: boolean;
  runtime: OciRuntime;
  /** A FIFO to use as the container's stdin, and the wrapper that passes it to the runtime. */
  stdin?: { fifo: string; wrapper: string };
}

export interface ConmonResult {
  /** The container's init process. */
  pid: number;
  /** The conmon daemon that monitors it. */
  conmonPid: number;
}

/** Runtime creation failed; `message` is the runtime's stderr (e.g. "executable file not found"). */
export class CreateFailedError extends Error {}

/** The message of runc's logrus lines (`time=... level=error msg="..."`), else the text itself. */
export function runtimeMessage(stderr: string): string {
  const msgs = [...stderr.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  return (msgs.length ? msgs[msgs.length - 1] : stderr).trim();
}

/**
 * Starts conmon, which double-forks, runs `runtime create` and stays as the container's
 * monitor: it writes stdout/stderr to a k8s-file log, the exit code to `exitDir/<id>`, and
 * owns the pty for TTY containers. Resolves once the container is created (not started):
 * conmon reports `{"pid": N}` (or `{"pid": -1, "message": ...}`) on the sync pipe (fd 3).
 */
export function startConmon(conmonBin: string, s: ConmonStart): Promise<ConmonResult> {
  const args = [
    '-c', s.id, '-u', s.cuuid, '-n', s.name,
    '-r', s.stdin ? s.stdin.wrapper : s.runtime.bin, '-b', s.bundle,
    '-p', s.pidFile, '-P', s.conmonPidFile,
    '-l', `k8s-file:${s.logPath}`,
    '--exit-dir', s.exitDir, '--socket-dir-path', s.socketDir,
    '--log-level', 'error',
    ...s.runtime.globalArgs().flatMap((a) => ['--runtime-arg', a]),
    ...(s.tty ? ['-t'] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(conmonBin, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3', ...(s.stdin ? { TSAGENT_STDIN: s.stdin.fifo } : {}) },
      detached: true,
      cwd: s.bundle,
    });
    let sync = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
    const syncPipe = child.stdio[3] as NodeJS.ReadableStream;
    const finish = async () => {
      const line = sync.split('\n')[0];
      if (!line) {
        reject(new CreateFailedError(`conmon exited without reporting: ${stderr.trim() || 'no output'}`));
        return;
      }
      const msg = JSON.parse(line) as { data?: number; pid?: number; message?: string };
      const pid = msg.data ?? msg.pid ?? -1;
      if (pid <= 0) { reject(new CreateFailedError(runtimeMessage(msg.message ?? '') || `runtime create failed (${pid})`)); return; }
      const conmonPid = Number((await readFile(s.conmonPidFile, 'utf8').catch(() => '0')).trim());
      resolve({ pid, conmonPid });
    };
    syncPipe.on('data', (d: Buffer) => {
      sync += d.toString();
      if (sync.includes('\n')) {
        syncPipe.removeAllListeners('data');
        (syncPipe as unknown as { destroy(): void }).destroy();
        void finish();
      }
    });
    syncPipe.on('end', () => { if (!sync.includes('\n')) void finish(); });
    child.on('error', (e) => reject(new CreateFailedError(`could not run ${conmonBin}: ${e.message}`)));
    child.unref();
  });
}
