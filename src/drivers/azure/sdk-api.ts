import type { TokenCredential } from '@azure/core-auth';
import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AzNic, AzPublicIp, AzResource, AzSubnet, AzureApi, LroOptions, NsgRule, VmSpec } from './api';
import { azureCloud, AZURE_CLOUDS } from './clouds';
import type { AzureConfig } from './config';
import { azureCredential } from './credentials';

export interface AzureSdkOptions {
  /** Instead of the configured credential (tests pass a stub). */
  credential?: TokenCredential;
  /** Interval between polls of a long-running operation when Azure sends no Retry-After. */
  pollIntervalMs?: number;
  /** SDK retries of throttled/failed requests (default: the SDK's). */
  maxRetries?: number;
}

interface Poller<T> {
  pollUntilDone(o?: { abortSignal?: AbortSignal }): Promise<T>;
}

/** Builds the real adapter: three SDK clients, made once per driver instance. No I/O until a call. */
export function createAzureSdkApi(c: AzureConfig, o: AzureSdkOptions = {}): AzureApi {
  const cloud = azureCloud(c.environment) ?? AZURE_CLOUDS.AzurePublicCloud;
  const endpoint = c.endpoint ?? cloud.resourceManager;
  const credential = o.credential ?? azureCredential(c);
  const common = { userAgentOptions: { userAgentPrefix: 'tsmachine' }, ...(o.maxRetries === undefined ? {} : { retryOptions: { maxRetries: o.maxRetries } }) };
  const legacy = { ...common, $host: endpoint, endpoint, credentialScopes: [cloud.scope] };
  const compute = new ComputeManagementClient(credential, c.subscriptionId, { ...common, endpoint, credentials: { scopes: [cloud.scope] } });
  const network = new NetworkManagementClient(credential, c.subscriptionId, legacy);
  const resources = new ResourceManagementClient(credential, c.subscriptionId, legacy);
  return new AzureSdkApi(compute, network, resources, o.pollIntervalMs ?? 5000);
}

async function collect<T, R>(it: AsyncIterable<T>, f: (x: T) => R): Promise<R[]> {
  const out: R[] = [];
  for await (const x of it) out.push(f(x));
  return out;
}

const res = (r: { id?: string; name?: string; provisioningState?: string }): AzResource => ({ id: r.id ?? '', name: r.name ?? '', provisioningState: r.provisioningState });

function securityRule(r: NsgRule) {
  return {
    name: r.name,
    protocol: r.protocol,
    sourcePortRange: '*',
    destinationPortRange: r.port,
    sourceAddressPrefix: '*',
    destinationAddressPrefix: '*',
    access: 'Allow',
    priority: r.priority,
    direction: 'Inbound',
  };
}

function vmModel(s: VmSpec): VirtualMachine {
  return {
    location: s.location,
    tags: s.tags,
    hardwareProfile: { vmSize: s.size },
    storageProfile: {
      imageReference: { publisher: s.image.publisher, offer: s.image.offer, sku: s.image.sku, version: s.image.version },
      osDisk: {
        name: s.osDiskName,
        createOption: 'FromImage',
        caching: 'ReadWrite',
        managedDisk: { storageAccountType: s.storageType },
        diskSizeGB: s.diskSizeGb,
        deleteOption: 'Delete',
      },
    },
    osProfile: {
      computerName: s.computerName,
      adminUsername: s.adminUser,
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        provisionVMAgent: true,
        ssh: { publicKeys: [{ path: `/home/${s.adminUser}/.ssh/authorized_keys`, keyData: s.sshPublicKey }] },
      },
    },
    networkProfile: { networkInterfaces: [{ id: s.nicId, primary: true }] },
    ...(s.availabilitySetId ? { availabilitySet: { id: s.availabilitySetId } } : {}),
  };
}

class AzureSdkApi implements AzureApi {
  constructor(
    private readonly compute: ComputeManagementClient,
    private readonly network: NetworkManagementClient,
    private readonly resources: ResourceManagementClient,
    private readonly pollMs: number,
  ) {}

  private lro(o: LroOptions) {
    return { abortSignal: o.signal, updateIntervalInMs: this.pollMs };
  }

