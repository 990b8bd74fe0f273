/**
 * A stateful fake Compute Engine project behind the google driver's GoogleApi: instances move
 * PROVISIONING -> STAGING -> RUNNING and STOPPING -> TERMINATED over polls, operations finish
 * after a poll, errors carry the gRPC codes the SDK maps REST errors to (5 not found,
 * 6 already exists, 16 unauthenticated).
 */
import type { GceAddress, GceFirewallRule, GceImage, GceInstance, GceOperation, GoogleApi, InstanceSpec, OperationScope } from '../../../src/drivers/google/api';
import type { ConformanceFake } from '../conformance/driver-conformance';

export function googleError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code, name: 'GoogleError' });
}

interface FakeInstance extends GceInstance {
  zone: string;
  spec?: InstanceSpec;
  /** Statuses still to pass through, one per getInstance. */
  next: string[];
}

interface FakeImage extends GceImage {
  project: string;
  deprecated?: boolean;
}

export interface GoogleFakeOptions {
  /** The creation calls create() makes for the flags the test uses. */
  creationCalls?: string[];
}

export class GoogleFake implements GoogleApi, ConformanceFake {
  readonly zones = new Set(['us-central1-a', 'europe-west1-b']);
  readonly machineTypes = new Set(['e2-micro', 'e2-small', 'e2-medium']);
  readonly images: FakeImage[] = [
    { project: 'ubuntu-os-cloud', name: 'ubuntu-2404-noble-amd64-v20250110', family: 'ubuntu-2404-lts-amd64', creationTimestamp: '2025-01-10T10:00:00.000-08:00', selfLink: '' },
    { project: 'ubuntu-os-cloud', name: 'ubuntu-2404-noble-amd64-v20250610', family: 'ubuntu-2404-lts-amd64', creationTimestamp: '2025-06-10T10:00:00.000-07:00', selfLink: '' },
    { project: 'ubuntu-os-cloud', name: 'ubuntu-2404-noble-amd64-v20250701', family: 'ubuntu-2404-lts-amd64', creationTimestamp: '2025-07-01T10:00:00.000-07:00', selfLink: '', deprecated: true },
    { project: 'ubuntu-os-cloud', name: 'ubuntu-2204-jammy-v20250601', family: 'ubuntu-2204-lts', creationTimestamp: '2025-06-01T10:00:00.000-07:00', selfLink: '' },
  ].map((i) => ({ ...i, selfLink: `https://www.googleapis.com/compute/v1/projects/${i.project}/global/images/${i.name}` }));
  readonly instances = new Map<string, FakeInstance>();
  readonly firewalls = new Map<string, GceFirewallRule>();
  readonly addresses = new Map<string, GceAddress>();
  private readonly ops = new Map<string, { polls: number; error?: string }>();
  /** Every call made, in order. */
  readonly calls: string[] = [];
  readonly creationCalls: readonly string[];
  private readonly failures = new Map<string, Error>();
  private readonly hooks = new Map<string, () => void>();
  private credentialsRejected = false;
  private seq = 0;

  constructor(opts: GoogleFakeOptions = {}) {
    this.creationCalls = opts.creationCalls ?? ['instances.insert', 'firewalls.insert'];
  }

  // ---- ConformanceFake
  liveResources(): string[] {
    return [
      ...[...this.instances.values()].map((i) => `instance:${i.zone}/${i.name}`),
      ...[...this.firewalls.keys()].map((n) => `firewall:${n}`),
      ...[...this.addresses.keys()].map((k) => `address:${k}`),
    ].sort();
  }
  failOn(call: string, error: Error = googleError(8, `Quota exceeded for ${call} (injected)`)): void {
    this.failures.set(call, error);
  }
  onCall(call: string, hook: () => void): void {
    this.hooks.set(call, hook);
  }
  rejectCredentials(): void {
    this.credentialsRejected = true;
  }
  createForeignResource(): string {
    this.addInstance('us-central1-a', 'someone-elses-vm', { tags: ['http-server'] });
    return 'instance:us-central1-a/someone-elses-vm';
  }

