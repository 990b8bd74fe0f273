import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine';
import type { ContainerRecord } from './types';
import { KeyedMutex } from '../util/lock';
import { ApiError, badRequest, conflict, notModified } from '../http/api-error';
import { nowRfc3339, rfc3339Nano } from '../util/time';
import { parseSignal } from '../util/signals';
import { isPidAlive, processArgv } from '../util/proc';
import { launch, teardownRun } from './launch';
import { readExitFile } from '../runtime/exit-watcher';
import { CreateFailedError } from '../runtime/conmon';
import { restartDecision, startOnBoot } from './restart-policy';
import { removeUnusedLayers } from '../layers/layer-gc';

/**
 * Resolves with the event's arguments (after the ID) when `id` emits `event`, or undefined
 * after `ms` (ms < 0 waits forever) or when `signal` aborts.
 */
export function nextEvent(engine: Engine, event: string, id: string, ms: number, signal?: AbortSignal): Promise<unknown[] | undefined> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (v: unknown[] | undefined) => {
      engine.events.off(event, on);
      signal?.removeEventListener('abort', abort);
      if (timer) clearTimeout(timer);
      resolve(v);
    };
    const on = (eid: string, ...args: unknown[]) => { if (eid === id) done(args); };
    const abort = () => done(undefined);
    engine.events.on(event, on);
    signal?.addEventListener('abort', abort);
    if (ms >= 0) timer = setTimeout(() => done(undefined), ms);
  });
}

/** Like nextEvent, true when the event came. */
export async function waitEvent(engine: Engine, event: string, id: string, ms: number): Promise<boolean> {
  return (await nextEvent(engine, event, id, ms)) !== undefined;
}

/** dockerd's exit code and status for a runtime that could not start the process. */
function startFailure(msg: string): { code: number; status: number } {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(msg)) return { code: 127, status: 400 };
  if (/permission denied/i.test(msg)) return { code: 126, status: 400 };
  return { code: 128, status: 500 };
}

/** Container lifecycle: start, stop, kill, restart, remove, and exit handling. */
export class Lifecycle {
  private readonly mutex = new KeyedMutex();
  /** Exit handling (state update + teardown) in progress per container. */
  private readonly exiting = new Map<string, Promise<void>>();
  /** Restarts scheduled by a restart policy. */
  private readonly restarts = new Map<string, NodeJS.Timeout>();

  constructor(private readonly engine: Engine) {}

  private save(rec: ContainerRecord): Promise<void> {
    return this.engine.containers.save(rec);
  }

  async start(ref: string): Promise<void> {
    const id = this.engine.containers.get(ref).Id;
    await this.mutex.run(id, async () => {
      const rec = this.engine.containers.get(id);
      if (rec.State.Running) throw notModified();
      if (rec.State.Status === 'removing') throw conflict(`removal of container ${rec.Name.slice(1)} is already in progress`);
      await this.exiting.get(id);
      this.cancelRestart(rec);
      rec.Runtime.manuallyStopped = false;
      rec.Runtime.runs++;
      let r;
      try {
        r = await launch(this.engine, rec);
      } catch (e) {
        await this.failStart(rec, e);
        throw e;
      }
      rec.State = { ...rec.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: r.pid, ExitCode: 0, Error: '', StartedAt: nowRfc3339(), FinishedAt: '0001-01-01T00:00:00Z' };
      rec.Runtime.conmonPid = r.conmonPid;
      await this.save(rec);
      this.engine.log.info('container started', { id: rec.Id.slice(0, 12), name: rec.Name, pid: r.pid });
      this.engine.events.emit('start', id);
    });
    // The process may have exited before the state said running: look once more.
    void this.onExit(id);
  }

  private async failStart(rec: ContainerRecord, e: unknown): Promise<never> {
    const msg = e instanceof Error ? e.message : String(e);
    const f = startFailure(msg);
    rec.State = { ...rec.State, Status: rec.Runtime.runs > 1 ? 'exited' : 'created', Running: false, Restarting: false, Pid: 0, ExitCode: f.code, Error: msg };
    await this.save(rec);
    this.engine.log.warn('container failed to start', { id: rec.Id.slice(0, 12), error: msg });
    if (rec.HostConfig.AutoRemove) setImmediate(() => void this.remove(rec.Id, true).catch(() => undefined));
    if (e instanceof CreateFailedError) throw new ApiError(f.status, `failed to create task for container: ${msg}`);
    throw e;
  }

  /** Handles conmon's exit file for `id` (from the watcher, a poll, or reconcile). Idempotent. */
  onExit(id: string, fallbackCode?: number, why?: string): Promise<void> {
    const existing = this.exiting.get(id);
    if (existing) return existing;
    const rec = this.engine.containers.find(id);
    if (!rec || !rec.State.Running) return Promise.resolve();
    const p = this.finishRun(rec, fallbackCode, why).finally(() => this.exiting.delete(id));
    this.exiting.set(id, p);
    return p;
  }

