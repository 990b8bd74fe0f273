import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk } from '../util/proc';

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
}

/** The OCI runtime CLI (runc or crun; both take the same commands) with its state root. */
export class OciRuntime {
  constructor(readonly bin: string, readonly root: string) {}

  /** Arguments that precede every command (conmon passes them with --runtime-arg). */
  globalArgs(): string[] {
    return [`--root=${this.root}`];
  }

  async start(id: string): Promise<void> {
    await runOk(this.bin, [...this.globalArgs(), 'start', id]);
  }

  /** Sends a signal to the container's init (or every process with `all`). */
  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await runOk(this.bin, [...this.globalArgs(), 'kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  /** True when the runtime keeps state for `id` (a folder under its root); saves a process spawn. */
  hasState(id: string): boolean {
    return existsSync(join(this.root, id));
  }

  /** Deletes the runtime's state (and the container's cgroups). Resolves if already gone. */
  async delete(id: string, force = false): Promise<void> {
    if (!this.hasState(id)) return;
    const r = await run(this.bin, [...this.globalArgs(), 'delete', ...(force ? ['--force'] : []), id]);
    if (r.code !== 0 && !/does not exist|not found|no such/i.test(r.stderr)) {
      throw new Error(`${this.bin} delete ${id}: ${r.stderr.trim()}`);
    }
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const r = await run(this.bin, [...this.globalArgs(), 'state', id]);
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as RuntimeState;
  }

  async list(): Promise<RuntimeState[]> {
    const r = await run(this.bin, [...this.globalArgs(), 'list', '--format', 'json']);
    if (r.code !== 0) return [];
    return (JSON.parse(r.stdout || '[]') as RuntimeState[] | null) ?? [];
  }

  async pause(id: string): Promise<void> {
    await runOk(this.bin, [...this.globalArgs(), 'pause', id]);
  }

  async resume(id: string): Promise<void> {
    await runOk(this.bin, [...this.globalArgs(), 'resume', id]);
  }

  /** Host PIDs of every process in the container. */
  async pids(id: string): Promise<number[]> {
    return (JSON.parse(await runOk(this.bin, [...this.globalArgs(), 'ps', '--format', 'json', id])) as number[] | null) ?? [];
  }

  async version(): Promise<string> {
    const r = await run(this.bin, ['--version']);
    return /version\s+(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
  }
}
