import { access, constants as fsConstants } from 'node:fs/promises';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { TsmError, errorMessage, isTsmError } from '../core/errors';
import { waitFor } from '../core/wait';
import { collect, pump, trackExit, waitChannel, type PumpOptions } from './ssh-channel';
import { endpointName, openConnection, type SshConnectOptions } from './ssh-connect';
import { octalMode, shQuote, sudoWrap } from './shell-quote';

export { endpointName, type SshConnectOptions } from './ssh-connect';

/** Result of a remote command. */
export interface SshExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SshExecOptions {
  /** Bytes written to the command's stdin, then EOF. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Run as root: as is when the user is root, else through `sudo -n` (never prompts). */
  sudo?: boolean;
  signal?: AbortSignal;
}

export interface SshRunOptions extends SshExecOptions {
  /** Shown instead of the command in errors (for long scripts). */
  label?: string;
}

export interface PutFileOptions {
  /** File mode, applied to the temp file before any content is written. */
  mode: number;
  sudo?: boolean;
  /** Create the parent folder (`mkdir -p`) when missing. */
  mkdir?: boolean;
}

export interface ShellOptions extends PumpOptions {
  /** TERM for the remote PTY (default xterm-256color). */
  term?: string;
  rows?: number;
  cols?: number;
}

export interface ExecStreamOptions extends PumpOptions {
  sudo?: boolean;
  /** Allocate a PTY (for interactive commands). */
  pty?: { term?: string; rows?: number; cols?: number };
  signal?: AbortSignal;
}

const STDERR_TAIL_LINES = 15;
const STDERR_TAIL_CHARS = 2000;

/** The last lines of a command's stderr, bounded, for error messages. */
export function stderrTail(stderr: string): string {
  const lines = stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
  return lines.length > STDERR_TAIL_CHARS ? `...${lines.slice(-STDERR_TAIL_CHARS)}` : lines;
}

function commandLabel(command: string): string {
  const first = command.trim().split('\n')[0];
  const short = first.length > 160 ? `${first.slice(0, 160)}...` : first;
  return command.trim().includes('\n') ? `${short} ...` : short;
}

function ptyOptions(o: { term?: string; rows?: number; cols?: number }): PseudoTtyOptions {
  return { term: o.term ?? 'xterm-256color', rows: o.rows ?? 24, cols: o.cols ?? 80, width: 0, height: 0 };
}

/**
 * One authenticated SSH connection, reused for a whole provisioning run. Commands run in the
 * user's login shell; `sudo: true` runs them as root (through `sudo -n sh -c` when the user is
 * not root). Secrets go through `input` or `putFile`, never on a command line.
 */
export class SshClient {
  private rootCheck?: Promise<boolean>;
  private sudoCheck?: Promise<void>;

  private constructor(
    private readonly client: Client,
    /** `user@host:port`. */
    readonly endpoint: string,
    readonly user: string,
  ) {}

  /** Connects and authenticates, pinning or verifying the host key (see SshConnectOptions). */
  static async connect(o: SshConnectOptions): Promise<SshClient> {
    return new SshClient(await openConnection(o), endpointName(o), o.user);
  }

  /** True when commands already run as uid 0. */
  isRoot(): Promise<boolean> {
    if (this.user === 'root') return Promise.resolve(true);
    this.rootCheck ??= this.exec('id -u').then((r) => r.stdout.trim() === '0');
    return this.rootCheck;
  }

  /** Runs a command and collects its output. Never throws for a non-zero exit code. */
  async exec(command: string, o: SshExecOptions = {}): Promise<SshExecResult> {
    const r = await this.execRaw(command, o);
    return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  /** Like exec, but throws PROVISION_FAILED (command, exit code, stderr tail) on a non-zero exit. */
  async run(command: string, o: SshRunOptions = {}): Promise<SshExecResult> {
    const r = await this.exec(command, o);
    if (r.code !== 0) throw this.commandFailed(o.label ?? commandLabel(command), r.code, r.stderr || r.stdout);
    return r;
  }

  /**
   * Writes a file atomically: a temp file next to it (mode set before the content lands), then
   * `mv` over the target. Readers see the old or the new content, never a partial file.
   */
  async putFile(remotePath: string, contents: Buffer | string, o: PutFileOptions): Promise<void> {
    const p = shQuote(remotePath);
    const mode = octalMode(o.mode);
    const writable = (o.mode & 0o200) !== 0;
    const script = [
      'set -e',
      ...(o.mkdir ? [`mkdir -p "$(dirname ${p})"`] : []),
      `t=$(mktemp ${shQuote(`${remotePath}.tsm-XXXXXX`)})`,
      `trap 'rm -f "$t"' EXIT`,
      ...(writable ? [`chmod ${mode} "$t"`] : []),
      `cat > "$t"`,
      ...(writable ? [] : [`chmod ${mode} "$t"`]),
      `mv -f "$t" ${p}`,
      'trap - EXIT',
    ].join('\n');
    await this.run(script, { input: contents, sudo: o.sudo, label: `write ${remotePath}` });
  }

  /** Reads a remote file. Throws PROVISION_FAILED when it cannot be read. */
  async getFile(remotePath: string, o: { sudo?: boolean } = {}): Promise<Buffer> {
    const r = await this.execRaw(`cat -- ${shQuote(remotePath)}`, o);
    if (r.code !== 0) throw this.commandFailed(`read ${remotePath}`, r.code, r.stderr.toString());
    return r.stdout;
  }

  /**
   * Interactive login shell on a PTY, wired to local streams (the caller puts a local TTY in raw
   * mode). Sends window-change when `stdout` emits 'resize'. Resolves with the remote exit code.
   */
  async shell(o: ShellOptions): Promise<number> {
    const ch = await this.channel((cb) => this.client.shell(ptyOptions(o), cb));
    return pump(ch, o, this.endpoint);
  }

  /** Runs a command with its output passed through to local streams; resolves with its exit code. */
  async execStream(command: string, o: ExecStreamOptions): Promise<number> {
    const cmd = await this.prepare(command, o.sudo);
    const ch = await this.channel((cb) => this.client.exec(cmd, o.pty ? { pty: ptyOptions(o.pty) } : {}, cb));
    return pump(ch, o, this.endpoint, o.signal);
  }

  /** Ends the connection. Safe to call twice. */
  close(): void {
    this.client.end();
  }

  private async execRaw(command: string, o: SshExecOptions): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
    const cmd = await this.prepare(command, o.sudo);
    const ch = await this.channel((cb) => this.client.exec(cmd, cb));
    const out = collect(ch);
    const done = waitChannel(ch, this.endpoint, o.signal);
    ch.end(o.input ?? undefined);
    const { code } = await done;
    return { code, stdout: out.stdout(), stderr: out.stderr() };
  }

