import { isIP } from 'node:net';
import { errorMessage, TsmError } from '../../core/errors';
import type { DriverContext } from '../driver';
import { isAlreadyExists, type GceFirewallRule, type GoogleApi } from './api';
import { regionOf, type GoogleConfig, type GoogleResources } from './config';
import { MARKER, machineRule, SHARED_TAG, sharedRule, sharedRuleName } from './firewall';
import type { GceWaits } from './waits';

/**
 * The network plumbing of a google machine: firewall rules and the static address. Each is
 * created only when missing, recorded (and saved) before its insert, and on remove deleted only
 * when this machine (or, for the shared rule, tsmachine) made it.
 */
export class GcePlumbing {
  constructor(
    private readonly api: GoogleApi,
    private readonly ctx: DriverContext<GoogleConfig>,
    private readonly waits: GceWaits,
  ) {}

  /** Waits for deletes: they run during rollback, after an interrupt. */
  private get cleanup(): GceWaits {
    return this.waits.uninterruptible();
  }

  private get c(): GoogleConfig {
    return this.ctx.config;
  }

  private get r(): GoogleResources {
    return this.c.resources;
  }

  private async forget(key: keyof GoogleResources): Promise<void> {
    delete this.r[key];
    await this.ctx.save();
  }

  /** Creates the rule when missing; `key` records it when this machine made it. */
  private async ensureRule(rule: GceFirewallRule, key: 'firewall' | 'machineFirewall'): Promise<void> {
    const existing = await this.api.getFirewall(rule.name);
    if (existing) {
      this.ctx.progress({ kind: 'info', message: `Using the existing firewall rule ${rule.name}` });
      return;
    }
    this.r[key] = rule.name;
    await this.ctx.save();
    try {
      await this.waits.operation(await this.api.insertFirewall(rule), `firewall rule ${rule.name} to be created`);
    } catch (e) {
      // Made meanwhile by another create: it is not ours to delete.
      if (!isAlreadyExists(e)) throw e;
      await this.forget(key);
    }
  }

  /** The shared rule (22, 2376 to tag `tsmachine`) and, with extra ports, the machine's own rule. */
  async ensureFirewalls(instanceName: string): Promise<void> {
    await this.ensureRule(sharedRule(this.c), 'firewall');
    this.waits.checkAbort();
    const own = machineRule(this.c, instanceName);
    if (own) await this.ensureRule(own, 'machineFirewall');
  }

  /** The external IP to give the instance: --google-address as an IP, or its static address (reserved when missing). */
  async ensureAddress(): Promise<string | undefined> {
    const name = this.c.address;
    if (!name || isIP(name)) return name;
    const region = regionOf(this.c.zone);
    const existing = await this.api.getAddress(region, name);
    if (existing) return existing.address;
    this.r.address = name;
    await this.ctx.save();
    try {
      await this.waits.operation(await this.api.insertAddress(region, name, `static IP of tsmachine machine ${this.ctx.name} ${MARKER}`), `static address ${name} to be reserved`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      await this.forget('address');
    }
    const made = await this.api.getAddress(region, name);
    if (!made?.address) throw new TsmError('DRIVER_ERROR', `static address ${name} in region ${region} has no IP after it was reserved`);
    return made.address;
  }

  /** Deletes one recorded rule; not-found is success. Returns a failure line or undefined. */
  private async deleteRule(name: string, key: 'firewall' | 'machineFirewall'): Promise<string | undefined> {
    try {
      const op = await this.api.deleteFirewall(name);
      if (op) await this.cleanup.operation(op, `firewall rule ${name} to be deleted`);
      if (this.r[key] === name) await this.forget(key);
      return undefined;
    } catch (e) {
      return `firewall rule projects/${this.c.project}/global/firewalls/${name}: ${errorMessage(e)}`;
    }
  }

  /** The machine's own rule, when recorded. */
  async removeMachineRule(): Promise<string | undefined> {
    return this.r.machineFirewall ? this.deleteRule(this.r.machineFirewall, 'machineFirewall') : undefined;
  }

  /**
   * The shared rule belongs to tsmachine, not to one machine: it is deleted when it carries
   * tsmachine's marker and no instance other than `instanceName` carries the `tsmachine` tag
   * (the last machine out takes it). A rule made by the user is never deleted.
   */
  async removeSharedRule(instanceName: string): Promise<string | undefined> {
    const name = sharedRuleName(this.c.network);
    const ours = this.r.firewall === name;
    try {
      const rule = await this.api.getFirewall(name);
      if (!rule || !rule.description?.includes(MARKER)) {
        if (ours) await this.forget('firewall');
        return undefined;
      }
      const users = (await this.api.listInstancesWithTag(SHARED_TAG)).filter((i) => !(i.zone === this.c.zone && i.name === instanceName));
      if (users.length > 0) {
        this.ctx.progress({ kind: 'info', message: `Kept firewall rule ${name}: ${users.length} other instance(s) carry tag ${SHARED_TAG}` });
        if (ours) await this.forget('firewall');
        return undefined;
      }
    } catch (e) {
      if (!ours) {
        this.ctx.progress({ kind: 'warn', message: `could not check whether firewall rule ${name} is still used (${errorMessage(e)}); kept it` });
        return undefined;
      }
      return `firewall rule projects/${this.c.project}/global/firewalls/${name}: ${errorMessage(e)}`;
    }
    return this.deleteRule(name, 'firewall');
  }

  /** The static address, when this machine reserved it. */
  async removeAddress(): Promise<string | undefined> {
    const name = this.r.address;
    if (!name) return undefined;
    const region = regionOf(this.c.zone);
    try {
      const op = await this.api.deleteAddress(region, name);
      if (op) await this.cleanup.operation(op, `static address ${name} to be released`);
      await this.forget('address');
      return undefined;
    } catch (e) {
      return `address projects/${this.c.project}/regions/${region}/addresses/${name}: ${errorMessage(e)}`;
    }
  }
}
