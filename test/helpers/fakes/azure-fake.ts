/**
 * A stateful fake of the Azure calls behind src/drivers/azure/api.ts. It keeps state like Azure:
 * resource groups holding resources by ARM id (names case-insensitive), references between them
 * (a NIC in use by a VM cannot be deleted, nor a subnet, NSG or public IP a NIC uses), VM power
 * states that settle after a few polls, a group delete that takes everything in it, and errors
 * shaped like the SDK's (RestError with statusCode and ARM code; identity's AuthenticationError).
 */
import { RestError } from '@azure/core-rest-pipeline';
import type { AzGroupMember, AzNic, AzPublicIp, AzResource, AzSubnet, AzureApi, LroOptions, NicSpec, NsgRule, Tags, VmSpec, VmStatus } from '../../../src/drivers/azure/api';
import { sleep } from '../../../src/core/wait';
import type { ConformanceFake } from '../conformance/driver-conformance';

const T = {
  vnet: 'Microsoft.Network/virtualNetworks',
  subnet: 'Microsoft.Network/virtualNetworks/subnets',
  nsg: 'Microsoft.Network/networkSecurityGroups',
  publicIp: 'Microsoft.Network/publicIPAddresses',
  nic: 'Microsoft.Network/networkInterfaces',
  availabilitySet: 'Microsoft.Compute/availabilitySets',
  vm: 'Microsoft.Compute/virtualMachines',
  disk: 'Microsoft.Compute/disks',
} as const;
type Kind = keyof typeof T;

export interface FakeResource {
  kind: Kind;
  id: string;
  group: string;
  name: string;
  provisioningState: string;
  tags?: Tags;
  /** Ids this resource uses (a NIC: subnet, NSG, public IP; a VM: NIC, availability set, disk). */
  uses: string[];
  data: Record<string, unknown>;
}

export const FAKE_SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
const LOCATIONS = ['East US', 'West US 2', 'West Europe'];
const SIZES = ['Standard_B1s', 'Standard_B2s', 'Standard_D2s_v5'];
export const UBUNTU_VERSIONS = ['24.04.202409120', '24.04.202501140', '24.04.202412090'];

const notFound = (what: string, code = 'ResourceNotFound') => new RestError(`${what} was not found.`, { code, statusCode: 404 });
const conflict = (code: string, msg: string) => new RestError(msg, { code, statusCode: 400 });
const abortError = () => Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

export class AzureFake implements AzureApi, ConformanceFake {
  readonly creationCalls = ['createResourceGroup', 'createVnet', 'createSubnet', 'createNsg', 'createPublicIp', 'createNic', 'createVm'] as const;
  readonly calls: string[] = [];
  readonly groups = new Map<string, { name: string; location: string; tags?: Tags }>();
  readonly resources = new Map<string, FakeResource>();
  /** Polls a VM status takes to settle after a power operation. */
  settlePolls = 2;
  private failing = new Set<string>();
  private hanging = new Set<string>();
  private hooks = new Map<string, () => void>();
  private badCredentials = false;
  private nextIp = 4;

  constructor(readonly sub = FAKE_SUBSCRIPTION) {}

  // ---- ConformanceFake ----
  liveResources(): string[] {
    const groups = [...this.groups.values()].map((g) => `resourceGroup:${this.groupId(g.name)}`);
    return [...groups, ...[...this.resources.values()].map((r) => `${r.kind}:${r.id}`)].sort();
  }
  failOn(call: string): void {
    this.failing.add(call);
  }
  /** The next `call` never finishes by itself: it ends only when its signal fires. */
  hangOn(call: string): void {
    this.hanging.add(call);
  }
  onCall(call: string, hook: () => void): void {
    this.hooks.set(call, hook);
  }
  rejectCredentials(): void {
    this.badCredentials = true;
  }
  createForeignResource(): string {
    this.groups.set('someone-elses-rg', { name: 'someone-elses-rg', location: 'westus2' });
    return `resourceGroup:${this.groupId('someone-elses-rg')}`;
  }