  private channel(open: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const fail = (e: unknown) =>
        reject(new TsmError('SSH_ERROR', `cannot start a command on ${this.endpoint}: ${errorMessage(e)}`, {
          cause: e,
          suggestion: 'check that the host is still up and reachable, then retry',
        }));
      try {
        open((err, ch) => {
          if (err) return fail(err);
          trackExit(ch); // now, not after the await: see trackExit
          resolve(ch);
        });
      } catch (e) {
        fail(e);
      }
    });
  }

  private async prepare(command: string, sudo?: boolean): Promise<string> {
    if (!sudo || (await this.isRoot())) return command;
    this.sudoCheck ??= this.checkSudo();
    await this.sudoCheck;
    return sudoWrap(command);
  }

  private async checkSudo(): Promise<void> {
    const r = await this.exec('sudo -n true');
    if (r.code === 0) return;
    const missing = r.code === 127 || /not found/i.test(r.stderr);
    const said = stderrTail(r.stderr).split('\n').filter(Boolean).slice(-3).join('; ');
    const why = missing ? 'sudo is not installed' : `sudo -n failed: ${said || `exit code ${r.code}`}`;
    throw new TsmError('PROVISION_FAILED', `user "${this.user}" on ${this.endpoint} is not root and cannot run commands as root: ${why}`, {
      suggestion: missing
        ? `connect as root, or install sudo and allow "${this.user}" to use it without a password`
        : `allow passwordless sudo for "${this.user}" (e.g. "${this.user} ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/${this.user}) or connect as root`,
    });
  }

  private commandFailed(what: string, code: number, stderr: string): TsmError {
    const tail = stderrTail(stderr);
    return new TsmError('PROVISION_FAILED', `command failed on ${this.endpoint} (exit code ${code}): ${what}${tail ? `\n${tail}` : ''}`, {
      suggestion: 'fix the cause shown above on the host, then run "tsmachine provision <name>" again',
    });
  }
}

/** How long one connection attempt may take while waiting for SSH. */
const ATTEMPT_TIMEOUT_MS = 15_000;

/**
 * Connects, retrying (every second) until the host answers or `timeoutMs` passes; the timeout
 * error names the endpoint and the last reason. A changed host key or an unusable private key
 * fails at once.
 */
export async function waitForSsh(
  endpoint: SshConnectOptions,
  o: { timeoutMs: number; signal?: AbortSignal; intervalMs?: number },
): Promise<SshClient> {
  try {
    await access(endpoint.privateKeyPath, fsConstants.R_OK);
  } catch (e) {
    throw new TsmError('SSH_ERROR', `cannot read the SSH private key ${endpoint.privateKeyPath} for ${endpointName(endpoint)}`, {
      cause: e,
      suggestion: 'check that the key file exists and is readable (the machine folder may be incomplete)',
    });
  }
  let lastError: unknown;
  // Every distinct failure and how often it came, for the timeout message (not only the last).
  const failures = new Map<string, number>();
  const got = await waitFor<SshClient | TsmError>(
    async () => {
      try {
        return await SshClient.connect({ ...endpoint, timeoutMs: Math.min(ATTEMPT_TIMEOUT_MS, o.timeoutMs), signal: o.signal });
      } catch (e) {
        if (isTsmError(e, 'SSH_HOST_KEY_MISMATCH') || isTsmError(e, 'SSH_KEY_INVALID')) return e;
        lastError = e;
        const m = e instanceof Error ? e.message : String(e);
        failures.set(m, (failures.get(m) ?? 0) + 1);
        throw e;
      }
    },
    { timeoutMs: o.timeoutMs, signal: o.signal, intervalMs: o.intervalMs ?? 1000, what: `SSH on ${endpointName(endpoint)}` },
  ).catch((e: unknown) => {
    if (isTsmError(e, 'TIMEOUT')) {
      const seen = [...failures].map(([m, n]) => `  ${n}× ${m}`).join('\n');
      const message = seen ? `${e.message}; the attempts failed with:\n${seen}` : e.message;
      const hint = lastError instanceof TsmError ? lastError.suggestion : undefined;
      throw new TsmError('TIMEOUT', message, { cause: lastError ?? e, suggestion: hint ?? (e as TsmError).suggestion });
    }
    throw e;
  });
  if (got instanceof TsmError) throw got;
  return got;
}

export type { PumpOptions } from './ssh-channel';
