import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { TsmError } from './errors';
import { ensureDir } from './atomic-write';
import { sleep as realSleep, type Sleep } from './wait';

/** Who holds a lock: the content of the lock file (JSON). */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** When the lock was taken (ISO time). */
  startedAt: string;
  /** Start time of the holder process (/proc/<pid>/stat field 22), to detect a reused pid. */
  procStart?: string;
  /** Random token: release removes the file only when it still holds this token. */
  token: string;
}

export interface LockOptions {
  /** How long to wait for a held lock before throwing MACHINE_LOCKED. Default 10 s. */
  timeoutMs?: number;
  /** What the lock protects, named in the error: `machine "dev"`. */
  what: string;
  /** Suggestion of the MACHINE_LOCKED error (defaults to one naming the holder pid). */
  suggestion?: string;
  intervalMs?: number;
  signal?: AbortSignal;
  sleep?: Sleep;
}

/** A lock file that is empty or unreadable for longer than this is treated as stale. */
const UNREADABLE_GRACE_MS = 5_000;

/**
 * Takes the lock file `path`: creates it exclusively (a fully written temp file hard-linked into
 * place, so the lock never exists half-written) holding pid, hostname and start time. Waits while
 * a live process holds it; breaks a lock whose holder process on this host is gone. Not
 * re-entrant (use `withFileLock` for that). Resolves to the release function (safe to call twice).
 */
export async function acquireFileLock(path: string, opts: LockOptions): Promise<() => Promise<void>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const nap = opts.sleep ?? realSleep;
  const deadline = Date.now() + timeoutMs;
  const me = ownHolder();
  await ensureDir(dirname(path));
  for (;;) {
    if (await tryCreate(path, me)) return releaser(path, me.token);
    const seen = await inspect(path);
    if (seen.state === 'stale') {
      await breakStale(path, seen.raw);
      continue;
    }
    if (seen.state === 'gone') continue;
    if (Date.now() >= deadline) throw lockedError(opts, seen.holder, path);
    const base = opts.intervalMs ?? 25;
    await nap(Math.min(base + Math.floor(Math.random() * base), Math.max(1, deadline - Date.now())), opts.signal);
  }
}

/** Lock files held by the current async call chain (for re-entrancy). */
const heldHere = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Runs `fn` holding the lock file `path`; releases it however `fn` ends. Re-entrant within one
 * async call chain: `fn` (and what it awaits) may take the same lock again without waiting.
 * Unrelated concurrent calls in the same process still wait for each other.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions): Promise<T> {
  const held = heldHere.getStore();
  if (held?.has(path)) return fn();
  const release = await acquireFileLock(path, opts);
  try {
    return await heldHere.run(new Set([...(held ?? []), path]), fn);
  } finally {
    await release();
  }
}

/** The current holder of the lock file, or undefined when it is free or unreadable. */
export async function readLockHolder(path: string): Promise<LockHolder | undefined> {
  const seen = await inspect(path);
  return seen.state === 'held' ? seen.holder : undefined;
}

/** Whether a live process (or one on another host) holds the lock file `path` now. */
export async function isLockHeld(path: string): Promise<boolean> {
  return (await inspect(path)).state === 'held';
}

/**
 * Whether the holder process is alive. Only a holder on this host can be checked; one on
 * another host (a shared store) is assumed alive.
 */
export function isHolderAlive(h: LockHolder): boolean {
  if (h.hostname !== hostname()) return true;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (h.procStart !== undefined) {
    const now = procStartOf(h.pid);
    if (now !== undefined && now !== h.procStart) return false; // the pid was reused
  }
  return true;
}

function ownHolder(): LockHolder {
  return {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    procStart: procStartOf(process.pid),
    token: randomBytes(12).toString('hex'),
  };
}

function procStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  const tmp = `${path}.${holder.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(holder), { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createExclusive(path, holder);
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Fallback for filesystems without hard links: O_EXCL create, then write. */
async function createExclusive(path: string, holder: LockHolder): Promise<boolean> {
  try {
    await fs.writeFile(path, JSON.stringify(holder), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

type Seen = { state: 'gone' } | { state: 'stale'; raw: string } | { state: 'held'; raw: string; holder?: LockHolder };

async function inspect(path: string): Promise<Seen> {
  let raw: string;
  let mtimeMs: number;
  try {
    [raw, mtimeMs] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path).then((s) => s.mtimeMs)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' };
    throw e;
  }
  const holder = parseHolder(raw);
  if (!holder) return Date.now() - mtimeMs > UNREADABLE_GRACE_MS ? { state: 'stale', raw } : { state: 'held', raw };
  return isHolderAlive(holder) ? { state: 'held', raw, holder } : { state: 'stale', raw };
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as LockHolder;
    return typeof h.pid === 'number' && typeof h.hostname === 'string' && typeof h.token === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock file, but only the one that was judged stale: under a short "breaker"
 * lock, re-read it and unlink it only if its content is unchanged (another process may have
 * broken it and taken the lock in the meantime).
 */
async function breakStale(path: string, staleRaw: string): Promise<void> {
  const breaker = `${path}.break`;
  const me = ownHolder();
  if (!(await tryCreate(breaker, me))) {
    const seen = await inspect(breaker);
    if (seen.state === 'stale') await fs.rm(breaker, { force: true });
    else await realSleep(5);
    return;
  }
  try {
    const now = await fs.readFile(path, 'utf8').catch(() => undefined);
    if (now === staleRaw) await fs.rm(path, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

function releaser(path: string, token: string): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const raw = await fs.readFile(path, 'utf8').catch(() => undefined);
    if (raw !== undefined && parseHolder(raw)?.token === token) await fs.rm(path, { force: true });
  };
}

function lockedError(opts: LockOptions, holder: LockHolder | undefined, path: string): TsmError {
  const who = holder ? ` by pid ${holder.pid} on ${holder.hostname} since ${holder.startedAt}` : '';
  const suggestion =
    opts.suggestion ??
    (holder
      ? `wait for process ${holder.pid} to finish; if it is gone from ${holder.hostname}, delete ${path}`
      : `wait for the other tsmachine command to finish, or delete ${path} if none is running`);
  return new TsmError('MACHINE_LOCKED', `${opts.what} is locked${who}`, { suggestion });
}
