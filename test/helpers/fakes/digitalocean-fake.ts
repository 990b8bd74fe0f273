/**
 * A stateful fake DigitalOcean account behind the digitalocean driver's DigitalOceanApi:
 * droplets go new -> active (with IPs) over polls, actions finish after a poll and move the
 * droplet (shutdown/power_off -> off, power_on/reboot -> active), errors are DoApiError with
 * DigitalOcean's status and id (404 not_found, 401 unauthorized, 422 unprocessable_entity).
 */
import { createHash } from 'node:crypto';
import { DoApiError, type DigitalOceanApi, type DoAccount, type DoAction, type DoDroplet, type DoImage, type DoRegion, type DoSize, type DoSshKey, type DropletSpec, type FirewallSpec, type PowerAction } from '../../../src/drivers/digitalocean/api';
import type { ConformanceFake } from '../conformance/driver-conformance';

interface FakeDroplet extends DoDroplet {
  spec?: DropletSpec;
  /** Statuses still to pass through, one per getDroplet. */
  next: string[];
}

interface FakeAction extends DoAction {
  polls: number;
  endStatus: string;
}

export function fingerprintOf(publicLine: string): string {
  const blob = Buffer.from(publicLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

export interface DigitalOceanFakeOptions {
  creationCalls?: string[];
}

export class DigitalOceanFake implements DigitalOceanApi, ConformanceFake {
  account: DoAccount = { email: 'sammy@example.com', status: 'active', dropletLimit: 25 };
  readonly regions: DoRegion[] = [
    { slug: 'nyc3', name: 'New York 3', available: true, sizes: ['s-1vcpu-1gb', 's-2vcpu-2gb'] },
    { slug: 'fra1', name: 'Frankfurt 1', available: true, sizes: ['s-1vcpu-1gb', 'g-2vcpu-8gb'] },
    { slug: 'nyc2', name: 'New York 2', available: false, sizes: [] },
  ];
  readonly sizes: DoSize[] = [
    { slug: 's-1vcpu-1gb', available: true, regions: ['nyc3', 'fra1'] },
    { slug: 's-2vcpu-2gb', available: true, regions: ['nyc3'] },
    { slug: 'g-2vcpu-8gb', available: true, regions: ['fra1'] },
  ];
  readonly images: DoImage[] = [{ id: 160386112, slug: 'ubuntu-24-04-x64', name: '24.04 (LTS) x64', distribution: 'Ubuntu', regions: ['nyc3', 'fra1', 'nyc2'] }];
  readonly keys = new Map<number, DoSshKey & { publicKey: string }>();
  readonly droplets = new Map<number, FakeDroplet>();
  readonly firewalls = new Map<string, FirewallSpec>();
  private readonly actions = new Map<number, FakeAction>();
  readonly calls: string[] = [];
  readonly creationCalls: readonly string[];
  private readonly failures = new Map<string, Error>();
  private readonly hooks = new Map<string, () => void>();
  private readonly erroredActions = new Set<PowerAction>();
  private credentialsRejected = false;
  private seq = 1000;

  constructor(opts: DigitalOceanFakeOptions = {}) {
    this.creationCalls = opts.creationCalls ?? ['keys.create', 'droplets.create'];
  }

  // ---- ConformanceFake
  liveResources(): string[] {
    return [
      ...[...this.droplets.keys()].map((id) => `droplet:${id}`),
      ...[...this.keys.keys()].map((id) => `key:${id}`),
      ...[...this.firewalls.keys()].map((id) => `firewall:${id}`),
    ].sort();
  }
  failOn(call: string, error: Error = new DoApiError(`${call}: You have reached the droplet limit (injected) (HTTP 422, unprocessable_entity)`, 422, 'unprocessable_entity')): void {
    this.failures.set(call, error);
  }
  onCall(call: string, hook: () => void): void {
    this.hooks.set(call, hook);
  }
  rejectCredentials(): void {
    this.credentialsRejected = true;
  }
  createForeignResource(): string {
    const k = this.addKey('laptop', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake laptop');
    return `key:${k.id}`;
  }

  // ---- helpers for tests
  addKey(name: string, publicKey: string): DoSshKey & { publicKey: string } {
    const k = { id: ++this.seq, name, publicKey, fingerprint: fingerprintOf(publicKey) };
    this.keys.set(k.id, k);
    return k;
  }
  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
  /** The next action of `type` ends errored (e.g. a guest that ignores ACPI shutdown). */
  errorNextAction(type: PowerAction): void {
    this.erroredActions.add(type);
  }

  private async call<T>(name: string, fn: () => T): Promise<T> {
    this.calls.push(name);
    await Promise.resolve();
    if (this.credentialsRejected) throw new DoApiError(`${name}: Unable to authenticate you (HTTP 401, unauthorized)`, 401, 'unauthorized');
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

  private notFound(name: string): never {
    throw new DoApiError(`${name}: The resource you were accessing could not be found. (HTTP 404, not_found)`, 404, 'not_found');
  }

  // ---- DigitalOceanApi
  getAccount() {
    return this.call('account.get', () => ({ ...this.account }));
  }
  listRegions() {
    return this.call('regions.list', () => structuredClone(this.regions));
  }
  listSizes() {
    return this.call('sizes.list', () => structuredClone(this.sizes));
  }
  getImage(slugOrId: string) {
    return this.call('images.get', () => structuredClone(this.images.find((i) => i.slug === slugOrId || String(i.id) === slugOrId)));
  }
  getSshKey(idOrFingerprint: string | number) {
    return this.call('keys.get', () => {
      const k = [...this.keys.values()].find((x) => String(x.id) === String(idOrFingerprint) || x.fingerprint === idOrFingerprint);
      return k && { id: k.id, name: k.name, fingerprint: k.fingerprint };
    });
  }
  createSshKey(name: string, publicKey: string) {
    return this.call('keys.create', () => {
      if ([...this.keys.values()].some((k) => k.fingerprint === fingerprintOf(publicKey))) {
        throw new DoApiError('keys.create: SSH Key is already in use on your account (HTTP 422, unprocessable_entity)', 422, 'unprocessable_entity');
      }
      const k = this.addKey(name, publicKey);
      return { id: k.id, name: k.name, fingerprint: k.fingerprint };
    });
  }
  deleteSshKey(id: number) {
    return this.call('keys.delete', () => this.keys.delete(id));
  }
  createDroplet(spec: DropletSpec) {
    return this.call('droplets.create', () => {
      for (const k of spec.sshKeys) if (![...this.keys.values()].some((x) => x.id === k || x.fingerprint === k)) throw new DoApiError(`droplets.create: ssh_keys: invalid key ${k} (HTTP 422, unprocessable_entity)`, 422, 'unprocessable_entity');
      const id = ++this.seq;
      const d: FakeDroplet = { id, name: spec.name, status: 'new', spec, next: ['new', 'active'] };
      this.droplets.set(id, d);
      return { id, name: spec.name, status: 'new' };
    });
  }
  getDroplet(id: number) {
    return this.call('droplets.get', () => {
      const d = this.droplets.get(id);
      if (!d) return undefined;
      if (d.next.length > 0) d.status = d.next.shift()!;
      if (d.status === 'active' && !d.publicIpv4) {
        d.publicIpv4 = `203.0.113.${d.id % 250}`;
        d.privateIpv4 = `10.108.0.${d.id % 250}`;
        if (d.spec?.ipv6) d.publicIpv6 = `2604:a880:800:10::${d.id.toString(16)}`;
      }
      const { next: _n, spec: _s, ...view } = d;
      return view;
    });
  }
  deleteDroplet(id: number) {
    return this.call('droplets.delete', () => this.droplets.delete(id));
  }
  dropletAction(id: number, type: PowerAction) {
    return this.call('droplets.action', () => {
      const d = this.droplets.get(id) ?? this.notFound(`droplets/${id}`);
      const errored = this.erroredActions.delete(type);
      const to = type === 'shutdown' || type === 'power_off' ? 'off' : 'active';
      if (!errored) d.next = type === 'reboot' ? ['active'] : [d.status, to];
      const a: FakeAction = { id: ++this.seq, status: 'in-progress', type, polls: 1, endStatus: errored ? 'errored' : 'completed' };
      this.actions.set(a.id, a);
      return { id: a.id, status: a.status, type };
    });
  }
  getAction(id: number) {
    return this.call('actions.get', () => {
      const a = this.actions.get(id) ?? this.notFound(`actions/${id}`);
      if (a.polls > 0 && --a.polls === 0) a.status = a.endStatus;
      return { id: a.id, status: a.status, type: a.type };
    });
  }
  createFirewall(spec: FirewallSpec) {
    return this.call('firewalls.create', () => {
      const id = `fw-${++this.seq}`;
      this.firewalls.set(id, structuredClone(spec));
      return { id };
    });
  }
  deleteFirewall(id: string) {
    return this.call('firewalls.delete', () => this.firewalls.delete(id));
  }
}
