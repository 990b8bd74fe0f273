import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = join(__dirname, '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'run.js');

/** Runs a program and collects its output; never throws for a non-zero exit. */
export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

/** Runs the tsmachine CLI (compiled) with a given store. */
export function tsm(store: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}) {
  return run(process.execPath, [BIN, ...args], { ...opts, env: { ...process.env, ...opts.env, TSMACHINE_STORAGE_PATH: store, CI: '1' } });
}

/** Parses `export NAME="value"` lines of `tsmachine env` (bash) into an object. */
export function parseBashExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_]+)="(.*)"$/gm)) env[m[1]] = m[2];
  return env;
}