  // ---- bookkeeping ----
  groupId(g: string): string {
    return `/subscriptions/${this.sub}/resourceGroups/${g}`;
  }
  idOf(kind: Kind, group: string, name: string, vnet?: string): string {
    if (kind === 'subnet') return `${this.idOf('vnet', group, vnet!)}/subnets/${name}`;
    return `${this.groupId(group)}/providers/${T[kind]}/${name}`;
  }
  get(kind: Kind, group: string, name: string, vnet?: string): FakeResource | undefined {
    return this.resources.get(this.idOf(kind, group, name, vnet).toLowerCase());
  }
  /** Adds a resource as if made outside tsmachine (tests: existing plumbing, foreign resources). */
  put(kind: Kind, group: string, name: string, data: Record<string, unknown> = {}, uses: string[] = [], vnet?: string): FakeResource {
    const g = this.groups.get(group.toLowerCase());
    if (!g) throw notFound(`Resource group '${group}'`, 'ResourceGroupNotFound');
    const r: FakeResource = { kind, id: this.idOf(kind, g.name, name, vnet), group: g.name, name, provisioningState: 'Succeeded', uses, data };
    this.resources.set(r.id.toLowerCase(), r);
    return r;
  }
  putGroup(name: string, location = 'westus2'): void {
    this.groups.set(name.toLowerCase(), { name, location });
  }
  private users(id: string): FakeResource[] {
    return [...this.resources.values()].filter((r) => r.uses.some((u) => u.toLowerCase() === id.toLowerCase()));
  }
  private need(kind: Kind, group: string, name: string, vnet?: string): FakeResource {
    if (!this.groups.has(group.toLowerCase())) throw notFound(`Resource group '${group}'`, 'ResourceGroupNotFound');
    const r = this.get(kind, group, name, vnet);
    if (!r) throw notFound(`The Resource '${T[kind]}/${name}' under resource group '${group}'`);
    return r;
  }
  private byId(id: string): FakeResource {
    const r = this.resources.get(id.toLowerCase());
    if (!r) throw new RestError(`Resource ${id} referenced by the request was not found.`, { code: 'InvalidResourceReference', statusCode: 400 });
    return r;
  }

  /** Every call passes here: credentials, injected failures, hooks. `half` runs before an injected failure (Azure accepted, then failed). */
  private async call<T>(name: string, o: LroOptions | undefined, fn: () => T, half?: () => void): Promise<T> {
    this.calls.push(name);
    await Promise.resolve();
    if (o?.signal.aborted) throw abortError();
    if (this.badCredentials) {
      throw Object.assign(new Error('ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationError', statusCode: 401 });
    }
    if (this.failing.delete(name)) {
      half?.();
      throw new RestError(`Fake Azure failure injected at ${name}.`, { code: 'InternalOperationError', statusCode: 500 });
    }
    if (this.hanging.delete(name)) {
      await new Promise((_, reject) => o?.signal.addEventListener('abort', () => reject(abortError()), { once: true }));
    }
    const v = fn();
    const hook = this.hooks.get(name);
    if (hook) {
      this.hooks.delete(name);
      hook();
    }
    return v;
  }

  private del(name: string, o: LroOptions | undefined, kind: Kind, group: string, rname: string, vnet?: string): Promise<void> {
    return this.call(name, o, () => {
      if (!this.groups.has(group.toLowerCase())) throw notFound(`Resource group '${group}'`, 'ResourceGroupNotFound');
      const r = this.get(kind, group, rname, vnet);
      if (!r) return; // ARM answers 204 for a resource that is not there
      const users = this.users(r.id);
      if (kind === 'vnet') users.push(...[...this.resources.values()].filter((s) => s.kind === 'subnet' && s.id.toLowerCase().startsWith(`${r.id.toLowerCase()}/`)).flatMap((s) => this.users(s.id)));
      if (users.length > 0) throw conflict(kind === 'nic' ? 'NicInUse' : `InUse${T[kind].split('/')[1]}CannotBeDeleted`, `${r.id} is in use by ${users[0].id}.`);
      this.resources.delete(r.id.toLowerCase());
      if (kind === 'vnet') for (const k of [...this.resources.keys()]) if (k.startsWith(`${r.id.toLowerCase()}/`)) this.resources.delete(k);
      if (kind === 'vm') {
        const disk = r.data.osDisk as string;
        if (r.data.deleteDisk) this.resources.delete(this.idOf('disk', group, disk).toLowerCase());
      }
    });
  }

