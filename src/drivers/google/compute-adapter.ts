import type * as Compute from '@google-cloud/compute';
import type { protos } from '@google-cloud/compute';
import type { GoogleConfig } from './config';
import { isNotFound, type ComputeAdapterOptions, type GceFirewallRule, type GceImage, type GceInstance, type GceOperation, type GoogleApi, type InstanceSpec, type OperationScope } from './api';

type IOperation = protos.google.cloud.compute.v1.IOperation;
type IInstance = protos.google.cloud.compute.v1.IInstance;
type IImage = protos.google.cloud.compute.v1.IImage;

/** Client options for an endpoint override: REST wants host, port and protocol apart (a port inside apiEndpoint is ignored). */
export function endpointOptions(endpoint: string | undefined): { apiEndpoint?: string; port?: number; protocol?: string } {
  if (!endpoint) return {};
  const u = new URL(endpoint);
  const protocol = u.protocol.replace(':', '');
  return { apiEndpoint: u.hostname, port: u.port ? Number(u.port) : protocol === 'http' ? 80 : 443, protocol };
}

const HTTP_TO_GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 412: 9, 429: 8, 500: 13, 503: 14, 504: 4 };

/**
 * The SDK fails in two shapes: HTTP errors surface as gaxios errors (numeric HTTP `code`/`status`,
 * the JSON body as message), decoded errors as GoogleError (gRPC `code`). Both become an Error
 * with the gRPC code and the API's own message; the original is the cause.
 */