  private async finishRun(rec: ContainerRecord, fallbackCode?: number, why?: string): Promise<void> {
    const p = this.engine.paths.container(rec.Id);
    const info = await readExitFile(this.engine.paths.exits, rec.Id);
    if (!info && fallbackCode === undefined) return;
    const oom = await fsp.stat(join(p.bundle, 'oom')).then(() => true, () => false);
    rec.State = { ...rec.State, Status: 'exited', Running: false, Paused: false, Pid: 0, OOMKilled: oom,
      ExitCode: info?.code ?? fallbackCode ?? 255, Error: info ? '' : why ?? '',
      FinishedAt: info ? rfc3339Nano(Math.floor(info.at), Math.round((info.at % 1000) * 1e6)) : nowRfc3339() };
    rec.Runtime.conmonPid = undefined;
    await this.save(rec);
    this.engine.log.info('container exited', { id: rec.Id.slice(0, 12), code: rec.State.ExitCode });
    this.engine.events.emit('exit', rec.Id, rec.State.ExitCode);
    await teardownRun(this.engine, rec.Id).catch((e) => this.engine.log.warn('cleanup after exit failed', { id: rec.Id.slice(0, 12), error: e }));
    if (rec.HostConfig.AutoRemove) setImmediate(() => void this.remove(rec.Id, true).catch(() => undefined));
    else this.maybeRestart(rec);
  }

  /** Applies the restart policy after an exit (with dockerd's backoff). */
  private maybeRestart(rec: ContainerRecord): void {
    const d = restartDecision({
      policy: rec.HostConfig.RestartPolicy, exitCode: rec.State.ExitCode, manuallyStopped: !!rec.Runtime.manuallyStopped,
      restartCount: rec.RestartCount, ranMs: Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt),
      previousDelayMs: rec.Runtime.restartDelayMs ?? 0,
    });
    if (!d.restart) return;
    rec.Runtime.restartDelayMs = d.delayMs;
    rec.State = { ...rec.State, Status: 'restarting', Restarting: true };
    void this.save(rec);
    const timer = setTimeout(() => {
      this.restarts.delete(rec.Id);
      if (!this.engine.containers.find(rec.Id) || !rec.State.Restarting) return;
      rec.RestartCount++;
      this.start(rec.Id).catch((e) => this.engine.log.warn('restart failed', { id: rec.Id.slice(0, 12), error: e }));
    }, d.delayMs);
    this.restarts.set(rec.Id, timer);
  }

  /** Cancels a scheduled restart; true when there was one. */
  private cancelRestart(rec: ContainerRecord): boolean {
    const t = this.restarts.get(rec.Id);
    if (t) clearTimeout(t);
    this.restarts.delete(rec.Id);
    // The scheduled restart itself (timer already fired) keeps the "restarting" state until
    // the launch sets "running", so no one sees an exited container with the new RestartCount.
    if (!t || !rec.State.Restarting) return !!t;
    rec.State = { ...rec.State, Status: 'exited', Restarting: false };
    return true;
  }

  async pause(ref: string): Promise<void> {
    const rec = this.engine.containers.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw conflict(`Container ${rec.Id} is already paused`);
    await this.engine.runtime.pause(rec.Id);
    rec.State = { ...rec.State, Paused: true, Status: 'paused' };
    await this.save(rec);
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.engine.containers.get(ref);
    if (!rec.State.Paused) throw conflict(`Container ${rec.Id} is not paused`);
    await this.engine.runtime.resume(rec.Id);
    rec.State = { ...rec.State, Paused: false, Status: 'running' };
    await this.save(rec);
  }

  /** Thaws a paused container so signals reach it. */
  private async thaw(rec: ContainerRecord): Promise<void> {
    if (rec.State.Paused && rec.State.Running) await this.unpause(rec.Id).catch(() => undefined);
  }

  /** Sends the stop signal, then SIGKILL after `timeoutSec` (default Config.StopTimeout or 10). */
  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const rec = this.engine.containers.get(ref);
    // An exit being handled right now decides on a policy restart first; the checks below see it.
    await this.exiting.get(rec.Id);
    if (!rec.State.Running && rec.State.Restarting && !this.restarts.has(rec.Id)) {
      // A policy restart whose timer has fired is launching: let it finish, then stop what it started.
      await this.mutex.run(rec.Id, async () => undefined);
    }
    if (!rec.State.Running) {
      if (this.cancelRestart(rec)) { rec.Runtime.manuallyStopped = true; await this.save(rec); return; }
      throw notModified();
    }
    rec.Runtime.manuallyStopped = true;
    await this.thaw(rec);
    const sig = parseSignal(signal || rec.Config.StopSignal || 'SIGTERM');
    if (sig === undefined) throw badRequest(`invalid stop signal "${signal || rec.Config.StopSignal}"`);
    const t = timeoutSec ?? rec.Config.StopTimeout ?? 10;
    const exited = waitEvent(this.engine, 'exit', rec.Id, t < 0 ? -1 : t * 1000);
    await this.engine.runtime.kill(rec.Id, sig).catch(() => undefined);
    // Like dockerd, answer once the run is torn down (network namespace, ports released).
    if (await exited) { await this.exiting.get(rec.Id); return; }
    const killed = waitEvent(this.engine, 'exit', rec.Id, 30_000);
    if (!rec.State.Running) return;
    await this.engine.runtime.kill(rec.Id, 9, true).catch(() => undefined);
    if (!(await killed) && rec.State.Running) throw new ApiError(500, `container ${rec.Id.slice(0, 12)} did not exit after SIGKILL`);
    await this.exiting.get(rec.Id);
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const rec = this.engine.containers.get(ref);
    const sig = parseSignal(signal || 'SIGKILL');
    if (sig === undefined) throw badRequest(`Invalid signal: ${signal}`);
    if (!rec.State.Running) throw conflict(`cannot kill container: ${ref}: container ${rec.Id} is not running`);
    rec.Runtime.manuallyStopped = true;
    await this.thaw(rec);
    const exited = sig === 9 ? waitEvent(this.engine, 'exit', rec.Id, 10_000) : undefined;
    await this.engine.runtime.kill(rec.Id, sig);
    await exited;
  }

  async restart(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    const rec = this.engine.containers.get(ref);
    if (rec.State.Running) await this.stop(ref, timeoutSec, signal);
    await this.exiting.get(rec.Id);
    rec.RestartCount = rec.RestartCount ?? 0;
    await this.start(rec.Id);
  }

  /** Removes a container (killing it first with `force`); resolves once nothing of it is left. */
  async remove(ref: string, force: boolean): Promise<void> {
    const id = this.engine.containers.get(ref).Id;
    await this.mutex.run(id, async () => {
      const rec = this.engine.containers.find(id);
      if (!rec) return;
      this.cancelRestart(rec);
      rec.Runtime.manuallyStopped = true;
      if (rec.State.Running) {
        if (!force) throw conflict(`cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`);
        await this.thaw(rec);
        const exited = waitEvent(this.engine, 'exit', id, 30_000);
        await this.engine.runtime.kill(id, 9, true).catch(() => undefined);
        if (!(await exited)) await this.onExit(id, 137, 'killed for removal');
      }
      await this.exiting.get(id);
      rec.State.Status = 'removing';
      await teardownRun(this.engine, id);
      await this.engine.containers.delete(id);
      if (!this.engine.images.lookup(rec.Image)) await removeUnusedLayers(this.engine);
      this.engine.log.info('container removed', { id: id.slice(0, 12), name: rec.Name });
      this.engine.events.emit('destroy', id, rec.State.ExitCode, rec);
    });
  }

  /** Checks running containers whose exit the watcher may have missed or whose monitor died. */
  async poll(): Promise<void> {
    for (const rec of this.engine.containers.all()) {
      if (!rec.State.Running || this.exiting.has(rec.Id)) continue;
      if (await readExitFile(this.engine.paths.exits, rec.Id)) { await this.onExit(rec.Id); continue; }
      if (rec.Runtime.conmonPid && !isPidAlive(rec.Runtime.conmonPid)) await this.lostMonitor(rec);
    }
  }

  /** conmon is gone without an exit file: the machine rebooted or it was killed. */
  async lostMonitor(rec: ContainerRecord): Promise<void> {
    const state = await this.engine.runtime.state(rec.Id);
    if (state && (state.status === 'running' || state.status === 'paused')) {
      this.engine.log.warn('container runs without its monitor (conmon); its exit code will be unknown', { id: rec.Id.slice(0, 12) });
      return;
    }
    await this.onExit(rec.Id, 255, 'container monitor (conmon) was gone; exit code unknown');
  }
}

