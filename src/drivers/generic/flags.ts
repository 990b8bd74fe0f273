import type { DriverFlag } from '../driver';

/** docker-machine's generic driver flags, same names and environment variables. */
export const genericFlags: DriverFlag[] = [
  { name: 'generic-ip-address', description: 'IP address or DNS name of the host', type: 'string', env: 'GENERIC_IP_ADDRESS' },
  { name: 'generic-ssh-user', description: 'SSH user', type: 'string', env: 'GENERIC_SSH_USER', default: 'root' },
  { name: 'generic-ssh-key', description: 'SSH private key path (default: ~/.ssh/id_rsa)', type: 'string', env: 'GENERIC_SSH_KEY' },
  { name: 'generic-ssh-port', description: 'SSH port', type: 'integer', env: 'GENERIC_SSH_PORT', default: 22 },
  { name: 'generic-engine-port', description: 'Port of the engine API (mutual TLS)', type: 'integer', env: 'GENERIC_ENGINE_PORT', default: 2376 },
];
