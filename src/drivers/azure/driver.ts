import { throwIfProblems, TsmError, type Problem } from '../../core/errors';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import type { VmStatus } from './api';
import type { AzureConfig } from './config';
import { normalizeLocation } from './config-parse';
import { createAzureMachine, refreshAddresses } from './create-steps';
import { CREDENTIAL_HINT, azureMessage, isCredentialError, isNotFound, isPermissionError, isSubscriptionError } from './errors';
import { findImage, isImage } from './image';
import { removeAzureMachine } from './remove';
import { AzureSession, type AzureDriverOptions } from './session';

export type { AzureDriverOptions, AzureTimeouts } from './session';

const POWER_STATES: Record<string, MachineState> = {
  running: 'Running',
  starting: 'Starting',
  stopping: 'Stopping',
  deallocating: 'Stopping',
  stopped: 'Stopped',
  deallocated: 'Stopped',
};

/**
 * An Azure VM with its own network plumbing. stop deallocates (no compute billing), kill powers
 * off hard, remove deletes exactly what create recorded. See create-steps.ts and remove.ts.
 */
export class AzureDriver implements Driver {
  private readonly s: AzureSession;

  constructor(ctx: DriverContext<AzureConfig>, o: AzureDriverOptions) {
    this.s = new AzureSession(ctx, o);
  }

  private get c(): AzureConfig {
    return this.s.c;
  }

  async preCreateCheck(): Promise<void> {
    const problems: Problem[] = vmNameProblems(this.s.ctx.name);
    const locations = await this.checkCredentials();
    const names = locations.map(normalizeLocation);
    if (!names.includes(this.c.location)) {
      const near = names.filter((l) => l.startsWith(this.c.location.slice(0, 4))).slice(0, 6);
      problems.push({
        field: '--azure-location',
        message: `"${this.c.location}" is not a region where this subscription can create VMs`,
        suggestion: near.length ? `did you mean ${near.join(', ')}?` : 'list them with: az account list-locations -o table',
      });
      throwIfProblems(problems, 'PRECREATE_FAILED');
    }
    const sizes = await this.s.call(`listing VM sizes in ${this.c.location}`, this.s.t.call, () => this.s.api.vmSizes(this.c.location));
    const size = sizes.find((x) => x.toLowerCase() === this.c.size.toLowerCase());
    if (!size) {
      problems.push({ field: '--azure-size', message: `"${this.c.size}" is not offered in ${this.c.location}`, suggestion: `list them with: az vm list-sizes -l ${this.c.location} -o table` });
    } else {
      this.c.size = size;
    }
    const image = await findImage(this.s);
    if (!isImage(image)) problems.push(image);
    problems.push(...(await this.placementProblems()));
    throwIfProblems(problems, 'PRECREATE_FAILED');
  }

  /** One cheap call (the regions of Microsoft.Compute) that proves the credentials and the subscription. */
  private async checkCredentials(): Promise<string[]> {
    try {
      return await this.s.call('checking the Azure credentials', this.s.t.call, () => this.s.api.vmLocations());
    } catch (e) {
      const sub = this.c.subscriptionId;
      if (isCredentialError(e)) {
        throw new TsmError('PRECREATE_FAILED', `Azure credentials were refused for subscription ${sub}: ${azureMessage(e)}`, { cause: e, suggestion: CREDENTIAL_HINT });
      }
      if (isSubscriptionError(e) || isPermissionError(e)) {
        throw new TsmError('PRECREATE_FAILED', `subscription ${sub} cannot be used with these credentials (auth): ${azureMessage(e)}`, {
          cause: e,
          suggestion: 'check --azure-subscription-id (AZURE_SUBSCRIPTION_ID) and that the identity has the Contributor role on it',
        });
      }
      throw e;
    }
  }

  /** The VM name must be free in the group, and a vnet group given with [group:]name must exist. */
  private async placementProblems(): Promise<Problem[]> {
    const { api, n } = this.s;
    const problems: Problem[] = [];
    if (await this.s.find(`looking up VM ${n.vm}`, () => api.getVm(n.group, n.vm))) {
      problems.push({ field: '--azure-resource-group', message: `resource group ${n.group} already has a VM named ${n.vm}`, suggestion: 'use another machine name or group' });
    }
    if (this.c.vnetGroup && !(await this.s.find(`looking up resource group ${n.vnetGroup}`, () => api.getResourceGroup(n.vnetGroup)))) {
      problems.push({ field: '--azure-vnet', message: `resource group ${n.vnetGroup} (of the virtual network) does not exist` });
    }
    return problems;
  }