  private add(name: string, o: LroOptions | undefined, kind: Kind, group: string, rname: string, data: Record<string, unknown>, uses: string[], vnet?: string): Promise<FakeResource> {
    const make = (state: string) => {
      const r = this.put(kind, group, rname, data, uses, vnet);
      r.provisioningState = state;
      return r;
    };
    return this.call(name, o, () => make('Succeeded'), () => {
      if (this.groups.has(group.toLowerCase())) make('Failed');
    });
  }

  // ---- AzureApi: checks ----
  vmLocations(): Promise<string[]> {
    return this.call('vmLocations', undefined, () => [...LOCATIONS]);
  }
  vmSizes(location: string): Promise<string[]> {
    return this.call('vmSizes', undefined, () => {
      if (!LOCATIONS.some((l) => l.toLowerCase().replace(/ /g, '') === location)) throw notFound(`Location '${location}'`, 'NoRegisteredProviderFound');
      return [...SIZES];
    });
  }
  imageVersions(location: string, i: { publisher: string; offer: string; sku: string }): Promise<string[]> {
    return this.call('imageVersions', undefined, () => {
      if (`${i.publisher}:${i.offer}:${i.sku}`.toLowerCase() !== 'canonical:ubuntu-24_04-lts:server') throw notFound('Artifact: VMImage', 'NotFound');
      return [...UBUNTU_VERSIONS];
    });
  }

  // ---- groups ----
  getResourceGroup(name: string): Promise<AzResource> {
    return this.call('getResourceGroup', undefined, () => {
      const g = this.groups.get(name.toLowerCase());
      if (!g) throw notFound(`Resource group '${name}'`, 'ResourceGroupNotFound');
      return { id: this.groupId(g.name), name: g.name, provisioningState: 'Succeeded' };
    });
  }
  createResourceGroup(name: string, location: string, tags: Tags): Promise<AzResource> {
    return this.call('createResourceGroup', undefined, () => {
      this.groups.set(name.toLowerCase(), { name, location, tags });
      return { id: this.groupId(name), name, provisioningState: 'Succeeded' };
    });
  }
  deleteResourceGroup(name: string, o: LroOptions): Promise<void> {
    return this.call('deleteResourceGroup', o, () => {
      if (!this.groups.delete(name.toLowerCase())) throw notFound(`Resource group '${name}'`, 'ResourceGroupNotFound');
      for (const [k, r] of this.resources) if (r.group.toLowerCase() === name.toLowerCase()) this.resources.delete(k);
    });
  }
  listGroupResources(group: string): Promise<AzGroupMember[]> {
    return this.call('listGroupResources', undefined, () => {
      if (!this.groups.has(group.toLowerCase())) throw notFound(`Resource group '${group}'`, 'ResourceGroupNotFound');
      return [...this.resources.values()].filter((r) => r.group.toLowerCase() === group.toLowerCase() && r.kind !== 'subnet').map((r) => ({ id: r.id, name: r.name, type: T[r.kind] }));
    });
  }

