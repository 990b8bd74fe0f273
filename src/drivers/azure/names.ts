import type { NsgRule, Tags } from './api';
import type { AzureConfig, AzureResources } from './config';
import { portText, type PortRange } from './config-parse';

/** Where a machine's resources live and what they are called. */
export interface AzureNames {
  group: string;
  vnetGroup: string;
  vnet: string;
  subnet: string;
  nsg: string;
  publicIp: string;
  nic: string;
  availabilitySet?: string;
  vm: string;
  osDisk: string;
}

export function azureNames(c: AzureConfig, machine: string): AzureNames {
  const group = c.resourceGroup ?? `tsmachine-${machine}`;
  return {
    group,
    vnetGroup: c.vnetGroup ?? group,
    vnet: c.vnet,
    subnet: c.subnet,
    nsg: `${machine}-nsg`,
    publicIp: `${machine}-ip`,
    nic: `${machine}-nic`,
    availabilitySet: c.availabilitySet,
    vm: machine,
    osDisk: `${machine}-osdisk`,
  };
}

/** ARM type of each kind of resource the driver records. */
export const RESOURCE_TYPES: Record<Exclude<keyof AzureResources, 'resourceGroup' | 'subnet'>, string> = {
  vnet: 'Microsoft.Network/virtualNetworks',
  nsg: 'Microsoft.Network/networkSecurityGroups',
  publicIp: 'Microsoft.Network/publicIPAddresses',
  nic: 'Microsoft.Network/networkInterfaces',
  availabilitySet: 'Microsoft.Compute/availabilitySets',
  vm: 'Microsoft.Compute/virtualMachines',
  osDisk: 'Microsoft.Compute/disks',
};

/** The ARM id of a recorded resource, as errors report it. */
export function resourceId(sub: string, n: AzureNames, kind: keyof AzureResources, name: string): string {
  if (kind === 'resourceGroup') return `/subscriptions/${sub}/resourceGroups/${name}`;
  if (kind === 'subnet') return `/subscriptions/${sub}/resourceGroups/${n.vnetGroup}/providers/${RESOURCE_TYPES.vnet}/${n.vnet}/subnets/${name}`;
  const group = kind === 'vnet' ? n.vnetGroup : n.group;
  return `/subscriptions/${sub}/resourceGroups/${group}/providers/${RESOURCE_TYPES[kind]}/${name}`;
}

/** Tags on everything the driver creates, so a person can tell what a resource belongs to. */
export function machineTags(machine: string): Tags {
  return { 'tsmachine-machine': machine, 'created-by': 'tsmachine' };
}

const SWARM_PORTS: PortRange[] = [
  { from: 2377, to: 2377, protocol: 'Tcp' },
  { from: 7946, to: 7946, protocol: 'Tcp' },
  { from: 7946, to: 7946, protocol: 'Udp' },
  { from: 4789, to: 4789, protocol: 'Udp' },
];

/** Inbound rules: SSH, the engine (2376 unless --engine-port), the swarm ports when asked, then --azure-open-port. */
export function nsgRules(c: AzureConfig): NsgRule[] {
  const ports: PortRange[] = [
    { from: 22, to: 22, protocol: 'Tcp' },
    { from: c.enginePort ?? 2376, to: c.enginePort ?? 2376, protocol: 'Tcp' },
    ...(c.swarm ? SWARM_PORTS : []),
    ...c.openPorts,
  ];
  const seen = new Set<string>();
  const rules: NsgRule[] = [];
  for (const p of ports) {
    const key = `${p.protocol}-${portText(p)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push({ name: `tsmachine-${key.toLowerCase()}`, priority: 300 + rules.length * 10, protocol: p.protocol, port: portText(p) });
  }
  return rules;
}
