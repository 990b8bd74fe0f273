import type { ImageRef } from './config-parse';

/**
 * The Azure calls the azure driver makes, and nothing more. The real adapter (sdk-api.ts) maps
 * them onto @azure/arm-resources, @azure/arm-network and @azure/arm-compute; tests put a
 * stateful fake behind the same interface.
 *
 * Contracts:
 * - `get*` reject with the SDK's not-found error (statusCode 404) when the resource is missing.
 * - `delete*` resolve when the resource is gone, and may reject with a 404 when it (or its
 *   group) was already gone: the driver treats that as deleted.
 * - Methods taking `LroOptions` are long-running: they resolve once Azure reports the
 *   operation finished, and reject as soon as `signal` fires (the operation may still go on in
 *   Azure, which is why the driver records a resource before asking for it).
 * - Errors are the SDK's own (RestError with statusCode and code, or @azure/identity's
 *   credential errors); the driver classifies them.
 */
export interface AzureApi {
  /** Regions (display names, "West US 2") where VMs can be created; one cheap call that proves the credentials and the subscription. */
  vmLocations(): Promise<string[]>;
  /** VM size names offered in a region. */
  vmSizes(location: string): Promise<string[]>;
  /** Versions of a marketplace image in a region, in any order. */
  imageVersions(location: string, image: Omit<ImageRef, 'version'>): Promise<string[]>;

  getResourceGroup(name: string): Promise<AzResource>;
  createResourceGroup(name: string, location: string, tags: Tags): Promise<AzResource>;
  deleteResourceGroup(name: string, o: LroOptions): Promise<void>;
  /** Every resource in a group (the group-level delete removes all of them). */
  listGroupResources(group: string): Promise<AzGroupMember[]>;

  getVnet(group: string, name: string): Promise<AzResource>;
  createVnet(group: string, name: string, p: { location: string; addressPrefix: string; tags: Tags }, o: LroOptions): Promise<AzResource>;
  deleteVnet(group: string, name: string, o: LroOptions): Promise<void>;

  getSubnet(group: string, vnet: string, name: string): Promise<AzSubnet>;
  createSubnet(group: string, vnet: string, name: string, addressPrefix: string, o: LroOptions): Promise<AzSubnet>;
  deleteSubnet(group: string, vnet: string, name: string, o: LroOptions): Promise<void>;

  getNsg(group: string, name: string): Promise<AzResource>;
  createNsg(group: string, name: string, p: { location: string; rules: NsgRule[]; tags: Tags }, o: LroOptions): Promise<AzResource>;
  deleteNsg(group: string, name: string, o: LroOptions): Promise<void>;

  getPublicIp(group: string, name: string): Promise<AzPublicIp>;
  /** A Standard SKU, static, IPv4 public IP (Basic SKU is retired). */
  createPublicIp(group: string, name: string, p: { location: string; dnsLabel?: string; tags: Tags }, o: LroOptions): Promise<AzPublicIp>;
  deletePublicIp(group: string, name: string, o: LroOptions): Promise<void>;

  getNic(group: string, name: string): Promise<AzNic>;
  createNic(group: string, name: string, p: NicSpec, o: LroOptions): Promise<AzNic>;
  deleteNic(group: string, name: string, o: LroOptions): Promise<void>;

  getAvailabilitySet(group: string, name: string): Promise<AzAvailabilitySet>;
  createAvailabilitySet(group: string, name: string, p: { location: string; tags: Tags }): Promise<AzAvailabilitySet>;
  deleteAvailabilitySet(group: string, name: string): Promise<void>;

  getVm(group: string, name: string): Promise<AzResource>;
  createVm(group: string, name: string, spec: VmSpec, o: LroOptions): Promise<AzResource>;
  /** Provisioning and power state from the instance view ("running", "deallocated"...). */
  vmStatus(group: string, name: string): Promise<VmStatus>;
  startVm(group: string, name: string, o: LroOptions): Promise<void>;
  /** Stops and releases the hardware (no compute billing). */
  deallocateVm(group: string, name: string, o: LroOptions): Promise<void>;
  /** Hard power-off (skipShutdown): the VM stays allocated. */
  powerOffVm(group: string, name: string, o: LroOptions): Promise<void>;
  restartVm(group: string, name: string, o: LroOptions): Promise<void>;
  deleteVm(group: string, name: string, o: LroOptions): Promise<void>;

  deleteDisk(group: string, name: string, o: LroOptions): Promise<void>;
}

export type Tags = Record<string, string>;

export interface LroOptions {
  /** Fires on interrupt (Ctrl-C) or when the driver's time bound for the operation is up. */
  signal: AbortSignal;
}

export interface AzResource {
  id: string;
  name: string;
  provisioningState?: string;
}

export interface AzGroupMember {
  id: string;
  name: string;
  /** e.g. Microsoft.Network/networkInterfaces */
  type: string;
}

export interface AzSubnet extends AzResource {
  addressPrefix?: string;
  /** How many NIC IP configurations use the subnet (0: nothing else is in it). */
  ipConfigurationCount: number;
}

export interface AzPublicIp extends AzResource {
  ipAddress?: string;
  fqdn?: string;
}

export interface AzNic extends AzResource {
  privateIp?: string;
}

export interface AzAvailabilitySet extends AzResource {
  vmCount: number;
}

export interface VmStatus {
  /** ProvisioningState/<x>: creating, succeeded, failed, deleting... */
  provisioning?: string;
  /** PowerState/<x>: starting, running, stopping, stopped, deallocating, deallocated. */
  power?: string;
}

export interface NsgRule {
  name: string;
  priority: number;
  protocol: 'Tcp' | 'Udp';
  /** "22" or "8000-8100". */
  port: string;
}

export interface NicSpec {
  location: string;
  subnetId: string;
  nsgId: string;
  publicIpId?: string;
  /** Static private address; dynamic when absent. */
  privateIp?: string;
  tags: Tags;
}

export interface VmSpec {
  location: string;
  size: string;
  /** With a concrete version. */
  image: ImageRef;
  computerName: string;
  adminUser: string;
  /** OpenSSH public key line installed for adminUser; password login stays disabled. */
  sshPublicKey: string;
  nicId: string;
  osDiskName: string;
  storageType: string;
  diskSizeGb: number;
  availabilitySetId?: string;
  tags: Tags;
}
