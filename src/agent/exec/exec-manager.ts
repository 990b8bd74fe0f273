import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine';
import { conflict, notFound, badRequest } from '../http/api-error';
import { randomId } from '../util/ids';
import { atomicWriteJson } from '../util/fsx';
import { resolveUser } from '../containers/user';
import { capabilities, containerEnv } from '../containers/spec';
import { frame } from '../logs/mux';
import { strSlice } from '../containers/create';
import { hostCapabilities } from '../runtime/host-caps';
import { startTtyExec } from './exec-tty';
import { writeWindowSize } from '../tty/window-size';
import { checkTtyInputAvailable, detachKeysOr400 } from '../tty/container-tty';

function consoleSize(v: [number, number] | null | undefined): { height: number; width: number } | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [height, width] = v.map(Number);
  return Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0 && height <= 1000 && width <= 1000 ? { height, width } : undefined;
}
import { rlimits } from '../runtime/cgroups-limits';
import { groupAddGids, readFileInRoot, securityOptions } from '../containers/run-options';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  /** [rows, cols] of the client's terminal (API 1.42+), for TTY sessions. */
  ConsoleSize?: [number, number] | null;
}

export interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  /** TTY sessions: the window size asked for (applied at start when it came first). */
  size?: { height: number; width: number };
  /** TTY sessions while running: conmon's folder (its ctl FIFO resizes the pty). */
  ttyDir?: string;
}

/**
 * `docker exec`: sessions without a TTY run `runtime exec` as a child of the agent with
 * pipes, so stdin works and stdout/stderr stay apart. TTY sessions run under conmon, which
 * receives the pty master from the runtime (SCM_RIGHTS, which Node cannot): see exec-tty.ts.
 */
export class ExecManager {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(private readonly engine: Engine) {}

  create(containerRef: string, config: ExecConfig): string {
    const rec = this.engine.containers.get(containerRef);
    if (!rec.State.Running) throw conflict(`container ${rec.Id} is not running`);
    if (rec.State.Paused) throw conflict(`Container ${rec.Id} is paused, unpause the container before exec`);
    config.Cmd = strSlice(config.Cmd, 'Cmd');
    if (!config.Cmd || config.Cmd.length === 0) throw badRequest('No exec command specified');
    this.prune();
    const id = randomId();
    this.sessions.set(id, { id, containerId: rec.Id, config, running: false, started: false, exitCode: null, pid: 0 });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw notFound(`No such exec instance: ${id}`);
    return s;
  }

  /** Sessions of a container that have not finished (dockerd's ExecIDs). */
  idsFor(containerId: string): string[] {
    return [...this.sessions.values()].filter((s) => s.containerId === containerId && s.exitCode === null).map((s) => s.id);
  }

  /** Keeps at most `max` finished sessions (oldest dropped first). */
  private prune(max = 500): void {
    const done = [...this.sessions.values()].filter((s) => s.exitCode !== null);
    for (const s of done.slice(0, Math.max(0, done.length - max))) this.sessions.delete(s.id);
  }

  /** Forgets the sessions of a removed container. */
  forget(containerId: string): void {
    for (const s of this.sessions.values()) if (s.containerId === containerId) this.sessions.delete(s.id);
  }