  /**
   * Waits for a long-running operation with the abort signal. arm-compute returns a PollerLike
   * (thenable: awaiting it would run it without the signal), the older SDKs a Promise of one.
   */
  private async wait<T>(p: Poller<T> | Promise<Poller<T>>, o: LroOptions): Promise<T> {
    const poller = typeof (p as Poller<T>).pollUntilDone === 'function' ? (p as Poller<T>) : await (p as Promise<Poller<T>>);
    return poller.pollUntilDone({ abortSignal: o.signal });
  }

  async vmLocations(): Promise<string[]> {
    const p = await this.resources.providers.get('Microsoft.Compute');
    return p.resourceTypes?.find((t) => t.resourceType?.toLowerCase() === 'virtualmachines')?.locations ?? [];
  }

  vmSizes(location: string): Promise<string[]> {
    return collect(this.compute.virtualMachineSizes.list(location), (s) => s.name ?? '');
  }

  async imageVersions(location: string, i: { publisher: string; offer: string; sku: string }): Promise<string[]> {
    const list = await this.compute.virtualMachineImages.list(location, i.publisher, i.offer, i.sku);
    return list.map((v) => v.name);
  }

  async getResourceGroup(name: string): Promise<AzResource> {
    const g = await this.resources.resourceGroups.get(name);
    return res({ ...g, provisioningState: g.properties?.provisioningState });
  }

  async createResourceGroup(name: string, location: string, tags: Record<string, string>): Promise<AzResource> {
    return res(await this.resources.resourceGroups.createOrUpdate(name, { location, tags }));
  }

  async deleteResourceGroup(name: string, o: LroOptions): Promise<void> {
    await this.wait(this.resources.resourceGroups.beginDelete(name, this.lro(o)), o);
  }

  listGroupResources(group: string) {
    return collect(this.resources.resources.listByResourceGroup(group), (r) => ({ id: r.id ?? '', name: r.name ?? '', type: r.type ?? '' }));
  }

  async getVnet(group: string, name: string): Promise<AzResource> {
    return res(await this.network.virtualNetworks.get(group, name));
  }

  async createVnet(group: string, name: string, p: { location: string; addressPrefix: string; tags: Record<string, string> }, o: LroOptions) {
    const params = { location: p.location, tags: p.tags, addressSpace: { addressPrefixes: [p.addressPrefix] } };
    return res(await this.wait(this.network.virtualNetworks.beginCreateOrUpdate(group, name, params, this.lro(o)), o));
  }