  // ---- network ----
  getVnet(group: string, name: string): Promise<AzResource> {
    return this.call('getVnet', undefined, () => this.need('vnet', group, name));
  }
  createVnet(group: string, name: string, p: { location: string; addressPrefix: string; tags: Tags }, o: LroOptions): Promise<AzResource> {
    return this.add('createVnet', o, 'vnet', group, name, { ...p }, []);
  }
  deleteVnet(group: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deleteVnet', o, 'vnet', group, name);
  }
  private subnetView(r: FakeResource): AzSubnet {
    return { id: r.id, name: r.name, provisioningState: r.provisioningState, addressPrefix: r.data.addressPrefix as string, ipConfigurationCount: this.users(r.id).length };
  }
  getSubnet(group: string, vnet: string, name: string): Promise<AzSubnet> {
    return this.call('getSubnet', undefined, () => {
      this.need('vnet', group, vnet);
      return this.subnetView(this.need('subnet', group, name, vnet));
    });
  }
  async createSubnet(group: string, vnet: string, name: string, addressPrefix: string, o: LroOptions): Promise<AzSubnet> {
    if (!this.get('vnet', group, vnet)) throw notFound(`Virtual network '${vnet}'`);
    return this.subnetView(await this.add('createSubnet', o, 'subnet', group, name, { addressPrefix }, [], vnet));
  }
  deleteSubnet(group: string, vnet: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deleteSubnet', o, 'subnet', group, name, vnet);
  }
  getNsg(group: string, name: string): Promise<AzResource> {
    return this.call('getNsg', undefined, () => this.need('nsg', group, name));
  }
  createNsg(group: string, name: string, p: { location: string; rules: NsgRule[]; tags: Tags }, o: LroOptions): Promise<AzResource> {
    return this.add('createNsg', o, 'nsg', group, name, { ...p }, []);
  }
  deleteNsg(group: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deleteNsg', o, 'nsg', group, name);
  }
  private pipView(r: FakeResource): AzPublicIp {
    return { id: r.id, name: r.name, provisioningState: r.provisioningState, ipAddress: r.data.ipAddress as string, fqdn: r.data.fqdn as string | undefined };
  }
  getPublicIp(group: string, name: string): Promise<AzPublicIp> {
    return this.call('getPublicIp', undefined, () => this.pipView(this.need('publicIp', group, name)));
  }
  async createPublicIp(group: string, name: string, p: { location: string; dnsLabel?: string; tags: Tags }, o: LroOptions): Promise<AzPublicIp> {
    const fqdn = p.dnsLabel ? `${p.dnsLabel}.${p.location}.cloudapp.azure.com` : undefined;
    const data = { ...p, sku: 'Standard', allocation: 'Static', ipAddress: `20.1.2.${this.nextIp++}`, fqdn };
    return this.pipView(await this.add('createPublicIp', o, 'publicIp', group, name, data, []));
  }
  deletePublicIp(group: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deletePublicIp', o, 'publicIp', group, name);
  }
  getNic(group: string, name: string): Promise<AzNic> {
    return this.call('getNic', undefined, () => {
      const r = this.need('nic', group, name);
      return { id: r.id, name: r.name, provisioningState: r.provisioningState, privateIp: r.data.privateIp as string };
    });
  }
  async createNic(group: string, name: string, p: NicSpec, o: LroOptions): Promise<AzNic> {
    const uses = [p.subnetId, p.nsgId, ...(p.publicIpId ? [p.publicIpId] : [])];
    uses.forEach((id) => this.byId(id));
    const r = await this.add('createNic', o, 'nic', group, name, { ...p, privateIp: p.privateIp ?? `192.168.0.${this.nextIp++}` }, uses);
    return { id: r.id, name: r.name, provisioningState: r.provisioningState, privateIp: r.data.privateIp as string };
  }
  deleteNic(group: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deleteNic', o, 'nic', group, name);
  }
  getAvailabilitySet(group: string, name: string) {
    return this.call('getAvailabilitySet', undefined, () => {
      const r = this.need('availabilitySet', group, name);
      return { id: r.id, name: r.name, vmCount: this.users(r.id).length };
    });
  }
  async createAvailabilitySet(group: string, name: string, p: { location: string; tags: Tags }) {
    const r = await this.add('createAvailabilitySet', undefined, 'availabilitySet', group, name, { ...p }, []);
    return { id: r.id, name: r.name, vmCount: 0 };
  }
  deleteAvailabilitySet(group: string, name: string): Promise<void> {
    return this.del('deleteAvailabilitySet', undefined, 'availabilitySet', group, name);
  }

