import { errorMessage, TsmError } from '../../core/errors';
import type { Sleep } from '../../core/wait';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import { isAlreadyExists, type GceInstance, type GoogleApi, type InstanceSpec } from './api';
import { instanceNameFor, type GoogleConfig } from './config';
import { ExistingInstance } from './existing-instance';
import { instanceTags } from './firewall';
import { GcePlumbing } from './plumbing';
import { googlePreCreateCheck, resolveImage } from './precreate';
import { GceWaits, type GoogleTimeouts } from './waits';

export interface GoogleDriverDeps {
  api: GoogleApi;
  sleep?: Sleep;
  /** Poll interval of the waits (ms). */
  pollMs?: number;
  timeouts?: Partial<GoogleTimeouts>;
}

const STATES: Record<string, MachineState> = {
  PROVISIONING: 'Starting',
  STAGING: 'Starting',
  RUNNING: 'Running',
  REPAIRING: 'Starting',
  STOPPING: 'Stopping',
  SUSPENDING: 'Stopping',
  SUSPENDED: 'Saved',
  STOPPED: 'Stopped',
  TERMINATED: 'Stopped',
};
const STOPPED = ['TERMINATED', 'STOPPED'];

/**
 * A Compute Engine instance. create: firewall rules and a static address only when missing,
 * the instance with the machine's key in its ssh-keys metadata, then RUNNING with an IP.
 * Power: GCE has one power-off, instances.stop (a guest shutdown, forced after the grace
 * period), so `stop` and `kill` are the same call; `restart` is instances.reset (a hard reset).
 * With --google-use-existing the instance is the user's and is never deleted.
 */
export class GoogleDriver implements Driver {
  private readonly api: GoogleApi;
  private readonly waits: GceWaits;
  private readonly plumbing: GcePlumbing;

  constructor(private readonly ctx: DriverContext<GoogleConfig>, deps: GoogleDriverDeps) {
    this.api = deps.api;
    this.waits = new GceWaits(deps.api, { progress: ctx.progress, signal: ctx.signal, sleep: deps.sleep, pollMs: deps.pollMs, timeouts: deps.timeouts });
    this.plumbing = new GcePlumbing(deps.api, ctx, this.waits);
  }

  private get c(): GoogleConfig {
    return this.ctx.config;
  }

  private get instanceName(): string {
    return this.c.instanceName ?? instanceNameFor(this.ctx.name);
  }

  /** The instance this machine drives, if any (after remove, none). */
  private get target(): string | undefined {
    return this.c.useExisting ? (this.c.instanceName ? this.instanceName : undefined) : this.c.resources.instance;
  }

  private get existing(): ExistingInstance {
    return new ExistingInstance(this.api, this.ctx, this.waits, this.instanceName);
  }

  async preCreateCheck(): Promise<void> {
    const image = await googlePreCreateCheck(this.api, this.c, this.instanceName);
    this.c.sourceImage = image.selfLink;
  }

  async create(): Promise<void> {
    this.c.instanceName = this.instanceName;
    await this.ctx.save();
    if (this.c.useExisting) {
      await this.existing.adopt(this.c.username, instanceTags(this.c, this.instanceName));
      this.waits.checkAbort();
      await this.plumbing.ensureFirewalls(this.instanceName);
      const i = await this.api.getInstance(this.c.zone, this.instanceName);
      if (i && STOPPED.includes(i.status)) await this.waits.operation(await this.api.startInstance(this.c.zone, this.instanceName), `instance ${this.instanceName} to start`);
    } else {
      await this.createInstance();
    }
    await this.afterRunning(`instance ${this.instanceName} to be RUNNING`);
  }

  private async createInstance(): Promise<void> {
    const name = this.instanceName;
    if (!this.c.sourceImage) this.c.sourceImage = (await resolveImage(this.api, this.c.image)).selfLink;
    this.waits.checkAbort();
    const natIp = await this.plumbing.ensureAddress();
    this.waits.checkAbort();
    this.c.resources.instance = name;
    await this.ctx.save();
    let op;
    try {
      op = await this.api.insertInstance(this.spec(name, natIp));
    } catch (e) {
      if (isAlreadyExists(e)) {
        delete this.c.resources.instance;
        await this.ctx.save();
        throw new TsmError('CREATE_FAILED', `instance "${name}" already exists in zone ${this.c.zone}`, { cause: e, suggestion: 'choose another machine name' });
      }
      throw e;
    }
    this.waits.checkAbort();
    await this.plumbing.ensureFirewalls(name);
    this.waits.checkAbort();
    await this.waits.operation(op, `instance ${name} to be created`);
  }

  private spec(name: string, natIp: string | undefined): InstanceSpec {
    const c = this.c;
    return {
      name,
      zone: c.zone,
      machineType: c.machineType,
      sourceImage: c.sourceImage!,
      diskSizeGb: c.diskSizeGb,
      diskType: c.diskType,
      network: c.network,
      subnetwork: c.subnetwork,
      internalOnly: c.useInternalIpOnly,
      natIp,
      tags: instanceTags(c, name),
      // OS Login, when a project turns it on, ignores ssh-keys metadata: this instance opts out.
      metadata: [
        { key: 'ssh-keys', value: `${c.username}:${this.ctx.sshPublicKey.trim()}` },
        { key: 'enable-oslogin', value: 'FALSE' },
      ],
      scopes: c.scopes,
      preemptible: c.preemptible,
      labels: { 'tsmachine-machine': name },
    };
  }

