import { TsmError } from '../core/errors';
import type { EngineOptions } from '../core/machine';
import {
  AGENT_PATHS,
  DEFAULT_AGENT_PORT,
  agentCommand,
  renderBootScript,
  renderOpenrcScript,
  renderSystemdUnit,
  type AgentCommand,
} from './agent-render';
import { toInitSystem, type InitSystem } from './init-system';
import type { SshClient } from './ssh-client';

export { AGENT_PATHS, DEFAULT_AGENT_PORT } from './agent-render';

/** The TLS material the agent serves with (PEM). */
export interface AgentCerts {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export interface InstallAgentOptions extends AgentCerts {
  /** The single-file agent bundle (dist/agent/tsagent.js). */
  bundle: Buffer;
  /** Engine API port (mutual TLS), default 2376. */
  port?: number;
  engineOptions: EngineOptions;
  initSystem: InitSystem;
}

/** Absolute path of node on the host (PROVISION_FAILED when it is missing). */
async function nodePath(ssh: SshClient): Promise<string> {
  const r = await ssh.exec('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH command -v node', { sudo: true });
  const path = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !path.startsWith('/')) {
    throw new TsmError('PROVISION_FAILED', `node is not installed on ${ssh.endpoint}; tsagent needs Node.js >= 18`, {
      suggestion: 'install Node.js 18 or newer on the host, then run "tsmachine provision <name>"',
    });
  }
  return path;
}

/** Writes ca.pem, server.pem and server-key.pem into /etc/tsagent (folder 0700, files 0600). */
export async function writeAgentCerts(ssh: SshClient, c: AgentCerts): Promise<void> {
  const p = AGENT_PATHS;
  await ssh.run(`mkdir -p ${p.certDir} && chmod 0700 ${p.certDir}`, { sudo: true });
  await ssh.putFile(p.ca, c.caPem, { mode: 0o600, sudo: true });
  await ssh.putFile(p.cert, c.serverCertPem, { mode: 0o600, sudo: true });
  await ssh.putFile(p.key, c.serverKeyPem, { mode: 0o600, sudo: true });
}

async function installService(ssh: SshClient, init: InitSystem, cmd: AgentCommand): Promise<void> {
  const p = AGENT_PATHS;
  if (init === 'systemd') {
    await ssh.putFile(p.systemdUnit, renderSystemdUnit(cmd), { mode: 0o644, sudo: true });
    await ssh.run('systemctl daemon-reload && systemctl enable tsagent.service', { sudo: true });
  } else if (init === 'openrc') {
    await ssh.putFile(p.openrcScript, renderOpenrcScript(cmd), { mode: 0o755, sudo: true });
    await ssh.run('rc-update add tsagent default', { sudo: true });
  } else {
    await ssh.putFile(p.bootScript, renderBootScript(cmd), { mode: 0o755, sudo: true, mkdir: true });
  }
}

/**
 * Installs tsagent: the bundle, its certificates and a service for the init system, then
 * (re)starts it. Idempotent: re-running replaces every file and restarts the agent. Does not
 * wait for the Engine API to answer (the caller does, over mutual TLS).
 */
export async function installAgent(ssh: SshClient, o: InstallAgentOptions): Promise<void> {
  const cmd = agentCommand({ nodePath: await nodePath(ssh), port: o.port ?? DEFAULT_AGENT_PORT, engineOptions: o.engineOptions });
  await ssh.run(`mkdir -p ${AGENT_PATHS.libDir} && chmod 0755 ${AGENT_PATHS.libDir}`, { sudo: true });
  await ssh.putFile(AGENT_PATHS.bundle, o.bundle, { mode: 0o644, sudo: true });
  await writeAgentCerts(ssh, o);
  await installService(ssh, o.initSystem, cmd);
  await restartAgent(ssh, o.initSystem);
}

/** Restarts the agent with the init system's tool (starts it when stopped). */
export async function restartAgent(ssh: SshClient, initSystem: InitSystem | string): Promise<void> {
  const init = toInitSystem(initSystem);
  const command =
    init === 'systemd' ? 'systemctl restart tsagent.service'
    : init === 'openrc' ? 'rc-service tsagent restart'
    : AGENT_PATHS.bootScript;
  await ssh.run(command, { sudo: true, label: `restart tsagent (${init})` });
}

/** Installs new certificates and restarts the agent so it serves them (regenerate-certs). */
export async function installAgentCerts(ssh: SshClient, o: AgentCerts & { initSystem: InitSystem | string }): Promise<void> {
  await writeAgentCerts(ssh, o);
  await restartAgent(ssh, o.initSystem);
}

/** The command printing the last `lines` lines of the agent's log. */
export function agentLogsCommand(initSystem: InitSystem | string, lines = 40): string {
  const n = Math.max(1, Math.floor(lines));
  return toInitSystem(initSystem) === 'systemd'
    ? `journalctl -u tsagent.service -n ${n} --no-pager -o cat 2>/dev/null || tail -n ${n} ${AGENT_PATHS.log}`
    : `tail -n ${n} ${AGENT_PATHS.log}`;
}

/** The last lines of the agent's log, for error messages; '' when they cannot be read. Never throws. */
export async function agentLogsTail(ssh: SshClient, initSystem: InitSystem | string, lines = 40): Promise<string> {
  try {
    const r = await ssh.exec(agentLogsCommand(initSystem, lines), { sudo: true });
    return r.code === 0 ? r.stdout.trimEnd() : '';
  } catch {
    return '';
  }
}
