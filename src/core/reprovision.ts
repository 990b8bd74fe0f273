import { openMachine } from './machine-context';
import { provisionMachine } from './provision-machine';
import { TsmError } from './errors';
import type { ProgressSink } from './progress';
import type { Store } from './store';

/** `tsmachine provision NAME`: runs the provisioning step again on a running machine. */
export async function reprovisionMachine(store: Store, name: string, o: { progress: ProgressSink; signal?: AbortSignal }): Promise<void> {
  await store.withLock(name, async () => {
    const m = await openMachine(store, name, o);
    const state = await m.driver.state();
    if (state !== 'Running') {
      throw new TsmError('MACHINE_NOT_RUNNING', `machine "${name}" is not running (state: ${state})`, {
        suggestion: `start it with "tsmachine start ${name}" first`,
      });
    }
    await provisionMachine(store, m, o);
  });
}
