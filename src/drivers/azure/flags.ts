import type { DriverFlag } from '../driver';

/**
 * docker-machine's azure driver flags (same names and environment variables), defaults refreshed:
 * Ubuntu 24.04 LTS, a current B-series size, Standard SKU static public IPs (Basic is retired).
 * This file must not import any SDK: the CLI loads every driver's flags at start-up.
 */
export const azureFlags: DriverFlag[] = [
  { name: 'azure-subscription-id', description: 'Azure subscription ID (required)', type: 'string', env: 'AZURE_SUBSCRIPTION_ID' },
  { name: 'azure-tenant-id', description: 'Microsoft Entra tenant ID (with a client secret, or to pin DefaultAzureCredential)', type: 'string', env: 'AZURE_TENANT_ID' },
  { name: 'azure-client-id', description: 'Service principal (app) client ID; also the managed identity client ID', type: 'string', env: 'AZURE_CLIENT_ID' },
  {
    name: 'azure-client-secret',
    description: 'Service principal client secret (without it: DefaultAzureCredential, e.g. az login, managed identity)',
    type: 'string',
    env: 'AZURE_CLIENT_SECRET',
  },
  {
    name: 'azure-environment',
    description: 'Azure cloud: AzurePublicCloud, AzureUSGovernmentCloud or AzureChinaCloud',
    type: 'string',
    env: 'AZURE_ENVIRONMENT',
    default: 'AzurePublicCloud',
  },
  { name: 'azure-endpoint', description: 'Azure Resource Manager endpoint override (https URL)', type: 'string', env: 'AZURE_ENDPOINT' },
  { name: 'azure-location', description: 'Azure region (e.g. westus2, eastus, westeurope)', type: 'string', env: 'AZURE_LOCATION', default: 'westus2' },
  {
    name: 'azure-resource-group',
    description: 'Resource group (default: a new group tsmachine-<name>, deleted with the machine; a given existing group is kept)',
    type: 'string',
    env: 'AZURE_RESOURCE_GROUP',
  },
  { name: 'azure-size', description: 'VM size', type: 'string', env: 'AZURE_SIZE', default: 'Standard_B2s' },
  {
    name: 'azure-image',
    description: 'Marketplace image publisher:offer:sku:version ("latest" is resolved to the newest version at create time)',
    type: 'string',
    env: 'AZURE_IMAGE',
    default: 'canonical:ubuntu-24_04-lts:server:latest',
  },
  { name: 'azure-ssh-user', description: 'Admin user created on the VM (SSH key only, no password)', type: 'string', env: 'AZURE_SSH_USER', default: 'azureuser' },
  { name: 'azure-vnet', description: 'Virtual network, [resource-group:]name (created when missing)', type: 'string', env: 'AZURE_VNET', default: 'tsmachine-vnet' },
  { name: 'azure-subnet', description: 'Subnet in the virtual network (created when missing)', type: 'string', env: 'AZURE_SUBNET', default: 'tsmachine-subnet' },
  { name: 'azure-subnet-prefix', description: 'Address prefix of a subnet (and virtual network) tsmachine creates', type: 'string', env: 'AZURE_SUBNET_PREFIX', default: '192.168.0.0/16' },
  { name: 'azure-availability-set', description: 'Availability set to put the VM in (created when missing)', type: 'string', env: 'AZURE_AVAILABILITY_SET' },
  { name: 'azure-open-port', description: 'Extra inbound port to open, port[/tcp|udp] or from-to[/proto] (repeatable)', type: 'string[]' },
  { name: 'azure-private-ip-address', description: 'Static private IP address of the VM in the subnet', type: 'string', env: 'AZURE_PRIVATE_IP_ADDRESS' },
  { name: 'azure-use-private-ip', description: 'Reach the VM (SSH, engine) on its private IP address', type: 'boolean', env: 'AZURE_USE_PRIVATE_IP', default: false },
  { name: 'azure-no-public-ip', description: 'Create no public IP address (implies --azure-use-private-ip)', type: 'boolean', env: 'AZURE_NO_PUBLIC_IP', default: false },
  {
    name: 'azure-static-public-ip',
    description: 'Kept for docker-machine compatibility: public IPs are Standard SKU, always static',
    type: 'boolean',
    env: 'AZURE_STATIC_PUBLIC_IP',
    default: false,
  },
  { name: 'azure-dns', description: 'DNS label of the public IP (<label>.<location>.cloudapp.azure.com)', type: 'string', env: 'AZURE_DNS_LABEL' },
  {
    name: 'azure-storage-type',
    description: 'OS disk type: Standard_LRS, StandardSSD_LRS, Premium_LRS, StandardSSD_ZRS or Premium_ZRS',
    type: 'string',
    env: 'AZURE_STORAGE_TYPE',
    default: 'StandardSSD_LRS',
  },
  { name: 'azure-disk-size', description: 'OS disk size in GB (30 to 4095)', type: 'integer', env: 'AZURE_DISK_SIZE', default: 30 },
];
