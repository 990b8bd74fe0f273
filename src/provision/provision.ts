import type { EngineOptions } from '../core/machine';
import { silentProgress, step, type ProgressSink } from '../core/progress';
import { installAgent, type AgentCerts } from './agent-install';
import { setHostname } from './hostname';
import { detectInitSystem, type InitSystem } from './init-system';
import { detectOs, type OsFamily } from './os-release';
import { ensurePackages } from './packages';
import type { SshClient } from './ssh-client';

export interface ProvisionHostOptions extends AgentCerts {
  hostname: string;
  /** The single-file agent bundle (dist/agent/tsagent.js). */
  bundle: Buffer;
  /** Engine API port (mutual TLS), default 2376. */
  port?: number;
  engineOptions: EngineOptions;
  progress?: ProgressSink;
}

export interface ProvisionResult {
  /** PRETTY_NAME of the host's OS (`Debian GNU/Linux 12 (bookworm)`). */
  os: string;
  family: OsFamily;
  initSystem: InitSystem;
  /** Packages installed because they were missing. */
  installed: string[];
}

/**
 * Provisions a host over one SSH connection: detects the OS and init system, sets the hostname,
 * installs what tsagent needs, installs the agent with its certificates and starts it.
 * Idempotent. Waiting for `/_ping` over mutual TLS is the caller's job.
 */
export async function provisionHost(ssh: SshClient, o: ProvisionHostOptions): Promise<ProvisionResult> {
  const progress = o.progress ?? silentProgress;
  const { os, init } = await step(progress, 'os', `Detecting the OS of ${ssh.endpoint}`, async () => ({
    os: await detectOs(ssh),
    init: await detectInitSystem(ssh),
  }));
  progress({ kind: 'info', message: `${os.prettyName}, init system: ${init}` });
  await step(progress, 'hostname', `Setting the hostname to ${o.hostname}`, () => setHostname(ssh, o.hostname, init));
  const installed = await ensurePackages(ssh, os, progress);
  await step(progress, 'agent', 'Installing tsagent', () =>
    installAgent(ssh, {
      bundle: o.bundle,
      caPem: o.caPem,
      serverCertPem: o.serverCertPem,
      serverKeyPem: o.serverKeyPem,
      port: o.port,
      engineOptions: o.engineOptions,
      initSystem: init,
    }),
  );
  return { os: os.prettyName, family: os.family, initSystem: init, installed };
}
