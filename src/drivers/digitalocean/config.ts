import { isAbsolute, resolve } from 'node:path';
import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';
import { flagBool as bool, flagList as list, flagPorts as ports, flagString as str, type PortSpec } from '../flag-values';

export type { PortSpec } from '../flag-values';
import { DEFAULT_API_URL } from './flags';

/** What a droplet machine created, recorded right after each create call returns its id. */
export interface DigitalOceanResources {
  /** The imported SSH key (`tsmachine-<name>`), absent with --digitalocean-ssh-key-fingerprint. */
  sshKey?: number;
  droplet?: number;
  /** The machine's cloud firewall (--digitalocean-firewall). */
  firewall?: string;
}

/** Persisted config of a digitalocean machine (`machine.json` driver.config). */
export interface DigitalOceanConfig {
  /** The API token, kept like docker-machine kept it: every later command needs it. */
  accessToken: string;
  region: string;
  size: string;
  image: string;
  sshUser: string;
  sshPort: number;
  /** An account key to use instead of importing the machine's own. */
  sshKeyFingerprint?: string;
  /** Its private half (absolute path). */
  sshKeyPath?: string;
  ipv6: boolean;
  privateNetworking: boolean;
  backups: boolean;
  monitoring: boolean;
  tags: string[];
  /** Absolute path of a cloud-init user-data file. */
  userDataPath?: string;
  firewall: boolean;
  openPorts: PortSpec[];
  swarm: boolean;
  /** API base URL without /v2. */
  apiUrl: string;
  ip?: string;
  privateIp?: string;
  ipv6Address?: string;
  resources: DigitalOceanResources;
}

const SLUG = /^[a-z0-9][a-z0-9-]*$/;
const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;
const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/;





function slug(v: unknown, fallback: string, field: string, problems: Problem[]): string {
  const s = str(v) ?? fallback;
  if (!SLUG.test(s)) problems.push({ field, message: `"${s}" is not a slug`, suggestion: `use lowercase letters, digits and "-", e.g. ${fallback}` });
  return s;
}

function apiUrl(v: unknown, problems: Problem[]): string {
  const s = str(v) ?? DEFAULT_API_URL;
  try {
    const u = new URL(s);
    if (u.protocol === 'http:' || u.protocol === 'https:') return s.replace(/\/+$/, '').replace(/\/v2$/, '');
  } catch {
    // reported below
  }
  problems.push({ field: '--digitalocean-api-url', message: `"${s}" is not an http(s) URL`, suggestion: `e.g. ${DEFAULT_API_URL}` });
  return DEFAULT_API_URL;
}

function absolute(p: string | undefined): string | undefined {
  return p && (isAbsolute(p) ? p : resolve(p));
}

function sshKeyProblems(fingerprint: string | undefined, keyPath: string | undefined, problems: Problem[]): void {
  if (fingerprint && !FINGERPRINT.test(fingerprint.toLowerCase())) {
    problems.push({ field: '--digitalocean-ssh-key-fingerprint', message: `"${fingerprint}" is not an MD5 key fingerprint`, suggestion: 'copy it from the control panel (Settings > Security), e.g. 3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa' });
  }
  if (fingerprint && !keyPath) {
    problems.push({ field: '--digitalocean-ssh-key-path', message: 'is required with --digitalocean-ssh-key-fingerprint', suggestion: 'give the private key of that account key, e.g. --digitalocean-ssh-key-path ~/.ssh/id_ed25519' });
  }
  if (keyPath && !fingerprint) {
    problems.push({ field: '--digitalocean-ssh-key-fingerprint', message: 'is required with --digitalocean-ssh-key-path', suggestion: 'give the fingerprint of the account key matching that private key' });
  }
}

/** Builds a digitalocean machine's config from flag values; reports every problem at once. */
export function digitaloceanConfigFromFlags(values: FlagValues): { config: DigitalOceanConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const accessToken = str(values['digitalocean-access-token']) ?? '';
  if (!accessToken) {
    problems.push({ field: '--digitalocean-access-token', message: 'is required', suggestion: 'set DIGITALOCEAN_ACCESS_TOKEN to a personal access token (API > Tokens in the control panel)' });
  }
  const tags = list(values['digitalocean-tags']);
  for (const t of tags) if (!TAG.test(t)) problems.push({ field: '--digitalocean-tags', message: `"${t}" is not a valid tag`, suggestion: 'use letters, digits, ":", "-" and "_"' });
  const image = str(values['digitalocean-image']) ?? 'ubuntu-24-04-x64';
  if (!/^([0-9]+|[a-z0-9][a-z0-9.-]*)$/.test(image)) problems.push({ field: '--digitalocean-image', message: `"${image}" is neither an image slug nor an ID`, suggestion: 'e.g. ubuntu-24-04-x64' });
  const user = str(values['digitalocean-ssh-user']) ?? 'root';
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) problems.push({ field: '--digitalocean-ssh-user', message: `"${user}" is not a valid user name` });
  const sshPort = Number(values['digitalocean-ssh-port'] ?? 22);
  if (!Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535) problems.push({ field: '--digitalocean-ssh-port', message: `"${String(values['digitalocean-ssh-port'])}" is not a port number`, suggestion: 'use an integer from 1 to 65535' });
  const fingerprint = str(values['digitalocean-ssh-key-fingerprint'])?.toLowerCase();
  const keyPath = absolute(str(values['digitalocean-ssh-key-path']));
  sshKeyProblems(fingerprint, keyPath, problems);
  const config: DigitalOceanConfig = {
    accessToken,
    region: slug(values['digitalocean-region'], 'nyc3', '--digitalocean-region', problems),
    size: slug(values['digitalocean-size'], 's-1vcpu-1gb', '--digitalocean-size', problems),
    image,
    sshUser: user,
    sshPort,
    ipv6: bool(values['digitalocean-ipv6'], '--digitalocean-ipv6', problems),
    privateNetworking: bool(values['digitalocean-private-networking'], '--digitalocean-private-networking', problems),
    backups: bool(values['digitalocean-backups'], '--digitalocean-backups', problems),
    monitoring: bool(values['digitalocean-monitoring'], '--digitalocean-monitoring', problems),
    tags,
    firewall: bool(values['digitalocean-firewall'], '--digitalocean-firewall', problems),
    openPorts: ports(values['digitalocean-open-port'], '--digitalocean-open-port', problems),
    swarm: bool(values.swarm, '--swarm', problems),
    apiUrl: apiUrl(values['digitalocean-api-url'], problems),
    resources: {},
  };
  if (fingerprint) config.sshKeyFingerprint = fingerprint;
  if (keyPath) config.sshKeyPath = keyPath;
  const userData = absolute(str(values['digitalocean-userdata']));
  if (userData) config.userDataPath = userData;
  return { config, problems };
}
