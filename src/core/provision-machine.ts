import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SshClient, waitForSsh } from '../provision/ssh-client';
import { provisionHost } from '../provision/provision';
import { ensureStoreCerts, issueServerCert, writeMachineCerts } from '../tls';
import { readEngineTls, waitForEngine } from './engine-client';
import { MACHINE_FILES } from './machine';
import type { OpenMachine } from './machine-context';
import { agentBundlePath } from './paths';
import { step, type ProgressSink } from './progress';
import type { Store } from './store';

export interface ProvisionOptions {
  progress: ProgressSink;
  signal?: AbortSignal;
  sshTimeoutMs?: number;
  engineTimeoutMs?: number;
}

/** Connects to the machine over SSH, waiting (bounded) until it answers; pins the host key. */
export async function connectMachine(m: OpenMachine, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SshClient> {
  const endpoint = await m.driver.sshEndpoint();
  return waitForSsh(
    { ...endpoint, knownHostsPath: join(m.dir, MACHINE_FILES.knownHosts) },
    { timeoutMs: opts.timeoutMs ?? 180_000, signal: opts.signal },
  );
}

/** The hosts the server certificate must cover: every address of the machine plus --tls-san. */
export async function serverCertHosts(m: OpenMachine): Promise<string[]> {
  return [...new Set([...(await m.driver.addresses()), ...m.record.tls.extraSans])];
}

/**
 * Issues the machine's server certificate, installs the agent over one SSH connection and
 * waits until the Engine API answers over mutual TLS. Records what it did in the record.
 */
export async function provisionMachine(store: Store, m: OpenMachine, o: ProvisionOptions): Promise<void> {
  const { progress } = o;
  const ssh = await step(progress, 'ssh', 'Waiting for SSH', () => connectMachine(m, { timeoutMs: o.sshTimeoutMs, signal: o.signal }));
  try {
    const hosts = await serverCertHosts(m);
    const certs = await ensureStoreCerts(store);
    const server = await issueServerCert(certs.ca, { hosts, org: m.record.name });
    await writeMachineCerts(store, m.record.name, { ca: certs.ca, client: certs.client, server });
    const bundle = await readFile(agentBundlePath());
    const result = await provisionHost(ssh, {
      hostname: m.record.name,
      bundle,
      caPem: certs.ca.cert,
      serverCertPem: server.cert,
      serverKeyPem: server.key,
      port: m.record.engine.port,
      engineOptions: m.record.engine.options,
      progress,
    });
    m.record.tls.issuedSans = hosts;
    m.record.provisioned = { os: result.os, initSystem: result.initSystem, at: new Date().toISOString() };
    await store.save(m.record);
  } finally {
    ssh.close();
  }
  const ip = await m.driver.ip();
  await step(progress, 'engine', 'Waiting for the engine API over mutual TLS', async () =>
    waitForEngine(ip, m.record.engine.port, await readEngineTls(m.dir), { timeoutMs: o.engineTimeoutMs ?? 60_000, signal: o.signal }),
  );
}
