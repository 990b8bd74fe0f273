import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverContext } from '../../src/drivers/driver';
import { hostExec, type Exec } from '../../src/core/exec';
import type { ProgressEvent, ProgressSink } from '../../src/core/progress';
import { generateEd25519Key } from '../../src/core/ssh-key';

/** A DriverContext for tests, with what it made and a cleanup that deletes the temp store. */
export interface TestDriverContext<C> extends DriverContext<C> {
  /** Progress events emitted so far. */
  readonly events: ProgressEvent[];
  /** Where save() writes the config (JSON). */
  readonly configPath: string;
  /** Deletes the temp store (unless a storePath was given). */
  cleanup(): void;
}

export interface TestDriverContextOptions<C> {
  name: string;
  config: C;
  /** An existing store to put the machine in; by default a new temp folder (deleted by cleanup). */
  storePath?: string;
  exec?: Exec;
  signal?: AbortSignal;
  progress?: ProgressSink;
}

/**
 * Builds a DriverContext like the core's: a store folder (temp by default), the machine folder
 * (0700), a fresh ed25519 key pair (OpenSSH format, made by ssh2), and save() writing the config
 * to `<machine dir>/driver-config.json` (temp file then rename).
 */
export function makeDriverContext<C>(opts: TestDriverContextOptions<C>): TestDriverContext<C> {
  const ownStore = opts.storePath === undefined;
  const storePath = opts.storePath ?? mkdtempSync(join(tmpdir(), 'tsm-store-'));
  const dir = join(storePath, 'machines', opts.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = generateEd25519Key(`tsmachine-test-${opts.name}`);
  const sshKeyPath = join(dir, 'id_ed25519');
  writeFileSync(sshKeyPath, keys.private, { mode: 0o600 });
  writeFileSync(`${sshKeyPath}.pub`, `${keys.public}\n`, { mode: 0o644 });
  const configPath = join(dir, 'driver-config.json');
  const events: ProgressEvent[] = [];
  const ctx: TestDriverContext<C> = {
    name: opts.name,
    dir,
    storePath,
    config: opts.config,
    async save() {
      const tmp = `${configPath}.tmp`;
      await writeFile(tmp, JSON.stringify(ctx.config, null, 2), { mode: 0o600 });
      await rename(tmp, configPath);
    },
    sshKeyPath,
    sshPublicKey: keys.public,
    exec: opts.exec ?? hostExec,
    progress: (e) => {
      events.push(e);
      opts.progress?.(e);
    },
    signal: opts.signal,
    events,
    configPath,
    cleanup() {
      if (ownStore) rmSync(storePath, { recursive: true, force: true });
    },
  };
  return ctx;
}
