import { openSync, closeSync, constants as fsc, promises as fsp } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { runOk } from '../util/proc';

/**
 * stdin for non-TTY containers (`docker run -i`). conmon's own stdin channel is its attach
 * socket, a SOCK_SEQPACKET socket Node cannot open. Instead the agent makes a FIFO in the
 * bundle, holds it open read-write (so opening it never blocks) and has conmon run the
 * runtime through a tiny wrapper that gives `runtime create` the FIFO as stdin; the
 * container inherits it. Writing to the FIFO feeds the container; closing the agent's end
 * delivers EOF. The FIFO's writer lives in the agent: an agent restart closes the
 * container's stdin. TTY containers (conmon owns the pty) get their input through conmon's
 * attach socket instead (src/agent/tty/).
 */
interface Pipe {
  socket: Socket;
  /** The container has the FIFO open (its runtime create succeeded). */
  running: boolean;
  /** The client closed stdin before that: close once the container has it open. */
  closeWanted: boolean;
}

export class StdinPipes {
  private readonly pipes = new Map<string, Pipe>();

  constructor(private readonly wrapperPath: string) {}

  /** Writes the wrapper conmon runs instead of the runtime for containers with stdin. */
  static async writeWrapper(execRoot: string, runtimeBin: string): Promise<StdinPipes> {
    const path = join(execRoot, 'runtime-with-stdin');
    const q = `'${runtimeBin.replace(/'/g, "'\\''")}'`;
    const script = [
      '#!/bin/sh',
      '# Written by tsagent: runs the OCI runtime with the container\'s stdin FIFO as stdin.',
      `if [ -n "$TSAGENT_STDIN" ] && [ -p "$TSAGENT_STDIN" ]; then exec ${q} "$@" < "$TSAGENT_STDIN"; fi`,
      `exec ${q} "$@"`,
      '',
    ].join('\n');
    await fsp.writeFile(path, script, { mode: 0o755 });
    await fsp.chmod(path, 0o755);
    return new StdinPipes(path);
  }

  get wrapper(): string {
    return this.wrapperPath;
  }

  /**
   * Makes the FIFO at `path` for container `id` and keeps its writer, unless the next run's
   * FIFO exists already (an attach can come before the start). Data written before the
   * container starts waits in the pipe.
   */
  async ensure(id: string, path: string): Promise<void> {
    if (this.pipes.has(id)) return;
    await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await fsp.rm(path, { force: true });
    await runOk('mkfifo', ['-m', '600', path]);
    if (this.pipes.has(id)) return;
    const fd = openSync(path, fsc.O_RDWR);
    try {
      const socket = new Socket({ fd, readable: false, writable: true });
      socket.on('error', () => this.close(id));
      this.pipes.set(id, { socket, running: false, closeWanted: false });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get(id: string): Socket | undefined {
    return this.pipes.get(id)?.socket;
  }

  /** The container now holds the FIFO open: a close asked for earlier can happen. */
  markRunning(id: string): void {
    const p = this.pipes.get(id);
    if (!p) return;
    p.running = true;
    if (p.closeWanted) this.close(id);
  }

  /**
   * The client closed stdin. Closing before the container opened the FIFO would leave its
   * runtime blocked opening it (no writer), so that waits for markRunning.
   */
  requestClose(id: string): void {
    const p = this.pipes.get(id);
    if (!p) return;
    if (p.running) this.close(id);
    else p.closeWanted = true;
  }

  /** Closes the agent's end: the container reads EOF once the buffer is drained. */
  close(id: string): void {
    const p = this.pipes.get(id);
    if (!p) return;
    this.pipes.delete(id);
    p.socket.end();
    p.socket.destroySoon();
  }
}
