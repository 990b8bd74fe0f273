import { TsmError } from '../../core/errors';
import type { AzResource, Tags, VmSpec } from './api';
import type { AzureResources } from './config';
import { findImage, isImage } from './image';
import { machineTags, nsgRules } from './names';
import type { AzureSession } from './session';

/**
 * Network plumbing: reused when it exists (and then never deleted), created and recorded when
 * missing. The record is saved before the creation call, so a create that fails or is
 * interrupted half-way (Azure may go on creating) still leaves nothing unrecorded.
 */
async function ensure<T>(s: AzureSession, kind: keyof AzureResources, label: string, name: string, get: () => Promise<T>, create: () => Promise<T>): Promise<T> {
  s.checkAbort(`creating ${label} ${name}`);
  const found = await s.find(`looking up ${label} ${name}`, get);
  if (found) {
    if (s.c.resources[kind] !== name) s.info(`Using the existing ${label} ${name}`);
    return found;
  }
  s.info(`Creating ${label} ${name}`);
  await s.record(kind, name);
  return create();
}

/** The machine's own resources: one that exists and is not recorded as ours is someone else's. */
async function createOwn<T>(s: AzureSession, kind: keyof AzureResources, label: string, name: string, get: () => Promise<T>, create: () => Promise<T>): Promise<T> {
  s.checkAbort(`creating ${label} ${name}`);
  if (s.c.resources[kind] !== name && (await s.find(`looking up ${label} ${name}`, get))) {
    throw new TsmError('DRIVER_ERROR', `${label} ${s.id(kind, name)} already exists and tsmachine did not create it for "${s.ctx.name}"`, {
      suggestion: 'use another machine name or --azure-resource-group, or delete that resource if it is a leftover',
    });
  }
  s.info(`Creating ${label} ${name}`);
  await s.record(kind, name);
  return create();
}

async function network(s: AzureSession, tags: Tags): Promise<{ subnetId: string; nsgId: string }> {
  const { api, c, n, t } = s;
  await ensure(s, 'resourceGroup', 'resource group', n.group, () => api.getResourceGroup(n.group), () =>
    s.call(`creating resource group ${n.group}`, t.network, () => api.createResourceGroup(n.group, c.location, tags)),
  );
  await ensure(s, 'vnet', 'virtual network', n.vnet, () => api.getVnet(n.vnetGroup, n.vnet), () =>
    s.call(`creating virtual network ${n.vnet}`, t.network, (o) => api.createVnet(n.vnetGroup, n.vnet, { location: c.location, addressPrefix: c.subnetPrefix, tags }, o)),
  );
  const subnet = await ensure(s, 'subnet', 'subnet', n.subnet, () => api.getSubnet(n.vnetGroup, n.vnet, n.subnet), () =>
    s.call(`creating subnet ${n.subnet}`, t.network, (o) => api.createSubnet(n.vnetGroup, n.vnet, n.subnet, c.subnetPrefix, o)),
  );
  const nsg = await ensure(s, 'nsg', 'network security group', n.nsg, () => api.getNsg(n.group, n.nsg), () =>
    s.call(`creating network security group ${n.nsg}`, t.network, (o) => api.createNsg(n.group, n.nsg, { location: c.location, rules: nsgRules(c), tags }, o)),
  );
  return { subnetId: subnet.id, nsgId: nsg.id };
}

async function availabilitySet(s: AzureSession, tags: Tags): Promise<string | undefined> {
  const { api, c, n, t } = s;
  const name = n.availabilitySet;
  if (!name) return undefined;
  const set = await ensure(s, 'availabilitySet', 'availability set', name, () => api.getAvailabilitySet(n.group, name), () =>
    s.call(`creating availability set ${name}`, t.network, () => api.createAvailabilitySet(n.group, name, { location: c.location, tags })),
  );
  return set.id;
}

/** Creates everything a machine needs, in order, and leaves the VM running with its addresses read. */
export async function createAzureMachine(s: AzureSession): Promise<void> {
  const { api, c, n, t } = s;
  const tags = machineTags(s.ctx.name);
  const net = await network(s, tags);
  const pip = c.noPublicIp
    ? undefined
    : await createOwn(s, 'publicIp', 'public IP', n.publicIp, () => api.getPublicIp(n.group, n.publicIp), () =>
        s.call(`creating public IP ${n.publicIp}`, t.network, (o) => api.createPublicIp(n.group, n.publicIp, { location: c.location, dnsLabel: c.dnsLabel, tags }, o)),
      );
  const nic: AzResource = await createOwn(s, 'nic', 'network interface', n.nic, () => api.getNic(n.group, n.nic), () =>
    s.call(`creating network interface ${n.nic}`, t.network, (o) =>
      api.createNic(n.group, n.nic, { location: c.location, subnetId: net.subnetId, nsgId: net.nsgId, publicIpId: pip?.id, privateIp: c.privateIpAddress, tags }, o),
    ),
  );
  const availabilitySetId = await availabilitySet(s, tags);
  await createVm(s, { nicId: nic.id, availabilitySetId, tags });
  await s.waitVm(`VM ${n.vm} to run`, (st) => st.power === 'running');
  await refreshAddresses(s);
}

/** The VM, from the newest published image; its OS disk goes with it (deleteOption Delete). */
async function createVm(s: AzureSession, p: { nicId: string; availabilitySetId?: string; tags: Tags }): Promise<void> {
  const { api, c, n, t } = s;
  s.checkAbort('looking up the image');
  const image = await findImage(s);
  if (!isImage(image)) throw new TsmError('DRIVER_ERROR', `${image.field}: ${image.message}`, { suggestion: image.suggestion });
  c.imageVersion = image.version;
  const spec: VmSpec = {
    location: c.location,
    size: c.size,
    image,
    computerName: s.ctx.name,
    adminUser: c.sshUser,
    sshPublicKey: s.ctx.sshPublicKey.trim(),
    osDiskName: n.osDisk,
    storageType: c.storageType,
    diskSizeGb: c.diskSizeGb,
    ...p,
  };
  await createOwn(s, 'vm', 'VM', n.vm, () => api.getVm(n.group, n.vm), async () => {
    s.info(`VM ${n.vm}: size ${c.size}, image ${image.publisher}:${image.offer}:${image.sku}:${image.version}`);
    await s.record('osDisk', n.osDisk);
    return s.call(`creating VM ${n.vm}`, t.vm, (o) => api.createVm(n.group, n.vm, spec, o));
  });
}

/** Reads the VM's private IP (NIC) and public IP and DNS name, and saves them. */
export async function refreshAddresses(s: AzureSession, interruptible = true): Promise<void> {
  const { api, c, n, t } = s;
  const nic = await s.call(`reading network interface ${n.nic}`, t.call, () => api.getNic(n.group, n.nic), interruptible);
  const pip = c.noPublicIp ? undefined : await s.call(`reading public IP ${n.publicIp}`, t.call, () => api.getPublicIp(n.group, n.publicIp), interruptible);
  c.addresses = { privateIp: nic.privateIp, publicIp: pip?.ipAddress, fqdn: pip?.fqdn };
  await s.ctx.save();
}
