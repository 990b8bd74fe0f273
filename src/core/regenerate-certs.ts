import { connectMachine, serverCertHosts } from './provision-machine';
import { ensureStoreCerts, issueServerCert, regenerateClientCerts, writeMachineCerts } from '../tls';
import { installAgentCerts } from '../provision/agent-install';
import { TsmError } from './errors';
import type { OpenMachine } from './machine-context';
import { openMachine } from './machine-context';
import { readEngineTls, waitForEngine } from './engine-client';
import { step, silentProgress, type ProgressSink } from './progress';
import type { Store } from './store';

/** Re-issues the machine's server certificate for its current addresses, installs it, restarts the engine. */
export async function regenerateServerCert(store: Store, m: OpenMachine, o: { progress?: ProgressSink; signal?: AbortSignal }): Promise<void> {
  const progress = o.progress ?? silentProgress;
  if (!m.record.provisioned) {
    throw new TsmError('MACHINE_NOT_RUNNING', `"${m.record.name}" was never provisioned`, { suggestion: `run "tsmachine provision ${m.record.name}"` });
  }
  const hosts = await serverCertHosts(m);
  const certs = await ensureStoreCerts(store);
  const server = await issueServerCert(certs.ca, { hosts, org: m.record.name });
  const ssh = await connectMachine(m, { timeoutMs: 60_000, signal: o.signal });
  try {
    await step(progress, 'certs', `Installing new certificates on "${m.record.name}"`, () =>
      installAgentCerts(ssh, { caPem: certs.ca.cert, serverCertPem: server.cert, serverKeyPem: server.key, initSystem: m.record.provisioned!.initSystem }),
    );
  } finally {
    ssh.close();
  }
  await writeMachineCerts(store, m.record.name, { ca: certs.ca, client: certs.client, server });
  m.record.tls.issuedSans = hosts;
  await store.save(m.record);
}

/** `tsmachine regenerate-certs [--client-certs] NAME`: new server cert (and optionally a new CA + client cert). */
export async function regenerateCerts(
  store: Store,
  name: string,
  o: { clientCerts?: boolean; progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<void> {
  if (o.clientCerts) await regenerateClientCerts(store);
  await store.withLock(name, async () => {
    const m = await openMachine(store, name, o);
    await regenerateServerCert(store, m, o);
    const ip = await m.driver.ip();
    await waitForEngine(ip, m.record.engine.port, await readEngineTls(m.dir), { timeoutMs: 60_000, signal: o.signal });
  });
}
