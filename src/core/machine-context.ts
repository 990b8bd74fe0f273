import { join } from 'node:path';
import type { Driver, DriverContext, DriverDefinition } from '../drivers/driver';
import { loadDriver } from '../drivers/registry';
import { hostExec, type Exec } from './exec';
import type { MachineRecord } from './machine';
import { MACHINE_FILES } from './machine';
import { silentProgress, type ProgressSink } from './progress';
import type { Store } from './store';
import { readMachinePublicKey } from './ssh-key';

/** A machine opened from the store: its record, its driver definition and a driver instance. */
export interface OpenMachine {
  record: MachineRecord;
  dir: string;
  definition: DriverDefinition<any>;
  driver: Driver;
}

export interface OpenOptions {
  progress?: ProgressSink;
  signal?: AbortSignal;
  exec?: Exec;
}

/** Builds the DriverContext for a record; `save()` writes the record (with the driver's config) atomically. */
export async function driverContext(store: Store, record: MachineRecord, opts: OpenOptions = {}): Promise<DriverContext<any>> {
  const dir = store.machineDir(record.name);
  let publicKey = '';
  try {
    publicKey = await readMachinePublicKey(dir);
  } catch {
    // A machine created with the user's own key (generic) has no key of its own.
  }
  return {
    name: record.name,
    dir,
    storePath: store.root,
    config: record.driver.config,
    save: () => store.save(record),
    sshKeyPath: join(dir, MACHINE_FILES.sshKey),
    sshPublicKey: publicKey,
    exec: opts.exec ?? hostExec,
    progress: opts.progress ?? silentProgress,
    signal: opts.signal,
  };
}

export async function openMachine(store: Store, name: string, opts: OpenOptions = {}): Promise<OpenMachine> {
  const record = await store.load(name);
  const definition = loadDriver(record.driver.name);
  const ctx = await driverContext(store, record, opts);
  return { record, dir: ctx.dir, definition, driver: definition.create(ctx) };
}