  async deleteVnet(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.network.virtualNetworks.beginDelete(group, name, this.lro(o)), o);
  }

  async getSubnet(group: string, vnet: string, name: string): Promise<AzSubnet> {
    const s = await this.network.subnets.get(group, vnet, name);
    return { ...res(s), addressPrefix: s.addressPrefix, ipConfigurationCount: s.ipConfigurations?.length ?? 0 };
  }

  async createSubnet(group: string, vnet: string, name: string, addressPrefix: string, o: LroOptions): Promise<AzSubnet> {
    const s = await this.wait(this.network.subnets.beginCreateOrUpdate(group, vnet, name, { addressPrefix }, this.lro(o)), o);
    return { ...res(s), addressPrefix: s.addressPrefix, ipConfigurationCount: s.ipConfigurations?.length ?? 0 };
  }

  async deleteSubnet(group: string, vnet: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.network.subnets.beginDelete(group, vnet, name, this.lro(o)), o);
  }

  async getNsg(group: string, name: string): Promise<AzResource> {
    return res(await this.network.networkSecurityGroups.get(group, name));
  }

  async createNsg(group: string, name: string, p: { location: string; rules: NsgRule[]; tags: Record<string, string> }, o: LroOptions) {
    const params = { location: p.location, tags: p.tags, securityRules: p.rules.map(securityRule) };
    return res(await this.wait(this.network.networkSecurityGroups.beginCreateOrUpdate(group, name, params, this.lro(o)), o));
  }

  async deleteNsg(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.network.networkSecurityGroups.beginDelete(group, name, this.lro(o)), o);
  }

  async getPublicIp(group: string, name: string): Promise<AzPublicIp> {
    const p = await this.network.publicIPAddresses.get(group, name);
    return { ...res(p), ipAddress: p.ipAddress, fqdn: p.dnsSettings?.fqdn };
  }

  async createPublicIp(group: string, name: string, p: { location: string; dnsLabel?: string; tags: Record<string, string> }, o: LroOptions): Promise<AzPublicIp> {
    const params = {
      location: p.location,
      tags: p.tags,
      sku: { name: 'Standard', tier: 'Regional' },
      publicIPAllocationMethod: 'Static',
      publicIPAddressVersion: 'IPv4',
      ...(p.dnsLabel ? { dnsSettings: { domainNameLabel: p.dnsLabel } } : {}),
    };
    const r = await this.wait(this.network.publicIPAddresses.beginCreateOrUpdate(group, name, params, this.lro(o)), o);
    return { ...res(r), ipAddress: r.ipAddress, fqdn: r.dnsSettings?.fqdn };
  }

  async deletePublicIp(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.network.publicIPAddresses.beginDelete(group, name, this.lro(o)), o);
  }

  async getNic(group: string, name: string): Promise<AzNic> {
    const n = await this.network.networkInterfaces.get(group, name);
    return { ...res(n), privateIp: n.ipConfigurations?.[0]?.privateIPAddress };
  }

  async createNic(group: string, name: string, p: Parameters<AzureApi['createNic']>[2], o: LroOptions): Promise<AzNic> {
    const ipConfiguration = {
      name: 'ipconfig1',
      primary: true,
      subnet: { id: p.subnetId },
      privateIPAllocationMethod: p.privateIp ? 'Static' : 'Dynamic',
      ...(p.privateIp ? { privateIPAddress: p.privateIp } : {}),
      ...(p.publicIpId ? { publicIPAddress: { id: p.publicIpId } } : {}),
    };
    const params = { location: p.location, tags: p.tags, networkSecurityGroup: { id: p.nsgId }, ipConfigurations: [ipConfiguration] };
    const n = await this.wait(this.network.networkInterfaces.beginCreateOrUpdate(group, name, params, this.lro(o)), o);
    return { ...res(n), privateIp: n.ipConfigurations?.[0]?.privateIPAddress };
  }

  async deleteNic(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.network.networkInterfaces.beginDelete(group, name, this.lro(o)), o);
  }

  async getAvailabilitySet(group: string, name: string) {
    const a = await this.compute.availabilitySets.get(group, name);
    return { ...res(a), vmCount: a.virtualMachines?.length ?? 0 };
  }

  async createAvailabilitySet(group: string, name: string, p: { location: string; tags: Record<string, string> }) {
    const params = { location: p.location, tags: p.tags, sku: { name: 'Aligned' }, platformFaultDomainCount: 2, platformUpdateDomainCount: 5 };
    const a = await this.compute.availabilitySets.createOrUpdate(group, name, params);
    return { ...res(a), vmCount: a.virtualMachines?.length ?? 0 };
  }

  async deleteAvailabilitySet(group: string, name: string): Promise<void> {
    await this.compute.availabilitySets.delete(group, name);
  }

  async getVm(group: string, name: string): Promise<AzResource> {
    return res(await this.compute.virtualMachines.get(group, name));
  }

  async createVm(group: string, name: string, spec: VmSpec, o: LroOptions): Promise<AzResource> {
    return res(await this.wait(this.compute.virtualMachines.createOrUpdate(group, name, vmModel(spec), this.lro(o)), o));
  }

  async vmStatus(group: string, name: string) {
    const view = await this.compute.virtualMachines.instanceView(group, name);
    const codes = (view.statuses ?? []).map((s) => (s.code ?? '').toLowerCase());
    const pick = (prefix: string) => codes.find((c) => c.startsWith(`${prefix}/`))?.slice(prefix.length + 1);
    return { provisioning: pick('provisioningstate'), power: pick('powerstate') };
  }

  async startVm(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.compute.virtualMachines.start(group, name, this.lro(o)), o);
  }

  async deallocateVm(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.compute.virtualMachines.deallocate(group, name, this.lro(o)), o);
  }

  async powerOffVm(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.compute.virtualMachines.powerOff(group, name, { ...this.lro(o), skipShutdown: true }), o);
  }

  async restartVm(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.compute.virtualMachines.restart(group, name, this.lro(o)), o);
  }

  async deleteVm(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.compute.virtualMachines.delete(group, name, this.lro(o)), o);
  }

  async deleteDisk(group: string, name: string, o: LroOptions): Promise<void> {
    await this.wait(this.compute.disks.delete(group, name, this.lro(o)), o);
  }
}
