import { errorMessage, TsmError } from './errors';
import type { MachineState } from '../drivers/driver';
import { openMachine, type OpenMachine, type OpenOptions } from './machine-context';
import { readEngineTls, waitForEngine } from './engine-client';
import { step, silentProgress, type ProgressSink } from './progress';
import { regenerateServerCert } from './regenerate-certs';
import type { Store } from './store';

export interface LifecycleOptions extends OpenOptions {
  progress?: ProgressSink;
  engineTimeoutMs?: number;
}

async function withMachine<T>(store: Store, name: string, o: LifecycleOptions, fn: (m: OpenMachine) => Promise<T>): Promise<T> {
  return store.withLock(name, async () => fn(await openMachine(store, name, o)));
}

/**
 * After a start, the machine may have a new address (clouds without static IPs): when an
 * address left the certificate's SANs, re-issue and reinstall the server certificate. Then
 * wait for the engine.
 */
async function afterStart(store: Store, m: OpenMachine, o: LifecycleOptions): Promise<void> {
  const progress = o.progress ?? silentProgress;
  const addresses = await m.driver.addresses();
  const missing = addresses.filter((a) => !m.record.tls.issuedSans.includes(a));
  if (missing.length > 0 && m.record.provisioned) {
    progress({ kind: 'info', message: `Address ${missing.join(', ')} is not in the server certificate: re-issuing it` });
    await regenerateServerCert(store, m, { progress, signal: o.signal });
  }
  if (!m.record.provisioned) return;
  const ip = await m.driver.ip();
  await step(progress, 'engine', 'Waiting for the engine API', async () =>
    waitForEngine(ip, m.record.engine.port, await readEngineTls(m.dir), { timeoutMs: o.engineTimeoutMs ?? 60_000, signal: o.signal }),
  );
}

export async function startMachine(store: Store, name: string, o: LifecycleOptions = {}): Promise<void> {
  await withMachine(store, name, o, async (m) => {
    const progress = o.progress ?? silentProgress;
    if ((await m.driver.state()) === 'Running') {
      progress({ kind: 'info', message: `Machine "${name}" is already running.` });
    } else {
      await step(progress, 'start', `Starting "${name}"`, () => m.driver.start());
    }
    await afterStart(store, m, o);
  });
}

export async function stopMachine(store: Store, name: string, o: LifecycleOptions = {}): Promise<void> {
  await withMachine(store, name, o, async (m) => {
    if ((await m.driver.state()) === 'Stopped') return;
    await step(o.progress ?? silentProgress, 'stop', `Stopping "${name}"`, () => m.driver.stop());
  });
}

export async function killMachine(store: Store, name: string, o: LifecycleOptions = {}): Promise<void> {
  await withMachine(store, name, o, (m) => step(o.progress ?? silentProgress, 'kill', `Killing "${name}"`, () => m.driver.kill()));
}

export async function restartMachine(store: Store, name: string, o: LifecycleOptions = {}): Promise<void> {
  await withMachine(store, name, o, async (m) => {
    await step(o.progress ?? silentProgress, 'restart', `Restarting "${name}"`, () => m.driver.restart());
    await afterStart(store, m, o);
  });
}

export async function machineState(store: Store, name: string): Promise<MachineState> {
  const m = await openMachine(store, name);
  return m.driver.state();
}

/**
 * Removes a machine: the driver deletes what it created, then the store forgets it. When the
 * driver fails, the record is kept (so nothing is orphaned) unless `force`.
 */
export async function removeMachine(store: Store, name: string, o: LifecycleOptions & { force?: boolean } = {}): Promise<void> {
  const progress = o.progress ?? silentProgress;
  await store.withLock(name, async () => {
    let m: OpenMachine | undefined;
    try {
      m = await openMachine(store, name, o);
      await step(progress, 'remove', `Removing "${name}"`, () => m!.driver.remove());
    } catch (e) {
      if (!o.force) {
        if (e instanceof TsmError && e.code === 'MACHINE_NOT_FOUND') throw e;
        throw new TsmError('DRIVER_ERROR', `could not remove "${name}": ${errorMessage(e)}`, {
          cause: e,
          suggestion: `fix the cause and run "tsmachine rm ${name}" again, or "tsmachine rm -f ${name}" to forget it anyway`,
        });
      }
      progress({ kind: 'warn', message: `removing "${name}" from its provider failed (${errorMessage(e)}); forgetting it anyway (-f)` });
    }
    await store.remove(name);
  });
}
