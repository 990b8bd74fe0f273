import { TsmError } from '../core/errors';
import type { InitSystem } from './init-system';
import type { SshClient } from './ssh-client';

const HOSTNAME = /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/;

/**
 * The root script that sets the hostname (hostnamectl under systemd, else /etc/hostname and
 * `hostname`; a host that refuses the live change, e.g. a container, keeps /etc/hostname for its
 * next boot) and maps it to 127.0.1.1 in /etc/hosts so sudo and local lookups resolve it.
 * /etc/hosts is rewritten in place (it may be a bind mount).
 */
export function hostnameScript(name: string, init: InitSystem): string {
  if (!HOSTNAME.test(name) || name.length > 253) throw new RangeError(`invalid hostname ${JSON.stringify(name)}`);
  const short = name.split('.')[0];
  const entry = short === name ? name : `${name} ${short}`;
  return [
    'set -e',
    `NAME=${name}`,
    ...(init === 'systemd' ? ['if command -v hostnamectl >/dev/null 2>&1 && hostnamectl set-hostname "$NAME" 2>/dev/null; then :; else'] : ['if true; then']),
    '  echo "$NAME" > /etc/hostname',
    '  hostname "$NAME" 2>/dev/null || echo "$NAME" 2>/dev/null > /proc/sys/kernel/hostname || true',
    'fi',
    `if ! grep -Eq "^127\\.0\\.1\\.1[[:space:]]+${entry.replace(/\./g, '\\\\.')}\\$" /etc/hosts 2>/dev/null; then`,
    `  hosts=$(grep -Ev '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts 2>/dev/null || true)`,
    `  printf '%s\\n127.0.1.1 %s\\n' "$hosts" '${entry}' > /etc/hosts`,
    'fi',
  ].join('\n');
}

/** Sets the host's name (kept across reboots) and its /etc/hosts entry. */
export async function setHostname(ssh: SshClient, name: string, init: InitSystem): Promise<void> {
  let script: string;
  try {
    script = hostnameScript(name, init);
  } catch (e) {
    throw new TsmError('PROVISION_FAILED', `cannot use "${name}" as the hostname of ${ssh.endpoint}`, {
      cause: e,
      suggestion: 'machine names are letters, digits, dots and dashes, starting with a letter or digit',
    });
  }
  await ssh.run(script, { sudo: true, label: `set the hostname to ${name}` });
}
