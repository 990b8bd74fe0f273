import { spawn, type ChildProcess } from 'node:child_process';
import { which } from '../runtime/which';

/** socat is missing on this host: keyboard input to TTY containers and `exec -t` need it. */
export class RelayUnavailableError extends Error {
  readonly code = 'SOCAT_MISSING';
}

let socatPath: string | undefined;

/** socat's path, looked up once (PATH plus the sbin folders). */
export function socatBin(): string {
  socatPath ??= which('socat');
  if (!socatPath) throw new RelayUnavailableError('socat not found: TTY input (docker run -it, docker exec -it) needs it; install the socat package');
  return socatPath;
}

/**
 * Keyboard input into a TTY that conmon owns. conmon offers the pty behind a SOCK_SEQPACKET
 * attach socket (`<socket-dir>/<cuuid>/attach`): each packet it receives goes to the pty
 * master. Node cannot open SEQPACKET sockets, so one socat process per attach session
 * carries the client's bytes from its stdin to the socket. What conmon sends back on the
 * socket (output, one stream byte per packet) is read and dropped: output is taken from
 * conmon's log, which keeps stdout/stderr exact across agent restarts. Without a reader the
 * socket would fill and block conmon.
 */
export class AttachRelay {
  private readonly child: ChildProcess;
  private ended = false;
  /** Settles when socat has exited (the socket closed, input ended, or it was killed). */
  readonly exited: Promise<void>;
  /** socat's complaint, if it exited unhappily (e.g. the socket is gone). */
  stderr = '';

  /** `socketDir` is the folder holding conmon's `attach` socket (the short symlink). */
  constructor(socketDir: string) {
    this.child = spawn(socatBin(), ['-b', '65536', 'STDIO', 'UNIX-CONNECT:attach,so-type=5'], {
      cwd: socketDir, stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.resume();
    this.child.stderr!.on('data', (d: Buffer) => { if (this.stderr.length < 4096) this.stderr += d.toString(); });
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => { this.stderr += e.message; resolve(); });
      this.child.on('close', () => resolve());
    });
  }

  /** Sends bytes to the pty; false when the caller should wait for `drain`. */
  write(data: Buffer, drain: () => void): boolean {
    const stdin = this.child.stdin!;
    if (this.ended || stdin.destroyed) return true;
    const ok = stdin.write(data);
    if (!ok) stdin.once('drain', drain);
    return ok;
  }

  /** Ends input: what was written is delivered, then socat exits (conmon keeps the pty open). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.child.stdin!.end();
    const t = setTimeout(() => this.kill(), 3000);
    t.unref();
    void this.exited.then(() => clearTimeout(t));
  }

  kill(): void {
    this.ended = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