  private async processSpec(s: ExecSession): Promise<string> {
    const rec = this.engine.containers.get(s.containerId);
    const rootfs = this.engine.paths.container(rec.Id).merged;
    const user = await resolveUser(rootfs, s.config.User || rec.Config.User || '');
    const groupAdd = (rec.HostConfig.GroupAdd as string[] | null | undefined) ?? [];
    if (groupAdd.length) user.additionalGids = [...new Set([...user.additionalGids, ...groupAddGids(groupAdd, await readFileInRoot(rootfs, 'etc/group'))])];
    const caps = capabilities(!!(s.config.Privileged || rec.HostConfig.Privileged), rec.HostConfig.CapAdd ?? [], rec.HostConfig.CapDrop ?? [], hostCapabilities());
    const env = containerEnv([...(rec.Config.Env ?? []), ...(s.config.Env ?? [])], rec.Config.Hostname ?? rec.Id.slice(0, 12), false);
    const size = s.size ?? consoleSize(s.config.ConsoleSize);
    const spec = {
      terminal: !!s.config.Tty,
      ...(s.config.Tty && size ? { consoleSize: size } : {}),
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) },
      args: s.config.Cmd,
      env,
      cwd: s.config.WorkingDir || rec.Config.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: securityOptions(rec.HostConfig).noNewPrivileges,
      oomScoreAdj: rec.HostConfig.OomScoreAdj ?? 0,
      rlimits: rlimits(rec.HostConfig),
    };
    const file = join(this.engine.paths.execSpecs, `${s.id}.json`);
    await atomicWriteJson(file, spec);
    return file;
  }

  /**
   * Runs the session. Output goes to `io` (multiplexed frames unless TTY); stdin is read from
   * `io` when the session attached it. The exit code is recorded before `io` is ended.
   * With `detach`, resolves once started and discards output.
   */
  /** Throws the 404/409 that starting `id` would meet. */
  precheck(id: string): ExecSession {
    const s = this.get(id);
    if (s.started) throw conflict(`Exec command ${id} has already run`);
    const rec = this.engine.containers.get(s.containerId);
    if (!rec.State.Running) throw conflict(`container ${rec.Id} is not running`);
    if (s.config.Tty) {
      detachKeysOr400(s.config.DetachKeys);
      checkTtyInputAvailable();
    }
    return s;
  }

  async start(id: string, io: Duplex | undefined, detach: boolean): Promise<void> {
    const s = this.precheck(id);
    s.started = true;
    const processFile = await this.processSpec(s);
    if (s.config.Tty) {
      s.running = true;
      await startTtyExec(this.engine, s, processFile, io, detach);
      return;
    }
    const pidFile = `${processFile}.pid`;
    const rt = this.engine.runtime;
    const wantIn = !!s.config.AttachStdin && !detach && !!io;
    const child = spawn(rt.bin, [...rt.globalArgs(), 'exec', '--process', processFile, '--pid-file', pidFile, s.containerId], {
      stdio: [wantIn ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    s.running = true;
    const tty = !!s.config.Tty;
    const send = (stream: 1 | 2) => (d: Buffer) => {
      if (detach || !io || io.destroyed) return;
      if (stream === 1 ? s.config.AttachStdout === false : s.config.AttachStderr === false) return;
      io.write(tty ? d : frame(stream, d));
    };
    child.stdout!.on('data', send(1));
    child.stderr!.on('data', send(2));
    if (wantIn && io && child.stdin) {
      io.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    }
    fsp.readFile(pidFile, 'utf8').then((t) => (s.pid = Number(t)), () => undefined);
    const done = new Promise<void>((resolve) => {
      child.on('error', (e) => {
        s.exitCode = 126;
        if (io && !detach) io.write(tty ? Buffer.from(`${e.message}\n`) : frame(2, Buffer.from(`${e.message}\n`)));
        resolve();
      });
      child.on('close', (code, signal) => {
        s.exitCode = code ?? (signal ? 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0) : 255);
        resolve();
      });
    });
    if (detach) {
      void done.finally(() => this.finish(s, processFile, pidFile));
      return;
    }
    await done;
    await this.finish(s, processFile, pidFile);
    io?.end();
  }

  private async finish(s: ExecSession, processFile: string, pidFile: string): Promise<void> {
    s.running = false;
    await fsp.rm(processFile, { force: true });
    await fsp.rm(pidFile, { force: true });
  }

  /** POST /exec/{id}/resize: resizes a running TTY session's pty, or remembers the size for its start. */
  async resize(id: string, height: number, width: number): Promise<void> {
    const s = this.get(id);
    if (!s.config.Tty) return;
    s.size = { height, width };
    if (s.ttyDir) await writeWindowSize(s.ttyDir, height, width);
  }

  inspect(id: string): Record<string, unknown> {
    const s = this.get(id);
    const [entrypoint, ...args] = s.config.Cmd ?? [];
    return {
      ID: s.id,
      Running: s.running,
      ExitCode: s.exitCode,
      ProcessConfig: { tty: !!s.config.Tty, entrypoint, arguments: args, privileged: !!s.config.Privileged, user: s.config.User ?? '' },
      OpenStdin: !!s.config.AttachStdin,
      OpenStderr: !!s.config.AttachStderr,
      OpenStdout: !!s.config.AttachStdout,
      CanRemove: false,
      ContainerID: s.containerId,
      DetachKeys: s.config.DetachKeys ?? '',
      Pid: s.pid,
    };
  }
}