  // ---- helpers for tests
  addInstance(zone: string, name: string, o: Partial<FakeInstance> = {}): FakeInstance {
    const n = ++this.seq;
    const i: FakeInstance = { name, zone, status: 'RUNNING', internalIp: `10.128.0.${n + 1}`, externalIp: `34.70.0.${n}`, tags: [], metadata: [], metadataFingerprint: `m${n}`, tagsFingerprint: `t${n}`, next: [], ...o };
    this.instances.set(`${zone}/${name}`, i);
    return i;
  }
  instance(zone: string, name: string): FakeInstance | undefined {
    return this.instances.get(`${zone}/${name}`);
  }
  /** Count of calls named `call`. */
  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }

  private async call<T>(name: string, fn: () => T): Promise<T> {
    this.calls.push(name);
    await Promise.resolve();
    if (this.credentialsRejected) {
      throw googleError(16, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const f = this.failures.get(name);
    if (f) {
      this.failures.delete(name);
      throw f;
    }
    const v = fn();
    const hook = this.hooks.get(name);
    if (hook) {
      this.hooks.delete(name);
      hook();
    }
    return v;
  }

  private op(scope: OperationScope, error?: string): GceOperation {
    const name = `operation-${++this.seq}-fake`;
    this.ops.set(name, { polls: 1, error });
    return { name, scope, done: false };
  }

  private notFound(what: string): never {
    throw googleError(5, `The resource '${what}' was not found`);
  }

  // ---- GoogleApi
  getZone(zone: string) {
    return this.call('zones.get', () => (this.zones.has(zone) ? { name: zone, status: 'UP' } : undefined));
  }
  getMachineType(zone: string, name: string) {
    return this.call('machineTypes.get', () => (this.zones.has(zone) && this.machineTypes.has(name) ? { name } : undefined));
  }
  getImageFromFamily(project: string, family: string) {
    return this.call('images.getFromFamily', () => {
      const all = this.images.filter((i) => i.project === project && i.family === family && !i.deprecated);
      return all.sort((a, b) => Date.parse(b.creationTimestamp!) - Date.parse(a.creationTimestamp!))[0];
    });
  }
  getImage(project: string, name: string) {
    return this.call('images.get', () => this.images.find((i) => i.project === project && i.name === name));
  }

  getInstance(zone: string, name: string) {
    return this.call('instances.get', () => {
      const i = this.instance(zone, name);
      if (!i) return undefined;
      if (i.next.length > 0) i.status = i.next.shift()!;
      const { next: _n, spec: _s, zone: _z, ...view } = i;
      return structuredClone(view);
    });
  }
  insertInstance(spec: InstanceSpec) {
    return this.call('instances.insert', () => {
      if (this.instance(spec.zone, spec.name)) throw googleError(6, `The resource 'projects/p/zones/${spec.zone}/instances/${spec.name}' already exists`);
      const i = this.addInstance(spec.zone, spec.name, { status: 'PROVISIONING', tags: [...spec.tags], metadata: [...spec.metadata], spec });
      i.externalIp = spec.internalOnly ? undefined : (spec.natIp ?? i.externalIp);
      i.next = ['STAGING', 'RUNNING'];
      return this.op({ zone: spec.zone });
    });
  }
  deleteInstance(zone: string, name: string) {
    return this.call('instances.delete', () => (this.instances.delete(`${zone}/${name}`) ? this.op({ zone }) : undefined));
  }
  private power(call: string, zone: string, name: string, ok: string[], next: string[]) {
    return this.call(call, () => {
      const i = this.instance(zone, name) ?? this.notFound(`projects/p/zones/${zone}/instances/${name}`);
      if (!ok.includes(i.status)) throw googleError(9, `The instance '${name}' is ${i.status}: ${call} is not allowed`);
      i.status = next[0];
      i.next = next.slice(1);
      if (next.at(-1) === 'TERMINATED') i.externalIp = undefined;
      if (next.at(-1) === 'RUNNING' && !i.externalIp && !i.spec?.internalOnly) i.externalIp = i.spec?.natIp ?? `34.70.1.${++this.seq}`;
      return this.op({ zone });
    });
  }
  startInstance(zone: string, name: string) {
    return this.power('instances.start', zone, name, ['TERMINATED', 'RUNNING'], ['STAGING', 'RUNNING']);
  }
  stopInstance(zone: string, name: string) {
    return this.power('instances.stop', zone, name, ['RUNNING', 'STAGING', 'PROVISIONING', 'TERMINATED'], ['STOPPING', 'TERMINATED']);
  }
  resetInstance(zone: string, name: string) {
    return this.power('instances.reset', zone, name, ['RUNNING'], ['STAGING', 'RUNNING']);
  }
  setInstanceMetadata(zone: string, name: string, fingerprint: string | undefined, items: Array<{ key: string; value: string }>) {
    return this.call('instances.setMetadata', () => {
      const i = this.instance(zone, name) ?? this.notFound(`instances/${name}`);
      if (fingerprint !== i.metadataFingerprint) throw googleError(9, 'Supplied fingerprint does not match current metadata fingerprint.');
      i.metadata = structuredClone(items);
      i.metadataFingerprint = `m${++this.seq}`;
      return this.op({ zone });
    });
  }
  setInstanceTags(zone: string, name: string, fingerprint: string | undefined, tags: string[]) {
    return this.call('instances.setTags', () => {
      const i = this.instance(zone, name) ?? this.notFound(`instances/${name}`);
      if (fingerprint !== i.tagsFingerprint) throw googleError(9, 'Supplied fingerprint does not match current tags fingerprint.');
      i.tags = [...tags];
      i.tagsFingerprint = `t${++this.seq}`;
      return this.op({ zone });
    });
  }
  listInstancesWithTag(tag: string) {
    return this.call('instances.aggregatedList', () => [...this.instances.values()].filter((i) => i.tags.includes(tag)).map((i) => ({ zone: i.zone, name: i.name })));
  }

  getFirewall(name: string) {
    return this.call('firewalls.get', () => structuredClone(this.firewalls.get(name)));
  }
  insertFirewall(rule: GceFirewallRule) {
    return this.call('firewalls.insert', () => {
      if (this.firewalls.has(rule.name)) throw googleError(6, `The resource 'projects/p/global/firewalls/${rule.name}' already exists`);
      this.firewalls.set(rule.name, structuredClone(rule));
      return this.op({ global: true });
    });
  }
  deleteFirewall(name: string) {
    return this.call('firewalls.delete', () => (this.firewalls.delete(name) ? this.op({ global: true }) : undefined));
  }

  getAddress(region: string, name: string) {
    return this.call('addresses.get', () => structuredClone(this.addresses.get(`${region}/${name}`)));
  }
  insertAddress(region: string, name: string, _description: string) {
    return this.call('addresses.insert', () => {
      if (this.addresses.has(`${region}/${name}`)) throw googleError(6, `The resource 'projects/p/regions/${region}/addresses/${name}' already exists`);
      this.addresses.set(`${region}/${name}`, { name, address: `35.200.0.${++this.seq}`, status: 'RESERVED' });
      return this.op({ region });
    });
  }
  deleteAddress(region: string, name: string) {
    return this.call('addresses.delete', () => {
      const key = `${region}/${name}`;
      if (!this.addresses.has(key)) return undefined;
      if ([...this.instances.values()].some((i) => i.externalIp === this.addresses.get(key)!.address)) {
        throw googleError(9, `The address resource 'projects/p/regions/${region}/addresses/${name}' is already being used`);
      }
      this.addresses.delete(key);
      return this.op({ region });
    });
  }

  getOperation(op: GceOperation) {
    return this.call('operations.get', () => {
      const o = this.ops.get(op.name) ?? this.notFound(`operations/${op.name}`);
      if (o.polls > 0) o.polls -= 1;
      return { ...op, done: o.polls === 0, error: o.polls === 0 ? o.error : undefined };
    });
  }

  /** Makes the next operation started by `call` finish with `error` (an asynchronous failure). */
  failOperation(call: string, error: string): void {
    const orig = this.hooks.get(call);
    this.hooks.set(call, () => {
      const last = [...this.ops.keys()].at(-1)!;
      this.ops.get(last)!.error = error;
      orig?.();
    });
  }
}
