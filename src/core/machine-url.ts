import { join } from 'node:path';
import { TsmError } from './errors';
import { MACHINE_FILES } from './machine';
import { openMachine, type OpenMachine } from './machine-context';
import type { Store } from './store';

/** The Engine API URL of a machine, `tcp://IP:PORT`; MACHINE_NOT_RUNNING when it is not running. */
export async function machineUrl(m: OpenMachine): Promise<string> {
  const state = await m.driver.state();
  if (state !== 'Running') {
    throw new TsmError('MACHINE_NOT_RUNNING', `machine "${m.record.name}" is not running (state: ${state})`, {
      suggestion: `start it with "tsmachine start ${m.record.name}"`,
    });
  }
  const ip = await m.driver.ip();
  return `tcp://${ip.includes(':') ? `[${ip}]` : ip}:${m.record.engine.port}`;
}

/** What a Docker client needs for one machine. */
export interface ClientConfig {
  url: string;
  certPath: string;
  caPath: string;
  certFile: string;
  keyFile: string;
}

export async function clientConfig(store: Store, name: string): Promise<ClientConfig> {
  const m = await openMachine(store, name);
  if (!m.record.provisioned) {
    throw new TsmError('MACHINE_NOT_RUNNING', `machine "${name}" has no engine set up (its provisioning did not finish)`, {
      suggestion: `run "tsmachine provision ${name}"`,
    });
  }
  const url = await machineUrl(m);
  return {
    url,
    certPath: m.dir,
    caPath: join(m.dir, MACHINE_FILES.ca),
    certFile: join(m.dir, MACHINE_FILES.cert),
    keyFile: join(m.dir, MACHINE_FILES.key),
  };
}
