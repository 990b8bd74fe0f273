import { errorMessage, TsmError } from '../../core/errors';
import type { LroOptions } from './api';
import type { AzureResources } from './config';
import { isInUse, isNotFound } from './errors';
import { RESOURCE_TYPES } from './names';
import type { AzureSession } from './session';

type Kind = keyof AzureResources;

interface Step {
  kind: Kind;
  label: string;
  del(name: string, o: LroOptions): Promise<void>;
  /** For shared plumbing: why it must stay (something else uses it), or undefined. */
  inUse?(name: string): Promise<string | undefined>;
}

/** Deletion order: the VM first, then what it used, then the plumbing, the group last. */
function steps(s: AzureSession): Step[] {
  const { api, n } = s;
  return [
    { kind: 'vm', label: 'VM', del: (x, o) => api.deleteVm(n.group, x, o) },
    { kind: 'osDisk', label: 'OS disk', del: (x, o) => api.deleteDisk(n.group, x, o) },
    { kind: 'nic', label: 'network interface', del: (x, o) => api.deleteNic(n.group, x, o) },
    { kind: 'publicIp', label: 'public IP', del: (x, o) => api.deletePublicIp(n.group, x, o) },
    { kind: 'nsg', label: 'network security group', del: (x, o) => api.deleteNsg(n.group, x, o) },
    {
      kind: 'availabilitySet',
      label: 'availability set',
      del: (x) => api.deleteAvailabilitySet(n.group, x),
      inUse: async (x) => {
        const set = await s.find(`reading availability set ${x}`, () => api.getAvailabilitySet(n.group, x), false);
        return set && set.vmCount > 0 ? `${set.vmCount} VM(s) are still in it` : undefined;
      },
    },
    {
      kind: 'subnet',
      label: 'subnet',
      del: (x, o) => api.deleteSubnet(n.vnetGroup, n.vnet, x, o),
      inUse: async (x) => {
        const sub = await s.find(`reading subnet ${x}`, () => api.getSubnet(n.vnetGroup, n.vnet, x), false);
        return sub && sub.ipConfigurationCount > 0 ? `${sub.ipConfigurationCount} network interface(s) still use it` : undefined;
      },
    },
    { kind: 'vnet', label: 'virtual network', del: (x, o) => api.deleteVnet(n.vnetGroup, x, o) },
  ];
}

/** Kinds that live in the machine's group (a group-level delete takes them with it). */
function kindsInGroup(s: AzureSession): Kind[] {
  const inGroup: Kind[] = ['vm', 'osDisk', 'nic', 'publicIp', 'nsg', 'availabilitySet'];
  return s.n.vnetGroup === s.n.group ? [...inGroup, 'subnet', 'vnet'] : inGroup;
}

/** The group's members that are not recorded as this machine's ("type/name", lower case). */
async function foreignMembers(s: AzureSession): Promise<string[] | undefined> {
  const members = await s.find(`listing resource group ${s.n.group}`, () => s.api.listGroupResources(s.n.group), false);
  if (!members) return undefined;
  const ours = new Set(
    kindsInGroup(s)
      .filter((k) => k !== 'subnet' && s.c.resources[k])
      .map((k) => `${RESOURCE_TYPES[k as keyof typeof RESOURCE_TYPES]}/${s.c.resources[k]}`.toLowerCase()),
  );
  return members.filter((m) => !ours.has(`${m.type}/${m.name}`.toLowerCase())).map((m) => m.id);
}

async function forgetGroup(s: AzureSession): Promise<void> {
  for (const k of [...kindsInGroup(s), 'resourceGroup' as const]) delete s.c.resources[k];
  await s.ctx.save();
}

