import type { DriverFlag } from '../driver';

export const DEFAULT_API_URL = 'https://api.digitalocean.com';

/**
 * docker-machine's digitalocean driver flags (same names and environment variables), defaults
 * refreshed (s-1vcpu-1gb, ubuntu-24-04-x64), plus --digitalocean-api-url, --digitalocean-firewall
 * and --digitalocean-open-port. No SDK is imported here.
 */
export const digitaloceanFlags: DriverFlag[] = [
  { name: 'digitalocean-access-token', description: 'DigitalOcean personal access token (required)', type: 'string', env: 'DIGITALOCEAN_ACCESS_TOKEN' },
  { name: 'digitalocean-region', description: 'Region slug', type: 'string', env: 'DIGITALOCEAN_REGION', default: 'nyc3' },
  { name: 'digitalocean-size', description: 'Droplet size slug', type: 'string', env: 'DIGITALOCEAN_SIZE', default: 's-1vcpu-1gb' },
  { name: 'digitalocean-image', description: 'Image slug or ID', type: 'string', env: 'DIGITALOCEAN_IMAGE', default: 'ubuntu-24-04-x64' },
  { name: 'digitalocean-ssh-user', description: 'SSH user', type: 'string', env: 'DIGITALOCEAN_SSH_USER', default: 'root' },
  { name: 'digitalocean-ssh-port', description: 'SSH port', type: 'integer', env: 'DIGITALOCEAN_SSH_PORT', default: 22 },
  {
    name: 'digitalocean-ssh-key-fingerprint',
    description: 'Use this SSH key of the account instead of importing the machine\'s own key (needs --digitalocean-ssh-key-path)',
    type: 'string',
    env: 'DIGITALOCEAN_SSH_KEY_FINGERPRINT',
  },
  { name: 'digitalocean-ssh-key-path', description: 'Private key matching --digitalocean-ssh-key-fingerprint', type: 'string', env: 'DIGITALOCEAN_SSH_KEY_PATH' },
  { name: 'digitalocean-ipv6', description: 'Enable IPv6', type: 'boolean', env: 'DIGITALOCEAN_IPV6', default: false },
  { name: 'digitalocean-private-networking', description: 'Enable private networking (droplets are in the region\'s default VPC anyway)', type: 'boolean', env: 'DIGITALOCEAN_PRIVATE_NETWORKING', default: false },
  { name: 'digitalocean-backups', description: 'Enable weekly backups (billed)', type: 'boolean', env: 'DIGITALOCEAN_BACKUPS', default: false },
  { name: 'digitalocean-monitoring', description: 'Install the monitoring agent', type: 'boolean', env: 'DIGITALOCEAN_MONITORING', default: false },
  { name: 'digitalocean-tags', description: 'Droplet tags, comma-separated', type: 'string', env: 'DIGITALOCEAN_TAGS' },
  { name: 'digitalocean-userdata', description: 'Path to a cloud-init user-data file', type: 'string', env: 'DIGITALOCEAN_USERDATA' },
  {
    name: 'digitalocean-firewall',
    description: 'Put the droplet behind its own cloud firewall (22, 2376, the swarm ports with --swarm, and --digitalocean-open-port); off: the droplet is open, as DigitalOcean makes it',
    type: 'boolean',
    env: 'DIGITALOCEAN_FIREWALL',
    default: false,
  },
  { name: 'digitalocean-open-port', description: 'Extra port the cloud firewall opens, PORT or PORT/tcp|udp (repeatable; with --digitalocean-firewall)', type: 'string[]', env: 'DIGITALOCEAN_OPEN_PORT' },
  { name: 'digitalocean-api-url', description: `API endpoint (default ${DEFAULT_API_URL})`, type: 'string', env: 'DIGITALOCEAN_API_URL' },
];
