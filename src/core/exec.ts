import { spawn } from 'node:child_process';
import { TsmError } from './errors';

/** Result of a finished process. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Data written to the process's stdin, then closed. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Resolve with a non-zero code instead of throwing COMMAND_FAILED. */
  allowFailure?: boolean;
}

/**
 * Runs a program (no shell) and collects its output. Injected wherever code runs host
 * programs (`ip`, `iptables`, `unshare`, ...) so tests can see what would run.
 */
export type Exec = (file: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** The real Exec: child_process.spawn. Throws COMMAND_FAILED (with stderr) on a non-zero exit. */
export const hostExec: Exec = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      signal: opts.signal,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) =>
      reject(new TsmError('COMMAND_FAILED', `could not run ${file}: ${e.message}`, {
        cause: e,
        suggestion: `install ${file} or check that it is on PATH`,
      })),
    );
    child.on('close', (code, sig) => {
      const result = { code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.code !== 0 && !opts.allowFailure) {
        const why = sig ? `killed by ${sig}` : `exit code ${result.code}`;
        reject(new TsmError('COMMAND_FAILED', `${file} ${args.join(' ')} failed (${why}): ${result.stderr.trim() || result.stdout.trim()}`));
      } else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? undefined);
  });