  /** Waits for RUNNING and records the instance's addresses. */
  private async afterRunning(what: string): Promise<void> {
    const i = await this.waits.status(this.c.zone, this.instanceName, ['RUNNING'], what);
    await this.record(i);
  }

  private async record(i: GceInstance): Promise<void> {
    this.c.ip = this.pickIp(i);
    this.c.internalIp = i.internalIp;
    await this.ctx.save();
  }

  private pickIp(i: GceInstance): string | undefined {
    return this.c.useInternalIp || this.c.useInternalIpOnly ? i.internalIp : i.externalIp;
  }

  private requireTarget(): string {
    const t = this.target;
    if (!t) throw new TsmError('MACHINE_NOT_FOUND', `google machine "${this.ctx.name}" has no instance`, { suggestion: `remove it and create it again: tsmachine rm ${this.ctx.name}` });
    return t;
  }

  async start(): Promise<void> {
    const name = this.requireTarget();
    await this.waits.operation(await this.api.startInstance(this.c.zone, name), `instance ${name} to start`);
    await this.afterRunning(`instance ${name} to be RUNNING`);
  }

  /** instances.stop: the guest shuts down, forced off after GCE's grace period. */
  async stop(): Promise<void> {
    const name = this.requireTarget();
    await this.waits.operation(await this.api.stopInstance(this.c.zone, name), `instance ${name} to stop`);
    await this.waits.status(this.c.zone, name, STOPPED, `instance ${name} to be TERMINATED`);
  }

  /** GCE has no harder power-off than instances.stop: the same call as `stop`. */
  async kill(): Promise<void> {
    await this.stop();
  }

  /** instances.reset (hard reset) when running; a stopped instance is started. */
  async restart(): Promise<void> {
    const name = this.requireTarget();
    const i = await this.api.getInstance(this.c.zone, name);
    if (i && STOPPED.includes(i.status)) return this.start();
    await this.waits.operation(await this.api.resetInstance(this.c.zone, name), `instance ${name} to reset`);
    await this.afterRunning(`instance ${name} to be RUNNING again`);
  }

  /**
   * Deletes the instance (or, with --google-use-existing, takes back the key and tags), then
   * this machine's firewall rule, the shared rule when no other instance uses it, and the
   * static address it reserved. What cannot be deleted stays recorded and is listed in one
   * DRIVER_ERROR.
   */
  async remove(): Promise<void> {
    const failures: string[] = [];
    const name = this.instanceName;
    const instanceFailure = this.c.useExisting ? await this.existing.release() : await this.removeInstance(name);
    if (instanceFailure) {
      failures.push(instanceFailure);
      for (const [kind, id] of Object.entries(this.c.resources)) if (kind !== 'instance') failures.push(`${kind} ${String(id)}: kept while the instance exists`);
    } else {
      for (const step of [() => this.plumbing.removeMachineRule(), () => this.plumbing.removeSharedRule(name), () => this.plumbing.removeAddress()]) {
        const f = await step();
        if (f) failures.push(f);
      }
    }
    if (failures.length > 0) {
      throw new TsmError('DRIVER_ERROR', `could not delete every resource of google machine "${this.ctx.name}":\n  ${failures.join('\n  ')}`, {
        suggestion: `fix the cause and run "tsmachine rm ${this.ctx.name}" again (the resources above are still recorded)`,
      });
    }
  }

  private async removeInstance(name: string): Promise<string | undefined> {
    if (!this.c.resources.instance) return undefined;
    try {
      const op = await this.api.deleteInstance(this.c.zone, name);
      if (op) await this.waits.uninterruptible().operation(op, `instance ${name} to be deleted`);
      delete this.c.resources.instance;
      await this.ctx.save();
      return undefined;
    } catch (e) {
      return `instance projects/${this.c.project}/zones/${this.c.zone}/instances/${name}: ${errorMessage(e)}`;
    }
  }

  async state(): Promise<MachineState> {
    const name = this.target;
    if (!name) return 'None';
    const i = await this.api.getInstance(this.c.zone, name);
    if (!i) return 'Error';
    return STATES[i.status] ?? 'Error';
  }

  async ip(): Promise<string> {
    const name = this.requireTarget();
    const i = await this.api.getInstance(this.c.zone, name);
    const ip = i && i.status === 'RUNNING' ? this.pickIp(i) : undefined;
    if (!ip) {
      throw new TsmError('MACHINE_NOT_RUNNING', `instance ${name} has no ${this.c.useInternalIp || this.c.useInternalIpOnly ? 'internal' : 'external'} IP (status ${i?.status ?? 'not found'})`, {
        suggestion: `start it: tsmachine start ${this.ctx.name}`,
      });
    }
    return ip;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    return { host: await this.ip(), port: 22, user: this.c.username, privateKeyPath: this.ctx.sshKeyPath };
  }

  /** External and internal IPs, and the internal DNS name (zonal DNS, when the project ID allows it). */
  async addresses(): Promise<string[]> {
    const name = this.requireTarget();
    const i = await this.api.getInstance(this.c.zone, name);
    const out = [i?.externalIp ?? (this.c.useInternalIpOnly ? undefined : this.c.ip), i?.internalIp ?? this.c.internalIp];
    if (!this.c.project.includes(':')) out.push(`${name}.${this.c.zone}.c.${this.c.project}.internal`);
    return [...new Set(out.filter((a): a is string => !!a))];
  }
}
