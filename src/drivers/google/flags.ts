import type { DriverFlag } from '../driver';

export const DEFAULT_IMAGE_PROJECT = 'ubuntu-os-cloud';
export const DEFAULT_IMAGE_FAMILY = 'ubuntu-2404-lts-amd64';
export const DEFAULT_SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/logging.write',
  'https://www.googleapis.com/auth/monitoring.write',
];

/**
 * docker-machine's google driver flags (same names and environment variables), defaults
 * refreshed: e2-small, pd-balanced, Ubuntu 24.04 LTS looked up from its image family at create
 * time. No SDK is imported here: the CLI loads every driver's flags at start-up.
 */
export const googleFlags: DriverFlag[] = [
  { name: 'google-project', description: 'GCP project ID (required)', type: 'string', env: 'GOOGLE_PROJECT' },
  { name: 'google-zone', description: 'Zone of the instance', type: 'string', env: 'GOOGLE_ZONE', default: 'us-central1-a' },
  { name: 'google-machine-type', description: 'Machine type', type: 'string', env: 'GOOGLE_MACHINE_TYPE', default: 'e2-small' },
  {
    name: 'google-machine-image',
    description: `Boot image: NAME (in the project), projects/P/global/images/NAME, projects/P/global/images/family/F, or its URL (default: newest image of family ${DEFAULT_IMAGE_FAMILY} in ${DEFAULT_IMAGE_PROJECT}, looked up at create time)`,
    type: 'string',
    env: 'GOOGLE_MACHINE_IMAGE',
  },
  { name: 'google-username', description: 'SSH user, created by the guest agent with sudo', type: 'string', env: 'GOOGLE_USERNAME', default: 'docker-user' },
  { name: 'google-disk-size', description: 'Boot disk size in GB', type: 'integer', env: 'GOOGLE_DISK_SIZE', default: 10 },
  { name: 'google-disk-type', description: 'Boot disk type (pd-standard, pd-balanced, pd-ssd, ...)', type: 'string', env: 'GOOGLE_DISK_TYPE', default: 'pd-balanced' },
  { name: 'google-network', description: 'VPC network of the instance', type: 'string', env: 'GOOGLE_NETWORK', default: 'default' },
  { name: 'google-subnetwork', description: 'Subnetwork of the instance (custom-mode networks)', type: 'string', env: 'GOOGLE_SUBNETWORK' },
  {
    name: 'google-address',
    description: 'External IP: an IP address, or the name of a regional static address (reserved, and released on rm, when missing)',
    type: 'string',
    env: 'GOOGLE_ADDRESS',
  },
  { name: 'google-preemptible', description: 'Spot (preemptible) instance', type: 'boolean', env: 'GOOGLE_PREEMPTIBLE', default: false },
  { name: 'google-tags', description: 'Extra network tags, comma-separated', type: 'string', env: 'GOOGLE_TAGS' },
  { name: 'google-scopes', description: 'Service account scopes, comma-separated', type: 'string', env: 'GOOGLE_SCOPES', default: DEFAULT_SCOPES.join(',') },
  { name: 'google-use-internal-ip', description: 'Reach the instance on its internal IP (it keeps an external one)', type: 'boolean', env: 'GOOGLE_USE_INTERNAL_IP', default: false },
  { name: 'google-use-internal-ip-only', description: 'No external IP; reach the instance on its internal IP', type: 'boolean', env: 'GOOGLE_USE_INTERNAL_IP_ONLY', default: false },
  {
    name: 'google-use-existing',
    description: 'Use the existing instance named like the machine: tsmachine adds its SSH key and tags, and rm takes them away again without deleting the instance',
    type: 'boolean',
    env: 'GOOGLE_USE_EXISTING',
    default: false,
  },
  { name: 'google-open-port', description: 'Extra port to open to the internet, PORT or PORT/tcp|udp (repeatable)', type: 'string[]', env: 'GOOGLE_OPEN_PORT' },
  {
    name: 'google-endpoint',
    description: 'Compute API endpoint, e.g. https://compute.googleapis.com or http://127.0.0.1:8080 (default: the SDK\'s)',
    type: 'string',
    env: 'GOOGLE_ENDPOINT',
  },
];