  async create(): Promise<void> {
    await createAzureMachine(this.s);
  }

  async start(): Promise<void> {
    const { api, n, t } = this.s;
    await this.s.call(`starting VM ${n.vm}`, t.power, (o) => api.startVm(n.group, n.vm, o));
    await this.s.waitVm(`VM ${n.vm} to run`, (st) => st.power === 'running');
    await refreshAddresses(this.s);
  }

  /** Deallocates: the VM stops and its hardware is released, so it stops billing for compute. */
  async stop(): Promise<void> {
    const { api, n, t } = this.s;
    await this.s.call(`stopping (deallocating) VM ${n.vm}`, t.power, (o) => api.deallocateVm(n.group, n.vm, o));
    await this.s.waitVm(`VM ${n.vm} to be deallocated`, (st) => st.power === 'deallocated');
  }

  async restart(): Promise<void> {
    const { api, n, t } = this.s;
    if ((await this.state()) !== 'Running') return this.start();
    await this.s.call(`restarting VM ${n.vm}`, t.power, (o) => api.restartVm(n.group, n.vm, o));
    await this.s.waitVm(`VM ${n.vm} to run`, (st) => st.power === 'running');
    await refreshAddresses(this.s);
  }

  /** Hard power-off (no guest shutdown); the VM stays allocated until stop or rm. */
  async kill(): Promise<void> {
    const { api, n, t } = this.s;
    await this.s.call(`powering off VM ${n.vm}`, t.power, (o) => api.powerOffVm(n.group, n.vm, o));
    await this.s.waitVm(`VM ${n.vm} to power off`, (st) => st.power === 'stopped' || st.power === 'deallocated');
  }

  async remove(): Promise<void> {
    await removeAzureMachine(this.s);
  }

  async state(): Promise<MachineState> {
    const { api, n, t } = this.s;
    if (!this.c.resources.vm) return 'None';
    let st: VmStatus;
    try {
      st = await this.s.call(`reading the state of VM ${n.vm}`, t.call, () => api.vmStatus(n.group, n.vm), false);
    } catch (e) {
      if (isNotFound(e)) return 'None';
      throw e;
    }
    if (st.provisioning === 'failed') return 'Error';
    if (st.power && POWER_STATES[st.power]) return POWER_STATES[st.power];
    if (st.provisioning === 'creating' || st.provisioning === 'updating') return 'Starting';
    if (st.provisioning === 'deleting') return 'Stopping';
    return 'None';
  }

  async ip(): Promise<string> {
    const pick = () => (this.c.usePrivateIp ? this.c.addresses.privateIp : this.c.addresses.publicIp);
    if (!pick() && this.c.resources.nic) await refreshAddresses(this.s, false).catch(() => undefined);
    const ip = pick();
    if (!ip) {
      throw new TsmError('DRIVER_ERROR', `Azure machine "${this.s.ctx.name}" has no ${this.c.usePrivateIp ? 'private' : 'public'} IP address yet`, {
        suggestion: `start it: tsmachine start ${this.s.ctx.name}`,
      });
    }
    return ip;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    return { host: await this.ip(), port: 22, user: this.c.sshUser, privateKeyPath: this.s.ctx.sshKeyPath };
  }

  async addresses(): Promise<string[]> {
    const a = this.c.addresses;
    return [...new Set([a.publicIp, a.privateIp, a.fqdn].filter((x): x is string => !!x))];
  }
}

/** Azure Linux VM names: up to 64 letters, digits, '.', '-', '_', not ending in '.' or '-'. */
function vmNameProblems(name: string): Problem[] {
  if (name.length <= 64 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !/[.-]$/.test(name)) return [];
  return [{ field: 'name', message: `"${name}" cannot be an Azure VM name`, suggestion: 'use at most 64 letters, digits, dots and hyphens, not ending in a dot or hyphen' }];
}