/** Deletes the group, which takes everything in it; when it cannot, adds the group id to `failures`. */
async function deleteGroup(s: AzureSession, failures: string[]): Promise<void> {
  const g = s.n.group;
  s.info(`Deleting resource group ${g} and everything in it`);
  try {
    await s.call(`deleting resource group ${g}`, s.t.group, (o) => s.api.deleteResourceGroup(g, o), false);
  } catch (e) {
    if (!isNotFound(e)) {
      failures.push(`${s.id('resourceGroup', g)}: ${errorMessage(e)}`);
      return;
    }
  }
  await forgetGroup(s);
}

/** Plumbing other machines may share: "in use" means someone else's resources are in it now. */
const SHARED: Kind[] = ['vnet', 'subnet', 'availabilitySet'];

async function deleteOne(s: AzureSession, step: Step, failures: string[]): Promise<void> {
  const name = s.c.resources[step.kind];
  if (!name) return;
  // After a failure, the machine's own leftovers may be what still uses the plumbing: keep it
  // recorded for the retry rather than mistake it for shared.
  if (failures.length > 0 && SHARED.includes(step.kind)) return;
  const id = s.id(step.kind, name);
  try {
    const busy = await step.inUse?.(name);
    if (busy) {
      s.warn(`kept ${step.label} ${id}: ${busy}; delete it when they are gone`);
      return s.forget(step.kind);
    }
    s.info(`Deleting ${step.label} ${name}`);
    await s.call(`deleting ${step.label} ${name}`, s.t.delete, (o) => step.del(name, o), false);
  } catch (e) {
    if (isInUse(e) && SHARED.includes(step.kind)) {
      s.warn(`kept ${step.label} ${id}: other resources still use it (${errorMessage(e)}); delete it when they are gone`);
    } else if (!isNotFound(e)) {
      failures.push(`${id}: ${errorMessage(e)}`);
      return;
    }
  }
  await s.forget(step.kind);
}

/**
 * Deletes every resource this machine recorded, and nothing else. When the machine created its
 * group and the group holds nothing foreign, one group-level delete does it all. Not-found is
 * success. Whatever could not be deleted stays recorded (so a retry works) and is listed, by id,
 * in a DRIVER_ERROR. Not interruptible: it is also the rollback of an interrupted create.
 */
export async function removeAzureMachine(s: AzureSession): Promise<void> {
  const r = s.c.resources;
  const failures: string[] = [];
  if (r.resourceGroup) {
    const foreign = await foreignMembers(s);
    if (foreign === undefined) await forgetGroup(s);
    else if (foreign.length === 0) await deleteGroup(s, failures);
  }
  if (failures.length === 0) {
    for (const step of steps(s)) await deleteOne(s, step, failures);
  }
  if (r.resourceGroup && failures.length === 0) await removeOwnGroupIfEmpty(s, failures);
  s.c.addresses = {};
  await s.ctx.save();
  if (failures.length > 0) {
    const kept = (Object.keys(r) as Kind[]).map((k) => s.id(k, r[k]!)).filter((id) => !failures.some((f) => f.startsWith(`${id}:`)));
    const rest = kept.length ? `\nnot deleted yet, kept for the retry: ${kept.join(', ')}` : '';
    throw new TsmError('DRIVER_ERROR', `could not delete ${failures.length} Azure resource(s) of "${s.ctx.name}":\n  ${failures.join('\n  ')}${rest}`, {
      suggestion: `run "tsmachine rm ${s.ctx.name}" again (they stay recorded), or delete them in the Azure portal`,
    });
  }
}

/** The group tsmachine created, once the machine's resources are gone: deleted if empty, else kept. */
async function removeOwnGroupIfEmpty(s: AzureSession, failures: string[]): Promise<void> {
  const foreign = await foreignMembers(s);
  if (foreign === undefined) return forgetGroup(s);
  if (foreign.length === 0) return deleteGroup(s, failures);
  s.warn(`kept resource group ${s.n.group}: it holds resources tsmachine did not create for "${s.ctx.name}": ${foreign.join(', ')}`);
  await s.forget('resourceGroup');
}
