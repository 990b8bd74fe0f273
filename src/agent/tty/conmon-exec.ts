import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciRuntime } from '../runtime/runc';
import { runtimeMessage } from '../runtime/conmon';

export interface ConmonExecStart {
  containerId: string;
  /** Short unique name: conmon's attach socket link is `<socketDir>/<cuuid>`. */
  cuuid: string;
  name: string;
  /** The session's own folder: conmon's fifos (ctl, winsz), attach socket and exit file. */
  dir: string;
  processSpec: string;
  logPath: string;
  socketDir: string;
  runtime: OciRuntime;
}

export interface ConmonExec {
  /** The exec'd process. */
  pid: number;
  /** Its exit code, once conmon saw it exit and drained its output to the log. */
  exit: Promise<number>;
}

/** `runtime exec` failed before the process ran; `message` is the runtime's reason. */
export class ExecStartError extends Error {}

/**
 * Runs `runtime exec -t` under conmon (`--exec`, as podman does): conmon receives the pty
 * master from the runtime over its console socket (something Node cannot do), writes the
 * output to `logPath` (k8s-file), takes keyboard input on its attach socket and resizes via
 * the `ctl` FIFO in `dir`. On the sync pipe (fd 3) it reports `{"data": pid}` and later
 * `{"data": exitCode}`; the exit code is also written to `dir/<containerId>`.
 */
export function startConmonExec(conmonBin: string, s: ConmonExecStart): Promise<ConmonExec> {
  const args = [
    '--api-version', '1', '-c', s.containerId, '-u', s.cuuid, '-n', s.name,
    '-r', s.runtime.bin, '-b', s.dir, '-p', join(s.dir, 'pid'), '-P', join(s.dir, 'conmon.pid'),
    '-l', `k8s-file:${s.logPath}`, '--exit-dir', s.dir, '--socket-dir-path', s.socketDir, '--log-level', 'error',
    ...s.runtime.globalArgs().flatMap((a) => ['--runtime-arg', a]),
    '-t', '--exec', '--exec-process-spec', s.processSpec,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(conmonBin, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3' }, detached: true, cwd: s.dir });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new ExecStartError(`could not run ${conmonBin}: ${e.message}`)));
    const messages: Array<{ data?: number; message?: string }> = [];
    let buf = '';
    let onExit: ((code: number) => void) | undefined;
    const exit = new Promise<number>((r) => (onExit = r));
    const handle = (m: { data?: number; message?: string }) => {
      messages.push(m);
      if (messages.length === 1) {
        const pid = m.data ?? -1;
        if (pid > 0) resolve({ pid, exit });
        else reject(new ExecStartError(runtimeMessage(m.message ?? '') || `runtime exec failed (${pid})`));
      } else if (messages.length === 2) onExit!(m.data ?? 255);
    };
    const sync = child.stdio[3] as NodeJS.ReadableStream;
    sync.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) try { handle(JSON.parse(line) as { data?: number; message?: string }); } catch { /* not ours */ }
      }
    });
    sync.on('error', () => undefined);
    // The agent may exit while an exec runs (conmon keeps it going): do not hold it up.
    (sync as unknown as { unref?(): void }).unref?.();
    sync.on('close', () => {
      if (messages.length === 0) reject(new ExecStartError(`conmon exited without reporting: ${stderr.trim() || 'no output'}`));
      else if (messages.length === 1) {
        void readFile(join(s.dir, s.containerId), 'utf8').then((t) => { const n = Number(t.trim()); onExit!(t.trim() && Number.isInteger(n) ? n : 255); }, () => onExit!(255));
      }
    });
    child.unref();
  });
}
