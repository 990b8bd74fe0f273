import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isIP } from 'node:net';
import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';

/** Persisted config of a generic machine: an existing host reached over SSH. */
export interface GenericConfig {
  ipAddress: string;
  sshUser: string;
  /** Absolute path of the user's key; the host is the user's, so the key stays where it is. */
  sshKeyPath: string;
  sshPort: number;
  enginePort: number;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function port(v: unknown, field: string, problems: Problem[]): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    problems.push({ field, message: `"${String(v)}" is not a port number`, suggestion: 'use an integer from 1 to 65535' });
  }
  return n;
}

export function genericConfigFromFlags(values: FlagValues, home = homedir()): { config: GenericConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const ip = String(values['generic-ip-address'] ?? '').trim();
  if (!ip) {
    problems.push({ field: '--generic-ip-address', message: 'is required', suggestion: 'give the address of the host, e.g. --generic-ip-address 203.0.113.10' });
  } else if (!isIP(ip) && !HOSTNAME.test(ip)) {
    problems.push({ field: '--generic-ip-address', message: `"${ip}" is neither an IP address nor a host name` });
  }
  const user = String(values['generic-ssh-user'] ?? 'root');
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(user)) problems.push({ field: '--generic-ssh-user', message: `"${user}" is not a valid user name` });
  const keyFlag = values['generic-ssh-key'];
  const key = keyFlag ? String(keyFlag) : join(home, '.ssh', 'id_rsa');
  const config: GenericConfig = {
    ipAddress: ip,
    sshUser: user,
    sshKeyPath: isAbsolute(key) ? key : resolve(key),
    sshPort: port(values['generic-ssh-port'] ?? 22, '--generic-ssh-port', problems),
    enginePort: port(values['generic-engine-port'] ?? 2376, '--generic-engine-port', problems),
  };
  return { config, problems };
}
