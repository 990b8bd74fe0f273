import { isIPv4 } from 'node:net';
import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';
import { azureCloud, AZURE_CLOUDS } from './clouds';
import { cidrContains, parseCidr, parseImageUrn, parsePortRange, type PortRange } from './config-parse';

/**
 * Names of what this machine created, recorded (and saved) right before each creation call, so
 * remove deletes exactly these. Anything absent here was found existing and is never deleted.
 */
export interface AzureResources {
  resourceGroup?: string;
  vnet?: string;
  subnet?: string;
  nsg?: string;
  publicIp?: string;
  nic?: string;
  availabilitySet?: string;
  vm?: string;
  osDisk?: string;
}

/** Persisted config of an azure machine. */
export interface AzureConfig {
  subscriptionId: string;
  tenantId?: string;
  clientId?: string;
  /** Kept so later commands (stop, rm) can sign in the same way; the store file is 0600. */
  clientSecret?: string;
  environment: string;
  /** Resource Manager endpoint override. */
  endpoint?: string;
  location: string;
  /** The group the user gave; without it each machine gets its own group tsmachine-<name>. */
  resourceGroup?: string;
  size: string;
  image: string;
  sshUser: string;
  vnet: string;
  /** Group of the virtual network ([group:]name); default: the machine's group. */
  vnetGroup?: string;
  subnet: string;
  subnetPrefix: string;
  availabilitySet?: string;
  openPorts: PortRange[];
  privateIpAddress?: string;
  usePrivateIp: boolean;
  noPublicIp: boolean;
  dnsLabel?: string;
  storageType: string;
  diskSizeGb: number;
  /** Open the swarm ports (set by the core's create --swarm). */
  swarm: boolean;
  /** The engine's port, opened in the NSG (the core's --engine-port, passed as values['engine-port']). */
  enginePort: number;
  /** The image version picked at create time ("latest" resolved). */
  imageVersion?: string;
  /** Addresses last read from Azure (after create and start). */
  addresses: { publicIp?: string; privateIp?: string; fqdn?: string };
  resources: AzureResources;
}

export const STORAGE_TYPES = ['Standard_LRS', 'StandardSSD_LRS', 'Premium_LRS', 'StandardSSD_ZRS', 'Premium_ZRS'];

/** Admin names Azure refuses for Linux VMs. */
const RESERVED_USERS = new Set(
  ('administrator admin user user1 test user2 test1 user3 admin1 1 123 a actuser adm admin2 aspnet backup console david ' +
    'guest john owner root server sql support support_388945a0 sys test2 test3 user4 user5').split(' '),
);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GROUP = /^[-\w._()]{1,90}$/;
const NAME80 = /^[A-Za-z0-9]([-\w.]{0,78}[\w])?$/;

const str = (v: unknown): string | undefined => {
  const s = v === undefined || v === null ? '' : String(v).trim();
  return s === '' ? undefined : s;
};

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? v.split(',') : []);

function checkGroupName(g: string, field: string, problems: Problem[]): void {
  if (!GROUP.test(g) || g.endsWith('.')) {
    problems.push({ field, message: `"${g}" is not a resource group name`, suggestion: 'use up to 90 letters, digits, _ - . ( ), not ending in a period' });
  }
}

function credentialProblems(c: AzureConfig, problems: Problem[]): void {
  if (!c.subscriptionId) {
    problems.push({ field: '--azure-subscription-id', message: 'is required', suggestion: 'set AZURE_SUBSCRIPTION_ID or give --azure-subscription-id (az account show --query id)' });
  } else if (!GUID.test(c.subscriptionId)) {
    problems.push({ field: '--azure-subscription-id', message: `"${c.subscriptionId}" is not a subscription ID (a GUID)` });
  }
  if (c.tenantId && !GUID.test(c.tenantId) && !/^[a-z0-9.-]+$/i.test(c.tenantId)) {
    problems.push({ field: '--azure-tenant-id', message: `"${c.tenantId}" is neither a tenant GUID nor a domain name` });
  }
  if (c.clientSecret && (!c.clientId || !c.tenantId)) {
    problems.push({ field: '--azure-client-secret', message: 'needs --azure-client-id and --azure-tenant-id too', suggestion: 'set AZURE_CLIENT_ID and AZURE_TENANT_ID for the service principal' });
  }
  if (!azureCloud(c.environment)) {
    problems.push({ field: '--azure-environment', message: `"${c.environment}" is not an Azure cloud`, suggestion: `use one of ${Object.keys(AZURE_CLOUDS).join(', ')}` });
  }
  if (c.endpoint && !/^https:\/\/[^\s/]+(\/.*)?$/.test(c.endpoint)) {
    problems.push({ field: '--azure-endpoint', message: `"${c.endpoint}" is not an https URL`, suggestion: 'the Azure SDK talks to Resource Manager over https only' });
  }
}

