import type { DigitalOceanConfig } from './config';

export interface DoAccount {
  email: string;
  /** active, warning or locked. */
  status: string;
  statusMessage?: string;
  dropletLimit: number;
}

export interface DoRegion {
  slug: string;
  name: string;
  available: boolean;
  /** Size slugs available in the region. */
  sizes: string[];
}

export interface DoSize {
  slug: string;
  available: boolean;
  regions: string[];
}

export interface DoImage {
  id: number;
  slug?: string;
  name: string;
  distribution: string;
  regions: string[];
}

export interface DoSshKey {
  id: number;
  fingerprint: string;
  name: string;
}

export interface DoDroplet {
  id: number;
  name: string;
  /** new, active, off or archive. */
  status: string;
  publicIpv4?: string;
  privateIpv4?: string;
  publicIpv6?: string;
}

export interface DoAction {
  id: number;
  /** in-progress, completed or errored. */
  status: string;
  type: string;
}

export interface DropletSpec {
  name: string;
  region: string;
  size: string;
  image: string | number;
  /** Key ids or fingerprints. */
  sshKeys: Array<number | string>;
  backups: boolean;
  ipv6: boolean;
  privateNetworking: boolean;
  monitoring: boolean;
  userData?: string;
  tags: string[];
}

export interface FirewallSpec {
  name: string;
  inbound: Array<{ protocol: 'tcp' | 'udp'; ports: string }>;
  dropletIds: number[];
}

export type PowerAction = 'shutdown' | 'power_off' | 'power_on' | 'reboot';

/**
 * The DigitalOcean API v2 calls the driver makes. Reads resolve `undefined` for 404; deletes
 * resolve `false` when the resource was already gone. Other failures are errors with the HTTP
 * `status` and DigitalOcean's own `id` and message (see DoApiError).
 */
export interface DigitalOceanApi {
  getAccount(): Promise<DoAccount>;
  listRegions(): Promise<DoRegion[]>;
  listSizes(): Promise<DoSize[]>;
  getImage(slugOrId: string): Promise<DoImage | undefined>;
  getSshKey(idOrFingerprint: string | number): Promise<DoSshKey | undefined>;
  createSshKey(name: string, publicKey: string): Promise<DoSshKey>;
  deleteSshKey(id: number): Promise<boolean>;
  createDroplet(spec: DropletSpec): Promise<DoDroplet>;
  getDroplet(id: number): Promise<DoDroplet | undefined>;
  deleteDroplet(id: number): Promise<boolean>;
  dropletAction(id: number, type: PowerAction): Promise<DoAction>;
  getAction(id: number): Promise<DoAction>;
  createFirewall(spec: FirewallSpec): Promise<{ id: string }>;
  deleteFirewall(id: string): Promise<boolean>;
}

/**
 * A failed API call: HTTP status, DigitalOcean's error id (`not_found`, `unauthorized`,
 * `unprocessable_entity`, ...) and message. Never carries the request (its headers hold the token).
 */
export class DoApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly id: string | undefined,
  ) {
    super(message);
    this.name = 'DoApiError';
  }
}

export function doStatus(e: unknown): number | undefined {
  return e instanceof DoApiError ? e.status : undefined;
}

export const isUnauthorized = (e: unknown): boolean => doStatus(e) === 401;

/** The real adapter over digitalocean-js; the library is loaded on first use. */
export function realDigitalOceanApi(config: DigitalOceanConfig): DigitalOceanApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DigitalOceanJsAdapter } = require('./do-adapter') as typeof import('./do-adapter');
  return new DigitalOceanJsAdapter(config.accessToken, config.apiUrl);
}
