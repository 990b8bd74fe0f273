import { promises as fs, readFileSync } from 'node:fs';
import { sleep as realSleep, type Sleep } from '../../core/wait';
import { TsmError } from '../../core/errors';
import { parseProcStat } from './api';

/** Host-wide state of the local driver, shared by every store on this host. */
export const HOST_STATE_DIR = '/var/lib/tsmachine/local';

function holderId(pid: number): string | undefined {
  try {
    const st = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return st && st.state !== 'Z' ? `${pid} ${st.startTime}` : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process that wrote `content` ("<pid> <starttime>") is still alive. */
function holderAlive(content: string): boolean {
  const pid = Number(content.split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 && holderId(pid) === content.trim();
}

async function tryAcquire(path: string, me: string): Promise<boolean> {
  try {
    await fs.writeFile(path, me, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const held = await fs.readFile(path, 'utf8').catch(() => '');
  // A lock left by a process that died is broken; the content check keeps the window small.
  if (held && !holderAlive(held) && (await fs.readFile(path, 'utf8').catch(() => '')) === held) {
    await fs.unlink(path).catch(() => undefined);
  }
  return false;
}

/**
 * Runs `fn` holding an exclusive lock file (O_EXCL create holding "<pid> <starttime>"), shared
 * by every tsmachine process on the host. A lock whose holder died is broken. Holders keep it
 * for milliseconds (bridge, iptables and lease changes), so waiters poll.
 */
export async function withHostLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; sleep?: Sleep; signal?: AbortSignal } = {},
): Promise<T> {
  const me = holderId(process.pid) ?? `${process.pid} 0`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  await fs.mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true, mode: 0o700 });
  while (!(await tryAcquire(path, me))) {
    if (Date.now() > deadline) {
      throw new TsmError('MACHINE_LOCKED', `could not take the host lock ${path}: another tsmachine process holds it`, {
        suggestion: `wait for the other command to finish; if none runs, delete ${path}`,
      });
    }
    await (opts.sleep ?? realSleep)(10 + Math.floor(Math.random() * 20), opts.signal);
  }
  try {
    return await fn();
  } finally {
    if ((await fs.readFile(path, 'utf8').catch(() => '')) === me) await fs.unlink(path).catch(() => undefined);
  }
}
