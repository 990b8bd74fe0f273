import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative as relativePath, resolve as resolvePath, sep } from 'node:path';
import { TsmError, isTsmError } from './errors';
import { ensureDir, readFileIfExists, writeFileAtomic, DIR_MODE } from './atomic-write';
import { isLockHeld, withFileLock } from './file-lock';
import { MACHINE_FILES, MACHINE_NAME_PATTERN, type MachineRecord } from './machine';
import { formatMachineRecord, parseMachineRecord } from './store-record';

/** A machine folder that `list()` leaves out or that cannot be loaded. */
export interface BrokenMachine {
  name: string;
  dir: string;
  /** no-record: a folder without machine.json (an interrupted create); corrupt/version: load fails. */
  problem: 'no-record' | 'corrupt' | 'version';
  message: string;
}

export interface StoreLockOptions {
  /** How long to wait for another command holding the lock. Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `$TSMACHINE_STORAGE_PATH`, else `~/.tsmachine`. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const fromEnv = env.TSMACHINE_STORAGE_PATH;
  return resolvePath(fromEnv && fromEnv.trim() !== '' ? fromEnv : join(home, '.tsmachine'));
}

/** Throws INVALID_NAME unless `name` is a valid machine name (so it is also a safe path part). */
export function assertMachineName(name: string): void {
  if (!MACHINE_NAME_PATTERN.test(name)) {
    throw new TsmError('INVALID_NAME', `invalid machine name "${name}"`, {
      suggestion: 'use letters, digits, dots and dashes, starting with a letter or digit',
    });
  }
}

/**
 * The machine store: `certs/` (CA and client certificate), `machines/<name>/` (machine.json,
 * SSH key, certificates) and `locks/`. Files 0600, folders 0700, every write atomic.
 * Mutating commands wrap their work in `withLock(name, ...)`.
 */
export class Store {
  readonly root: string;
  readonly machinesDir: string;
  readonly certsDir: string;
  readonly locksDir: string;

  constructor(root: string = defaultStoreRoot()) {
    this.root = resolvePath(root);
    this.machinesDir = join(this.root, 'machines');
    this.certsDir = join(this.root, 'certs');
    this.locksDir = join(this.root, 'locks');
  }

  /** The folder of machine `name` (DOCKER_CERT_PATH). INVALID_NAME for a bad name. */
  machineDir(name: string): string {
    assertMachineName(name);
    return join(this.machinesDir, name);
  }

  /** A file of the machine folder, e.g. `machineFile('dev', MACHINE_FILES.sshKey)`. */
  machineFile(name: string, file: string): string {
    return join(this.machineDir(name), file);
  }

  /** Sorted names of the machines that have a machine.json. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    for (const name of await this.machineFolders()) {
      if (await fileExists(join(this.machinesDir, name, MACHINE_FILES.record))) names.push(name);
    }
    return names.sort();
  }

  /**
   * Machine folders that are not usable machines: folders without machine.json older than
   * `minAgeMs` whose lock is free (an interrupted create), and records that fail to load.
   */
  async listBroken(minAgeMs = 60_000): Promise<BrokenMachine[]> {
    const out: BrokenMachine[] = [];
    for (const name of (await this.machineFolders()).sort()) {
      const dir = join(this.machinesDir, name);
      if (!(await fileExists(join(dir, MACHINE_FILES.record)))) {
        const st = await fs.stat(dir).catch(() => undefined);
        if (!st || Date.now() - st.mtimeMs < minAgeMs || (await isLockHeld(this.lockPath(name)))) continue;
        out.push({ name, dir, problem: 'no-record', message: `${dir} has no ${MACHINE_FILES.record} (an interrupted create?)` });
        continue;
      }
      try {
        await this.load(name);
      } catch (e) {
        if (isTsmError(e, 'STORE_CORRUPT')) out.push({ name, dir, problem: 'corrupt', message: e.message });
        else if (isTsmError(e, 'STORE_VERSION')) out.push({ name, dir, problem: 'version', message: e.message });
        else throw e;
      }
    }
    return out;
  }