/** After an agent restart: adopt running containers, settle those that exited meanwhile, finish removals. */
export async function reconcile(engine: Engine, lc: Lifecycle): Promise<void> {
  for (const rec of engine.containers.all()) {
    try {
      if (rec.State.Status === 'removing') { await lc.remove(rec.Id, true); continue; }
      if (rec.State.Running) {
        if (await readExitFile(engine.paths.exits, rec.Id)) await lc.onExit(rec.Id);
        else if (monitorAlive(rec)) engine.log.info('container still running', { id: rec.Id.slice(0, 12), pid: rec.State.Pid });
        else await lc.lostMonitor(rec);
      } else {
        await teardownRun(engine, rec.Id);
        if (rec.HostConfig.AutoRemove && rec.State.Status === 'exited') await lc.remove(rec.Id, true);
        else if (startOnBoot(rec.HostConfig.RestartPolicy, !!rec.Runtime.manuallyStopped) && rec.State.Status !== 'created') {
          engine.log.info('starting container (restart policy)', { id: rec.Id.slice(0, 12), policy: rec.HostConfig.RestartPolicy?.Name });
          await lc.start(rec.Id);
        }
      }
    } catch (e) {
      engine.log.warn('could not reconcile container', { id: rec.Id.slice(0, 12), error: e });
    }
  }
}

function monitorAlive(rec: ContainerRecord): boolean {
  const pid = rec.Runtime.conmonPid;
  if (!pid || !isPidAlive(pid)) return false;
  const argv = processArgv(pid);
  return !!argv && argv.includes(rec.Id);
}
