import { promises as fs } from 'node:fs';
import { TsmError } from '../../core/errors';
import { sleep as realSleep, type Sleep } from '../../core/wait';
import type { LocalHostApi } from './api';

/** One process, pinned by its start time so a reused PID is never mistaken for it. */
export interface PinnedPid {
  pid: number;
  startTime: number;
}

/** The environment of the machine's process tree: nothing of the caller's leaks in. */
export const MACHINE_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};

/** True while the pinned process exists and has not exited (a zombie has). */
export async function isAlive(api: LocalHostApi, p: Partial<PinnedPid>): Promise<boolean> {
  if (!p.pid || p.startTime === undefined) return false;
  const st = await api.procStat(p.pid);
  return !!st && st.startTime === p.startTime && st.state !== 'Z' && st.state !== 'X';
}

/** Polls until the pinned process is gone; false on timeout. */
export async function waitExit(api: LocalHostApi, p: PinnedPid, timeoutMs: number, sleep: Sleep = realSleep): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(api, p)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** The last lines of a log file, for error messages. */
export async function logTail(path: string, lines = 15): Promise<string> {
  const text = await fs.readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts the wrapper (`sh start.sh`) detached and returns the machine's PID 1: the child that
 * `unshare --fork` makes. Fails with the log tail when the wrapper dies first.
 */
export async function launchMachine(
  api: LocalHostApi,
  o: { startScript: string; logPath: string; what: string; timeoutMs?: number; sleep?: Sleep },
): Promise<PinnedPid> {
  const wrapper = await api.spawnDetached('/bin/sh', [o.startScript], { logPath: o.logPath, env: MACHINE_ENV });
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  for (;;) {
    const ws = await api.procStat(wrapper);
    const kids = ws?.comm === 'unshare' ? await api.childPids(wrapper) : [];
    if (kids.length > 0) {
      const st = await api.procStat(kids[0]);
      if (st) return { pid: kids[0], startTime: st.startTime };
    }
    if (!ws || ws.state === 'Z') {
      throw new TsmError('DRIVER_ERROR', `${o.what}: the machine's process exited while starting:\n${await logTail(o.logPath)}`, {
        suggestion: `see ${o.logPath}`,
      });
    }
    if (Date.now() > deadline) {
      throw new TsmError('TIMEOUT', `${o.what}: the machine's PID 1 did not appear within ${o.timeoutMs ?? 10_000} ms`, { suggestion: `see ${o.logPath}` });
    }
    await (o.sleep ?? realSleep)(2);
  }
}

/**
 * Waits until sshd in the machine accepts TCP connections; fails at once (with the log tail)
 * when PID 1 dies, so a broken boot is reported, not waited out.
 */
export async function waitForSsh(
  api: LocalHostApi,
  o: { pid: PinnedPid; ip: string; logPath: string; what: string; timeoutMs: number; signal?: AbortSignal; sleep?: Sleep },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (o.signal?.aborted) throw new TsmError('ABORTED', `${o.what}: interrupted`, { cause: o.signal.reason });
    if (await api.tcpProbe(o.ip, 22, 250)) return;
    if (!(await isAlive(api, o.pid))) {
      throw new TsmError('DRIVER_ERROR', `${o.what}: the machine stopped while booting:\n${await logTail(o.logPath)}`, { suggestion: `see ${o.logPath}` });
    }
    if (Date.now() > deadline) {
      throw new TsmError('TIMEOUT', `${o.what}: sshd on ${o.ip}:22 did not answer within ${Math.round(o.timeoutMs / 1000)}s:\n${await logTail(o.logPath)}`, {
        suggestion: `see ${o.logPath} and /var/log/sshd.log inside the machine`,
      });
    }
    await (o.sleep ?? realSleep)(5, o.signal);
  }
}
