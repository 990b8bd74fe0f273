/**
 * Runs each running container's healthcheck as an exec in the container (`runtime exec`
 * through the ExecManager) on its schedule and keeps State.Health; emits 'health_status'
 * (id, status) when the status changes. Resumes for running containers after an agent restart.
 */
import { PassThrough } from 'node:stream';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine';
import type { ExecManager } from '../exec/exec-manager';
import type { ContainerRecord } from '../containers/types';
import { nowRfc3339 } from '../util/time';
import { applyResult, initialHealth, probeOf, MAX_OUTPUT, type HealthConfig, type HealthLogEntry, type HealthState, type Probe } from './healthcheck';
import { FrameDecoder } from '../logs/mux';

interface Watch { timer?: NodeJS.Timeout; run: number; stopped: boolean }

export function healthOf(rec: ContainerRecord): HealthState | undefined {
  return rec.State.Health;
}

function setHealth(rec: ContainerRecord, h: HealthState | undefined): void {
  const s = rec.State;
  if (h) s.Health = h;
  else delete s.Health;
}

export class HealthMonitor {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly engine: Engine, private readonly execs: ExecManager) {
    engine.events.on('start', (id: string) => this.begin(id, true));
    engine.events.on('exit', (id: string) => this.end(id));
    engine.events.on('destroy', (id: string) => this.end(id));
  }

  /** After an agent restart: picks up the checks of running containers, keeping their state. */
  resume(): void {
    for (const rec of this.engine.containers.all()) if (rec.State.Running) this.begin(rec.Id, false);
  }

  private begin(id: string, fresh: boolean): void {
    const rec = this.engine.containers.find(id);
    if (!rec) return;
    this.end(id);
    const probe = probeOf(rec.Config.Healthcheck as HealthConfig | undefined);
    if (!probe) {
      if (fresh && healthOf(rec)) { setHealth(rec, undefined); void this.engine.containers.save(rec); }
      return;
    }
    if (fresh || !healthOf(rec)) {
      setHealth(rec, initialHealth());
      void this.engine.containers.save(rec);
    }
    const w: Watch = { run: rec.Runtime.runs, stopped: false };
    this.watches.set(id, w);
    this.schedule(rec, probe, w);
  }

  private end(id: string): void {
    const w = this.watches.get(id);
    if (!w) return;
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    this.watches.delete(id);
  }

  /** Stops every schedule (agent shutdown). */
  stopAll(): void {
    for (const id of [...this.watches.keys()]) this.end(id);
  }

  private inStartPeriod(rec: ContainerRecord, probe: Probe): boolean {
    return Date.now() - Date.parse(rec.State.StartedAt) < probe.startPeriodMs;
  }

  private schedule(rec: ContainerRecord, probe: Probe, w: Watch): void {
    const starting = healthOf(rec)?.Status === 'starting' && this.inStartPeriod(rec, probe);
    const delay = starting ? Math.min(probe.startIntervalMs, probe.intervalMs) : probe.intervalMs;
    w.timer = setTimeout(() => void this.tick(rec.Id, probe, w), delay);
    w.timer.unref();
  }

  private async tick(id: string, probe: Probe, w: Watch): Promise<void> {
    const rec = this.engine.containers.find(id);
    if (!rec || w.stopped || !rec.State.Running || rec.Runtime.runs !== w.run) return;
    if (!rec.State.Paused) {
      const entry = await this.probe(rec, probe);
      if (w.stopped || !rec.State.Running || rec.Runtime.runs !== w.run) return;
      const before = healthOf(rec) ?? initialHealth();
      const after = applyResult(before, entry, probe.retries, this.inStartPeriod(rec, probe));
      setHealth(rec, after);
      await this.engine.containers.save(rec);
      if (after.Status !== before.Status) {
        this.engine.log.info('container health changed', { id: id.slice(0, 12), status: after.Status });
        this.engine.events.emit('health_status', id, after.Status);
      }
    }
    if (!w.stopped) this.schedule(rec, probe, w);
  }

  /** The exec's process (the runtime's pid file) when the session has not read it yet. */
  private async execPid(execId: string): Promise<number> {
    const text = await fsp.readFile(join(this.engine.paths.execSpecs, `${execId}.json.pid`), 'utf8').catch(() => '0');
    return Number(text.trim()) || 0;
  }

  /** Runs the check once; a check past its timeout is killed and counts as a failure (-1). */
  private async probe(rec: ContainerRecord, probe: Probe): Promise<HealthLogEntry> {
    const start = nowRfc3339();
    let execId: string;
    try {
      // No Tty: a pty would turn the output's \n into \r\n; stdout and stderr frames are joined below.
      execId = this.execs.create(rec.Id, { Cmd: probe.argv, AttachStdout: true, AttachStderr: true, Tty: false });
    } catch (e) {
      return { Start: start, End: nowRfc3339(), ExitCode: -1, Output: e instanceof Error ? e.message : String(e) };
    }
    const io = new PassThrough();
    let out = '';
    const frames = new FrameDecoder();
    io.on('data', (d: Buffer) => { for (const f of frames.push(d)) if (out.length < MAX_OUTPUT) out += f.payload.toString(); });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), probe.timeoutMs); });
    try {
      const r = await Promise.race([this.execs.start(execId, io, false).then(() => 'done' as const), timedOut]);
      if (r === 'timeout') {
        const pid = this.execs.get(execId).pid || await this.execPid(execId);
        if (pid > 0) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        return { Start: start, End: nowRfc3339(), ExitCode: -1, Output: `Health check exceeded timeout (${probe.timeoutMs / 1000}s)` };
      }
      return { Start: start, End: nowRfc3339(), ExitCode: this.execs.get(execId).exitCode ?? -1, Output: out };
    } catch (e) {
      return { Start: start, End: nowRfc3339(), ExitCode: -1, Output: e instanceof Error ? e.message : String(e) };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
