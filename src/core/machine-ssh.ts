import { join } from 'node:path';
import { SshClient } from '../provision/ssh-client';
import { TsmError } from './errors';
import { MACHINE_FILES } from './machine';
import { openMachine } from './machine-context';
import type { Store } from './store';
import type { SshEndpoint } from '../drivers/driver';

/** SSH details of a running machine, with its pinned known_hosts file. */
export interface MachineSshTarget extends SshEndpoint {
  knownHostsPath: string;
}

export async function machineSshTarget(store: Store, name: string): Promise<MachineSshTarget> {
  const m = await openMachine(store, name);
  const state = await m.driver.state();
  if (state !== 'Running') {
    throw new TsmError('MACHINE_NOT_RUNNING', `machine "${name}" is not running (state: ${state})`, {
      suggestion: `start it with "tsmachine start ${name}"`,
    });
  }
  return { ...(await m.driver.sshEndpoint()), knownHostsPath: join(m.dir, MACHINE_FILES.knownHosts) };
}

/** An SSH connection to a running machine (host key checked against the pinned one). */
export async function connectToMachine(store: Store, name: string): Promise<SshClient> {
  return SshClient.connect({ ...(await machineSshTarget(store, name)), timeoutMs: 20_000 });
}