function vmProblems(c: AzureConfig, problems: Problem[]): void {
  if (!/^[a-z0-9]+$/.test(c.location)) {
    problems.push({ field: '--azure-location', message: `"${c.location}" is not a region name`, suggestion: 'use a name such as westus2 (az account list-locations -o table)' });
  }
  if (!/^[A-Za-z0-9_]+$/.test(c.size)) problems.push({ field: '--azure-size', message: `"${c.size}" is not a VM size name`, suggestion: 'e.g. Standard_B2s' });
  if (!parseImageUrn(c.image)) {
    problems.push({ field: '--azure-image', message: `"${c.image}" is not publisher:offer:sku:version`, suggestion: 'e.g. canonical:ubuntu-24_04-lts:server:latest' });
  }
  const u = c.sshUser;
  if (!/^[a-z_][a-z0-9_-]{0,63}$/.test(u) || RESERVED_USERS.has(u)) {
    problems.push({ field: '--azure-ssh-user', message: `"${u}" cannot be an Azure admin user`, suggestion: 'use a lower-case name that is not reserved (admin, root, user...), e.g. azureuser' });
  }
  if (!STORAGE_TYPES.includes(c.storageType)) {
    problems.push({ field: '--azure-storage-type', message: `"${c.storageType}" is not an OS disk type`, suggestion: `use one of ${STORAGE_TYPES.join(', ')}` });
  }
  if (!Number.isInteger(c.diskSizeGb) || c.diskSizeGb < 30 || c.diskSizeGb > 4095) {
    problems.push({ field: '--azure-disk-size', message: `"${c.diskSizeGb}" is not a disk size in GB from 30 to 4095` });
  }
  if (!Number.isInteger(c.enginePort) || c.enginePort < 1 || c.enginePort > 65535) {
    problems.push({ field: '--engine-port', message: `"${c.enginePort}" is not a port number` });
  }
  if (c.availabilitySet && !NAME80.test(c.availabilitySet)) {
    problems.push({ field: '--azure-availability-set', message: `"${c.availabilitySet}" is not an availability set name` });
  }
}

function networkProblems(c: AzureConfig, problems: Problem[]): void {
  if (c.resourceGroup) checkGroupName(c.resourceGroup, '--azure-resource-group', problems);
  if (c.vnetGroup) checkGroupName(c.vnetGroup, '--azure-vnet', problems);
  if (!NAME80.test(c.vnet)) problems.push({ field: '--azure-vnet', message: `"${c.vnet}" is not a virtual network name` });
  if (!NAME80.test(c.subnet)) problems.push({ field: '--azure-subnet', message: `"${c.subnet}" is not a subnet name` });
  if (!parseCidr(c.subnetPrefix)) {
    problems.push({ field: '--azure-subnet-prefix', message: `"${c.subnetPrefix}" is not an IPv4 prefix from /8 to /29`, suggestion: 'e.g. 192.168.0.0/16' });
  }
  if (c.privateIpAddress && !isIPv4(c.privateIpAddress)) {
    problems.push({ field: '--azure-private-ip-address', message: `"${c.privateIpAddress}" is not an IPv4 address` });
  } else if (c.privateIpAddress && parseCidr(c.subnetPrefix) && !cidrContains(c.subnetPrefix, c.privateIpAddress)) {
    problems.push({ field: '--azure-private-ip-address', message: `${c.privateIpAddress} is outside --azure-subnet-prefix ${c.subnetPrefix}` });
  }
  if (c.dnsLabel && !/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(c.dnsLabel)) {
    problems.push({ field: '--azure-dns', message: `"${c.dnsLabel}" is not a DNS label`, suggestion: '3 to 63 lower-case letters, digits and hyphens, starting with a letter' });
  }
  if (c.dnsLabel && c.noPublicIp) problems.push({ field: '--azure-dns', message: 'needs a public IP, but --azure-no-public-ip was given' });
}

/** Builds the persisted config from flag values (env and defaults applied); reports every problem. */
export function azureConfigFromFlags(values: FlagValues): { config: AzureConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const vnetSpec = str(values['azure-vnet']) ?? 'tsmachine-vnet';
  const [vnetGroup, vnet] = vnetSpec.includes(':') ? vnetSpec.split(':', 2) : [undefined, vnetSpec];
  const openPorts: PortRange[] = [];
  for (const spec of list(values['azure-open-port'])) {
    const p = parsePortRange(spec);
    if (p) openPorts.push(p);
    else problems.push({ field: '--azure-open-port', message: `"${spec}" is not a port`, suggestion: 'use port[/tcp|udp] or from-to[/tcp|udp], e.g. 8080 or 53/udp' });
  }
  const noPublicIp = values['azure-no-public-ip'] === true;
  const config: AzureConfig = {
    subscriptionId: str(values['azure-subscription-id']) ?? '',
    tenantId: str(values['azure-tenant-id']),
    clientId: str(values['azure-client-id']),
    clientSecret: str(values['azure-client-secret']),
    environment: str(values['azure-environment']) ?? 'AzurePublicCloud',
    endpoint: str(values['azure-endpoint'])?.replace(/\/+$/, ''),
    location: (str(values['azure-location']) ?? 'westus2').toLowerCase(),
    resourceGroup: str(values['azure-resource-group']),
    size: str(values['azure-size']) ?? 'Standard_B2s',
    image: str(values['azure-image']) ?? 'canonical:ubuntu-24_04-lts:server:latest',
    sshUser: str(values['azure-ssh-user']) ?? 'azureuser',
    vnet: vnet.trim(),
    vnetGroup: vnetGroup?.trim() || undefined,
    subnet: str(values['azure-subnet']) ?? 'tsmachine-subnet',
    subnetPrefix: str(values['azure-subnet-prefix']) ?? '192.168.0.0/16',
    availabilitySet: str(values['azure-availability-set']),
    openPorts,
    privateIpAddress: str(values['azure-private-ip-address']),
    usePrivateIp: values['azure-use-private-ip'] === true || noPublicIp,
    noPublicIp,
    dnsLabel: str(values['azure-dns']),
    storageType: str(values['azure-storage-type']) ?? 'StandardSSD_LRS',
    diskSizeGb: Number(values['azure-disk-size'] ?? 30),
    swarm: values.swarm === true,
    enginePort: Number(values['engine-port'] ?? 2376),
    addresses: {},
    resources: {},
  };
  credentialProblems(config, problems);
  vmProblems(config, problems);
  networkProblems(config, problems);
  return { config, problems };
}
