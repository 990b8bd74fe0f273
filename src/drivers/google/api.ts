import type { GoogleConfig } from './config';

/** Where an operation lives: its zone, its region, or global. */
export type OperationScope = { zone: string } | { region: string } | { global: true };

/** A Compute Engine operation (insert, delete, start, ...), as far as the driver looks at it. */
export interface GceOperation {
  name: string;
  scope: OperationScope;
  done: boolean;
  /** The operation's error messages, joined, when it finished with an error. */
  error?: string;
}

export interface GceInstance {
  name: string;
  /** PROVISIONING, STAGING, RUNNING, STOPPING, STOPPED, SUSPENDING, SUSPENDED, TERMINATED, ... */
  status: string;
  internalIp?: string;
  externalIp?: string;
  tags: string[];
  tagsFingerprint?: string;
  metadata: Array<{ key: string; value: string }>;
  metadataFingerprint?: string;
}

export interface GceFirewallRule {
  name: string;
  /** Network URL or path. */
  network: string;
  description?: string;
  targetTags: string[];
  sourceRanges: string[];
  allowed: Array<{ protocol: 'tcp' | 'udp'; ports: string[] }>;
}

export interface GceAddress {
  name: string;
  address: string;
  /** RESERVED or IN_USE. */
  status: string;
}

export interface GceImage {
  name: string;
  selfLink: string;
  family?: string;
  creationTimestamp?: string;
}

/** What instances.insert needs; the adapter turns it into the API's Instance. */
export interface InstanceSpec {
  name: string;
  zone: string;
  machineType: string;
  sourceImage: string;
  diskSizeGb: number;
  diskType: string;
  network: string;
  subnetwork?: string;
  /** No access config at all (internal IP only). */
  internalOnly: boolean;
  /** External IP to use (a static address); ephemeral when absent. */
  natIp?: string;
  tags: string[];
  metadata: Array<{ key: string; value: string }>;
  scopes: string[];
  preemptible: boolean;
  labels: Record<string, string>;
}

/**
 * The Compute Engine calls the google driver makes, in one project. Reads resolve `undefined`
 * for not-found; deletes resolve `undefined` when the resource is already gone; mutations resolve
 * the operation to wait on. Other errors are the SDK's (see `gceErrorCode`).
 */
export interface GoogleApi {
  getZone(zone: string): Promise<{ name: string; status: string } | undefined>;
  getMachineType(zone: string, name: string): Promise<{ name: string } | undefined>;
  getImageFromFamily(project: string, family: string): Promise<GceImage | undefined>;
  getImage(project: string, name: string): Promise<GceImage | undefined>;

  getInstance(zone: string, name: string): Promise<GceInstance | undefined>;
  insertInstance(spec: InstanceSpec): Promise<GceOperation>;
  deleteInstance(zone: string, name: string): Promise<GceOperation | undefined>;
  startInstance(zone: string, name: string): Promise<GceOperation>;
  stopInstance(zone: string, name: string): Promise<GceOperation>;
  resetInstance(zone: string, name: string): Promise<GceOperation>;
  setInstanceMetadata(zone: string, name: string, fingerprint: string | undefined, items: Array<{ key: string; value: string }>): Promise<GceOperation>;
  setInstanceTags(zone: string, name: string, fingerprint: string | undefined, tags: string[]): Promise<GceOperation>;
  /** Every instance of the project (all zones) carrying network tag `tag`. */
  listInstancesWithTag(tag: string): Promise<Array<{ zone: string; name: string }>>;

  getFirewall(name: string): Promise<GceFirewallRule | undefined>;
  insertFirewall(rule: GceFirewallRule): Promise<GceOperation>;
  deleteFirewall(name: string): Promise<GceOperation | undefined>;

  getAddress(region: string, name: string): Promise<GceAddress | undefined>;
  insertAddress(region: string, name: string, description: string): Promise<GceOperation>;
  deleteAddress(region: string, name: string): Promise<GceOperation | undefined>;

  /** The operation's current state. */
  getOperation(op: GceOperation): Promise<GceOperation>;
}

/** gRPC status codes the SDK puts on errors (REST errors are mapped to them). */
export const GRPC = { NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;

/** The gRPC status code of an error (the adapter maps the SDK's HTTP errors to these). */
export function gceErrorCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (e: unknown): boolean => gceErrorCode(e) === GRPC.NOT_FOUND;
export const isAlreadyExists = (e: unknown): boolean => gceErrorCode(e) === GRPC.ALREADY_EXISTS;

/** Credentials missing, refused or without permission (google-auth-library or the API). */
export function isCredentialError(e: unknown): boolean {
  const code = gceErrorCode(e);
  if (code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED) return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /default credentials|invalid_grant|invalid_client|unauthorized_client|credential|GOOGLE_APPLICATION_CREDENTIALS/i.test(msg);
}

/** Options of the real adapter beyond the config (tests give fake auth here). */
export interface ComputeAdapterOptions {
  /** A google-auth-library client to use instead of Application Default Credentials. */
  authClient?: unknown;
}

/** The real adapter over @google-cloud/compute; the SDK is loaded here, not when this file is imported. */
export function realGoogleApi(config: GoogleConfig, opts: ComputeAdapterOptions = {}): GoogleApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ComputeAdapter } = require('./compute-adapter') as typeof import('./compute-adapter');
  return new ComputeAdapter(config, opts);
}
