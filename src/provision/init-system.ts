import type { SshClient } from './ssh-client';

/**
 * How services are run on the host. 'none': no service manager (local machines, tsos); the
 * agent is started by a script in /etc/tsmachine/boot.d, which their init runs at boot.
 */
export type InitSystem = 'systemd' | 'openrc' | 'none';

export const INIT_SYSTEMS: readonly InitSystem[] = ['systemd', 'openrc', 'none'];

/** Narrows a stored string (machine.json) to an InitSystem; unknown values mean 'none'. */
export function toInitSystem(value: string): InitSystem {
  return (INIT_SYSTEMS as readonly string[]).includes(value) ? (value as InitSystem) : 'none';
}

/**
 * Prints `systemd`, `openrc` or `none`. systemd counts only when it is running (the
 * /run/systemd/system marker exists and systemctl reaches the manager); OpenRC when rc-service
 * exists and OpenRC has booted (/run/openrc).
 */
export const DETECT_INIT_SCRIPT = [
  'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && systemctl show --property=Version >/dev/null 2>&1; then echo systemd',
  'elif command -v rc-service >/dev/null 2>&1 && [ -d /run/openrc ]; then echo openrc',
  'else echo none; fi',
].join('\n');

/** Parses the output of DETECT_INIT_SCRIPT. */
export function parseInitSystem(output: string): InitSystem {
  return toInitSystem(output.trim().split('\n').pop() ?? '');
}

/** Detects the host's init system. */
export async function detectInitSystem(ssh: SshClient): Promise<InitSystem> {
  const r = await ssh.run(DETECT_INIT_SCRIPT, { label: 'detect the init system' });
  return parseInitSystem(r.stdout);
}