  /** Whether machine `name` has a record (a reserved folder without one does not count). */
  async exists(name: string): Promise<boolean> {
    return fileExists(this.machineFile(name, MACHINE_FILES.record));
  }

  /** Reads machine.json. MACHINE_NOT_FOUND, STORE_CORRUPT (naming the file) or STORE_VERSION. */
  async load(name: string): Promise<MachineRecord> {
    const file = this.machineFile(name, MACHINE_FILES.record);
    const text = await readFileIfExists(file);
    if (text === undefined) {
      throw new TsmError('MACHINE_NOT_FOUND', `machine "${name}" does not exist`, {
        suggestion: 'run "tsmachine ls" to see your machines',
      });
    }
    return parseMachineRecord(text, file, name);
  }

  /** Writes machine.json atomically (0600), creating the machine folder if needed. */
  async save(record: MachineRecord): Promise<void> {
    const dir = this.machineDir(record.name);
    await ensureDir(dir);
    await writeFileAtomic(join(dir, MACHINE_FILES.record), formatMachineRecord(record));
  }

  /** Writes one file of the machine folder atomically (default mode 0600). */
  async writeMachineFile(name: string, file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
    await ensureDir(this.machineDir(name));
    await writeFileAtomic(this.machineFile(name, file), data, mode);
  }

  /** Creates `machines/<name>/` exclusively (0700). MACHINE_EXISTS when the name is in use. */
  async reserve(name: string): Promise<string> {
    const dir = this.machineDir(name);
    await ensureDir(this.machinesDir);
    try {
      await fs.mkdir(dir, { mode: DIR_MODE });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      throw new TsmError('MACHINE_EXISTS', `machine "${name}" already exists (${dir})`, {
        suggestion: `pick another name, or remove it first with "tsmachine rm ${name}"`,
      });
    }
    return dir;
  }

  /**
   * Deletes the machine folder. The folder is first renamed out of the way, so a crash midway
   * never leaves half a machine under its name. Resolves if it is already gone.
   */
  async remove(name: string): Promise<void> {
    const dir = this.machineDir(name);
    const trash = join(this.machinesDir, `.removing-${name}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(dir, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    await fs.rm(trash, { recursive: true, force: true });
  }

  /** An absolute path for a path stored in machine.json (relative to the store root). */
  resolve(relPath: string): string {
    return resolvePath(this.root, relPath);
  }

  /** The path to store in machine.json: relative to the root when inside the store, else absolute. */
  relative(absPath: string): string {
    const rel = relativePath(this.root, resolvePath(absPath));
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return resolvePath(absPath);
    return rel.split(sep).join('/');
  }

  /** Runs `fn` holding machine `name`'s lock. MACHINE_LOCKED (naming the holder pid) on timeout. */
  async withLock<T>(name: string, fn: () => Promise<T>, opts: StoreLockOptions = {}): Promise<T> {
    return withFileLock(this.lockPath(name), fn, { ...opts, what: `machine "${name}"` });
  }

  /** Runs `fn` holding the store-wide lock (CA bootstrap, certificate regeneration). */
  async withStoreLock<T>(fn: () => Promise<T>, opts: StoreLockOptions = {}): Promise<T> {
    return withFileLock(join(this.locksDir, 'store.lock'), fn, { ...opts, what: `the store ${this.root}` });
  }

  /** The lock file of machine `name`. */
  lockPath(name: string): string {
    assertMachineName(name);
    return join(this.locksDir, 'machines', `${name}.lock`);
  }

  private async machineFolders(): Promise<string[]> {
    try {
      const entries = await fs.readdir(this.machinesDir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && MACHINE_NAME_PATTERN.test(e.name)).map((e) => e.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}