  // ---- compute ----
  getVm(group: string, name: string): Promise<AzResource> {
    return this.call('getVm', undefined, () => this.need('vm', group, name));
  }
  async createVm(group: string, name: string, spec: VmSpec, o: LroOptions): Promise<AzResource> {
    if (!LOCATIONS.some((l) => l.toLowerCase().replace(/ /g, '') === spec.location)) throw conflict('LocationNotAvailableForResourceType', `location ${spec.location}`);
    if (!SIZES.includes(spec.size)) throw conflict('InvalidParameter', `The value ${spec.size} provided for the VM size is not valid.`);
    const refs = [spec.nicId, ...(spec.availabilitySetId ? [spec.availabilitySetId] : [])];
    refs.forEach((id) => this.byId(id));
    const uses = [...refs, this.idOf('disk', group, spec.osDiskName)];
    if (this.users(spec.nicId).some((u) => u.kind === 'vm')) throw conflict('NicInUse', `${spec.nicId} is attached to another VM.`);
    const addDisk = () => this.put('disk', group, spec.osDiskName, { size: spec.diskSizeGb, type: spec.storageType });
    const vmData = { spec, osDisk: spec.osDiskName, deleteDisk: true, power: 'starting', next: 'running', polls: 0 };
    return this.call('createVm', o, () => {
      addDisk();
      return this.put('vm', group, name, vmData, uses);
    }, () => {
      if (!this.groups.has(group.toLowerCase())) return;
      addDisk();
      const vm = this.put('vm', group, name, { ...vmData, power: undefined }, uses);
      vm.provisioningState = 'Failed';
    });
  }
  vmStatus(group: string, name: string): Promise<VmStatus> {
    return this.call('vmStatus', undefined, () => {
      const vm = this.need('vm', group, name);
      const d = vm.data;
      if (typeof d.power === 'string' && d.next && ++(d.polls as number) >= this.settlePolls) {
        d.power = d.next;
        d.next = undefined;
      }
      return { provisioning: vm.provisioningState.toLowerCase(), power: d.power as string | undefined };
    });
  }
  /** Moves a VM to `now`, settling at `then` after `settlePolls` status polls. */
  private power(name: string, o: LroOptions, group: string, vmName: string, now: string, then: string, allowed?: (p: string) => boolean): Promise<void> {
    return this.call(name, o, () => {
      const d = this.need('vm', group, vmName).data;
      if (allowed && !allowed(String(d.power))) throw new RestError(`Operation '${name}' is not allowed on VM '${vmName}' since the VM is ${d.power}.`, { code: 'OperationNotAllowed', statusCode: 409 });
      Object.assign(d, { power: now, next: then, polls: 0 });
    });
  }
  startVm(group: string, name: string, o: LroOptions): Promise<void> {
    return this.power('startVm', o, group, name, 'starting', 'running');
  }
  deallocateVm(group: string, name: string, o: LroOptions): Promise<void> {
    return this.power('deallocateVm', o, group, name, 'deallocating', 'deallocated');
  }
  powerOffVm(group: string, name: string, o: LroOptions): Promise<void> {
    return this.power('powerOffVm', o, group, name, 'stopping', 'stopped', (p) => p !== 'deallocated');
  }
  restartVm(group: string, name: string, o: LroOptions): Promise<void> {
    return this.power('restartVm', o, group, name, 'starting', 'running', (p) => p === 'running');
  }
  deleteVm(group: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deleteVm', o, 'vm', group, name);
  }
  deleteDisk(group: string, name: string, o: LroOptions): Promise<void> {
    return this.del('deleteDisk', o, 'disk', group, name);
  }
}

/** The core's sleep without the wait: yields once, rejects with ABORTED on the signal. */
export const fastSleep = (_ms: number, signal?: AbortSignal): Promise<void> => sleep(0, signal);