export function normalizeError(e: unknown): Error {
  const err = e as { code?: unknown; status?: unknown; message?: string; response?: { status?: number; data?: unknown } } | null;
  const status = typeof err?.status === 'number' ? err.status : typeof err?.code === 'number' && err.code >= 100 ? err.code : err?.response?.status;
  if (status === undefined) return e instanceof Error ? e : new Error(String(e));
  let message = err?.message ?? `HTTP ${status}`;
  try {
    const body = JSON.parse(message) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the message
  }
  const code = HTTP_TO_GRPC[status] ?? (status >= 500 ? 13 : 2);
  return Object.assign(new Error(`${message} (HTTP ${status})`, { cause: e }), { code, httpStatus: status });
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function operation(op: IOperation | null | undefined, scope: OperationScope): GceOperation {
  const status = op?.status as unknown;
  const errors = op?.error?.errors ?? [];
  const out: GceOperation = { name: String(op?.name ?? ''), scope, done: status === 'DONE' || status === 2104194 };
  if (errors.length > 0) out.error = errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`).join('; ');
  return out;
}

function image(i: IImage): GceImage {
  return { name: String(i.name), selfLink: String(i.selfLink ?? ''), family: i.family ?? undefined, creationTimestamp: i.creationTimestamp ?? undefined };
}

function instance(i: IInstance): GceInstance {
  const nic = i.networkInterfaces?.[0];
  return {
    name: String(i.name),
    status: String(i.status ?? 'UNDEFINED_STATUS'),
    internalIp: nic?.networkIP ?? undefined,
    externalIp: nic?.accessConfigs?.find((a) => a.natIP)?.natIP ?? undefined,
    tags: (i.tags?.items ?? []).map(String),
    tagsFingerprint: i.tags?.fingerprint ?? undefined,
    metadata: (i.metadata?.items ?? []).map((m) => ({ key: String(m.key), value: String(m.value ?? '') })),
    metadataFingerprint: i.metadata?.fingerprint ?? undefined,
  };
}

function instanceResource(s: InstanceSpec): IInstance {
  const region = s.zone.replace(/-[a-z]$/, '');
  return {
    name: s.name,
    machineType: `zones/${s.zone}/machineTypes/${s.machineType}`,
    disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: s.sourceImage, diskSizeGb: s.diskSizeGb, diskType: `zones/${s.zone}/diskTypes/${s.diskType}` } }],
    networkInterfaces: [
      {
        network: s.network.includes('/') ? s.network : `global/networks/${s.network}`,
        ...(s.subnetwork ? { subnetwork: s.subnetwork.includes('/') ? s.subnetwork : `regions/${region}/subnetworks/${s.subnetwork}` } : {}),
        accessConfigs: s.internalOnly ? [] : [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT', ...(s.natIp ? { natIP: s.natIp } : {}) }],
      },
    ],
    tags: { items: s.tags },
    metadata: { items: s.metadata },
    labels: s.labels,
    serviceAccounts: [{ email: 'default', scopes: s.scopes }],
    scheduling: s.preemptible
      ? { provisioningModel: 'SPOT', instanceTerminationAction: 'STOP', automaticRestart: false, onHostMaintenance: 'TERMINATE' }
      : { automaticRestart: true, onHostMaintenance: 'MIGRATE' },
  };
}

/**
 * The GoogleApi over @google-cloud/compute (REST transport). Built once per driver; the SDK is
 * loaded and the clients are made on first use and share one auth client (Application Default Credentials unless
 * `authClient` is given), so a command fetches one token.
 */
type ClientKind = 'InstancesClient' | 'ZonesClient' | 'MachineTypesClient' | 'ImagesClient' | 'FirewallsClient' | 'AddressesClient' | 'ZoneOperationsClient' | 'RegionOperationsClient' | 'GlobalOperationsClient';

export class ComputeAdapter implements GoogleApi {
  private sdk?: typeof Compute;
  private readonly project: string;
  private readonly base: Record<string, unknown>;
  private readonly clients = new Map<string, Promise<unknown>>();
  private auth?: unknown;

  constructor(config: GoogleConfig, opts: ComputeAdapterOptions = {}) {
    this.project = config.project;
    this.base = { fallback: true, ...endpointOptions(config.endpoint), ...(opts.authClient ? { authClient: opts.authClient } : {}) };
  }

  /**
   * The client of `kind`, made and initialized on first use. Initializing loads the credentials;
   * a failure there is returned here, before any SDK method runs: the SDK's methods re-throw a
   * failed initialization inside a detached promise, which would be an unhandled rejection.
   */
  private client<K extends ClientKind>(kind: K): Promise<InstanceType<(typeof Compute)[K]>> {
    let p = this.clients.get(kind) as Promise<InstanceType<(typeof Compute)[K]>> | undefined;
    if (!p) {
      // The SDK is loaded on the first call, so building a driver (inspect, config) stays cheap.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.sdk ??= require('@google-cloud/compute') as typeof Compute;
      const Ctor = this.sdk[kind] as unknown as new (o: Record<string, unknown>) => InstanceType<(typeof Compute)[K]> & { auth?: unknown };
      const c = new Ctor(this.auth && !this.base.authClient ? { ...this.base, auth: this.auth } : this.base);
      this.auth ??= c.auth;
      p = c.initialize().then(
        () => c,
        (e: unknown) => {
          throw Object.assign(new Error(`Google credentials could not be loaded: ${e instanceof Error ? e.message : String(e)}`, { cause: e }), { code: 16 });
        },
      );
      this.clients.set(kind, p);
    }
    return p;
  }

  /** Runs one SDK call with its client, errors normalized (see normalizeError). */
  private async run<K extends ClientKind, T>(kind: K, fn: (c: InstanceType<(typeof Compute)[K]>) => Promise<T>): Promise<T> {
    const c = await this.client(kind);
    try {
      return await fn(c);
    } catch (e) {
      throw normalizeError(e);
    }
  }

  async getZone(zone: string) {
    const z = await orUndefined(this.run('ZonesClient', (c) => c.get({ project: this.project, zone })));
    return z && { name: String(z[0].name), status: String(z[0].status ?? '') };
  }

  async getMachineType(zone: string, name: string) {
    const m = await orUndefined(this.run('MachineTypesClient', (c) => c.get({ project: this.project, zone, machineType: name })));
    return m && { name: String(m[0].name) };
  }

  async getImageFromFamily(project: string, family: string) {
    const r = await orUndefined(this.run('ImagesClient', (c) => c.getFromFamily({ project, family })));
    return r && image(r[0]);
  }

  async getImage(project: string, name: string) {
    const r = await orUndefined(this.run('ImagesClient', (c) => c.get({ project, image: name })));
    return r && image(r[0]);
  }

  async getInstance(zone: string, name: string) {
    const r = await orUndefined(this.run('InstancesClient', (c) => c.get({ project: this.project, zone, instance: name })));
    return r && instance(r[0]);
  }

  async insertInstance(spec: InstanceSpec) {
    const [lro] = await this.run('InstancesClient', (c) => c.insert({ project: this.project, zone: spec.zone, instanceResource: instanceResource(spec) }));
    return operation(lro.latestResponse as IOperation, { zone: spec.zone });
  }

  async deleteInstance(zone: string, name: string) {
    const r = await orUndefined(this.run('InstancesClient', (c) => c.delete({ project: this.project, zone, instance: name })));
    return r && operation(r[0].latestResponse as IOperation, { zone });
  }

  private async power(zone: string, name: string, call: 'start' | 'stop' | 'reset') {
    const [lro] = await this.run('InstancesClient', (c) => c[call]({ project: this.project, zone, instance: name }));
    return operation(lro.latestResponse as IOperation, { zone });
  }

  startInstance(zone: string, name: string) {
    return this.power(zone, name, 'start');
  }

  stopInstance(zone: string, name: string) {
    return this.power(zone, name, 'stop');
  }

  resetInstance(zone: string, name: string) {
    return this.power(zone, name, 'reset');
  }

  async setInstanceMetadata(zone: string, name: string, fingerprint: string | undefined, items: Array<{ key: string; value: string }>) {
    const [lro] = await this.run('InstancesClient', (c) => c.setMetadata({ project: this.project, zone, instance: name, metadataResource: { fingerprint, items } }));
    return operation(lro.latestResponse as IOperation, { zone });
  }

  async setInstanceTags(zone: string, name: string, fingerprint: string | undefined, tags: string[]) {
    const [lro] = await this.run('InstancesClient', (c) => c.setTags({ project: this.project, zone, instance: name, tagsResource: { fingerprint, items: tags } }));
    return operation(lro.latestResponse as IOperation, { zone });
  }

  listInstancesWithTag(tag: string) {
    return this.run('InstancesClient', async (c) => {
      const out: Array<{ zone: string; name: string }> = [];
      for await (const [scope, list] of c.aggregatedListAsync({ project: this.project, returnPartialSuccess: true }, { autoPaginate: false })) {
        for (const i of list.instances ?? []) {
          if (i.tags?.items?.includes(tag)) out.push({ zone: scope.replace(/^zones\//, ''), name: String(i.name) });
        }
      }
      return out;
    });
  }

  async getFirewall(name: string) {
    const r = await orUndefined(this.run('FirewallsClient', (c) => c.get({ project: this.project, firewall: name })));
    if (!r) return undefined;
    const f = r[0];
    const rule: GceFirewallRule = {
      name: String(f.name),
      network: String(f.network ?? ''),
      description: f.description ?? undefined,
      targetTags: (f.targetTags ?? []).map(String),
      sourceRanges: (f.sourceRanges ?? []).map(String),
      allowed: (f.allowed ?? []).map((a) => ({ protocol: String(a.IPProtocol) as 'tcp' | 'udp', ports: (a.ports ?? []).map(String) })),
    };
    return rule;
  }

  async insertFirewall(rule: GceFirewallRule) {
    const firewallResource = {
      name: rule.name,
      network: rule.network,
      description: rule.description,
      direction: 'INGRESS',
      targetTags: rule.targetTags,
      sourceRanges: rule.sourceRanges,
      allowed: rule.allowed.map((a) => ({ IPProtocol: a.protocol, ports: a.ports })),
    };
    const [lro] = await this.run('FirewallsClient', (c) => c.insert({ project: this.project, firewallResource }));
    return operation(lro.latestResponse as IOperation, { global: true });
  }

  async deleteFirewall(name: string) {
    const r = await orUndefined(this.run('FirewallsClient', (c) => c.delete({ project: this.project, firewall: name })));
    return r && operation(r[0].latestResponse as IOperation, { global: true });
  }

  async getAddress(region: string, name: string) {
    const r = await orUndefined(this.run('AddressesClient', (c) => c.get({ project: this.project, region, address: name })));
    return r && { name: String(r[0].name), address: String(r[0].address ?? ''), status: String(r[0].status ?? '') };
  }

  async insertAddress(region: string, name: string, description: string) {
    const addressResource = { name, description, addressType: 'EXTERNAL' };
    const [lro] = await this.run('AddressesClient', (c) => c.insert({ project: this.project, region, addressResource }));
    return operation(lro.latestResponse as IOperation, { region });
  }

  async deleteAddress(region: string, name: string) {
    const r = await orUndefined(this.run('AddressesClient', (c) => c.delete({ project: this.project, region, address: name })));
    return r && operation(r[0].latestResponse as IOperation, { region });
  }

  async getOperation(op: GceOperation): Promise<GceOperation> {
    const s = op.scope;
    const project = this.project;
    const [o] =
      'zone' in s
        ? await this.run('ZoneOperationsClient', (c) => c.get({ project, zone: s.zone, operation: op.name }))
        : 'region' in s
          ? await this.run('RegionOperationsClient', (c) => c.get({ project, region: s.region, operation: op.name }))
          : await this.run('GlobalOperationsClient', (c) => c.get({ project, operation: op.name }));
    return operation(o, s);
  }
}
