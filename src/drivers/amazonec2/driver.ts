import { randomBytes, randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { throwIfProblems, TsmError, type Problem } from '../../core/errors';
import type { Sleep } from '../../core/wait';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import { awsErrorCode, type Ec2Api, type Ec2Instance } from './api';
import type { Amazonec2Config } from './config';
import { ec2Error } from './errors';
import { resolvePlan, type LaunchPlan } from './plan';
import { desiredRules, missingRules } from './ports';
import { teardown } from './teardown';
import { DEFAULT_TIMEOUTS, waitForInstance, type Ec2Timeouts, type WaitDeps } from './waits';

export interface Amazonec2DriverDeps {
  api: Ec2Api;
  sleep?: Sleep;
  /** Interval of every poll (default 3 s). */
  pollMs?: number;
  timeouts?: Partial<Ec2Timeouts>;
}

const STATES: Record<string, MachineState> = {
  pending: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  'shutting-down': 'Stopping',
  stopped: 'Stopped',
  terminated: 'Error',
};

/**
 * An EC2 instance with what it needs around it: a security group (created only when missing),
 * a key pair (imported only when none is given) and a tagged root volume. Every resource is
 * recorded in config.resources right after it is made; see teardown.ts for remove().
 */
export class Amazonec2Driver implements Driver {
  private readonly api: Ec2Api;
  private readonly w: WaitDeps;
  private readonly timeouts: Ec2Timeouts;
  private plan?: LaunchPlan;

  constructor(private readonly ctx: DriverContext<Amazonec2Config>, deps: Amazonec2DriverDeps) {
    this.api = deps.api;
    this.w = { api: deps.api, sleep: deps.sleep, pollMs: deps.pollMs ?? 3000, progress: ctx.progress };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  }

  private get c(): Amazonec2Config {
    return this.ctx.config;
  }

  private fail(e: unknown, call: string, subject: string): TsmError {
    return ec2Error(e, call, subject, this.c.region);
  }

  private checkAbort(): void {
    const s = this.ctx.signal;
    if (s?.aborted) throw new TsmError('ABORTED', `creating "${this.ctx.name}" was interrupted`, { cause: s.reason });
  }

  private tags(): Record<string, string> {
    return { ...this.c.tags, Name: this.ctx.name, 'tsmachine-machine': this.ctx.name };
  }

  async preCreateCheck(): Promise<void> {
    const c = this.c;
    let zones: Array<{ name: string; state: string }>;
    try {
      zones = await this.api.describeZones();
    } catch (e) {
      throw ec2Error(e, 'DescribeAvailabilityZones', `region ${c.region}`, c.region, 'PRECREATE_FAILED');
    }
    const problems: Problem[] = [];
    const zone = zones.find((z) => z.name === `${c.region}${c.zone}`);
    const letters = zones.map((z) => z.name.slice(c.region.length)).join(', ');
    if (!zone) problems.push({ field: '--amazonec2-zone', message: `zone ${c.region}${c.zone} does not exist`, suggestion: `use one of: ${letters}` });
    else if (zone.state !== 'available') problems.push({ field: '--amazonec2-zone', message: `zone ${zone.name} is ${zone.state}`, suggestion: `use another of: ${letters}` });
    if (c.sshKeyPath) {
      await access(c.sshKeyPath, constants.R_OK).catch(() => problems.push({ field: '--amazonec2-ssh-keypath', message: `${c.sshKeyPath} cannot be read` }));
    }
    try {
      this.plan = await resolvePlan(this.api, c, problems);
    } catch (e) {
      throw ec2Error(e, 'Describe*', `the launch plan of "${this.ctx.name}"`, c.region, 'PRECREATE_FAILED');
    }
    throwIfProblems(problems, 'PRECREATE_FAILED');
  }

  private async launchPlan(): Promise<LaunchPlan> {
    if (this.plan) return this.plan;
    const problems: Problem[] = [];
    const plan = await resolvePlan(this.api, this.c, problems).catch((e) => {
      throw this.fail(e, 'Describe*', `the launch plan of "${this.ctx.name}"`);
    });
    throwIfProblems(problems, 'PRECREATE_FAILED');
    return (this.plan = plan!);
  }

  async create(): Promise<void> {
    const plan = await this.launchPlan();
    this.c.imageId = plan.image.id;
    this.c.usedVpcId = plan.vpcId;
    this.c.usedSubnetId = plan.subnetId;
    await this.ctx.save();
    this.checkAbort();
    const groupId = await this.ensureSecurityGroup(plan.vpcId);
    const keyName = await this.ensureKeyPair();
    const instance = await this.launch(plan, groupId, keyName);
    await this.waitUp(instance.id);
  }

  /** The named group: reused (and completed with missing rules) when it exists, else created and recorded. */
  private async ensureSecurityGroup(vpcId: string): Promise<string> {
    const c = this.c;
    const name = c.securityGroup;
    let group = await this.api.findSecurityGroup(vpcId, name).catch((e) => {
      throw this.fail(e, 'DescribeSecurityGroups', `security group ${name}`);
    });
    const created = !group || group.id === c.resources.securityGroupId;
    if (!group) {
      this.ctx.progress({ kind: 'info', message: `Creating security group ${name} in ${vpcId}` });
      const id = await this.api.createSecurityGroup(vpcId, name, `tsmachine: SSH and the engine's TLS port`, this.tags()).catch((e) => {
        throw this.fail(e, 'CreateSecurityGroup', `security group ${name}`);
      });
      c.resources.securityGroupId = id;
      await this.ctx.save();
      this.checkAbort();
      group = { id, name, vpcId, ingress: [] };
    } else if (!created) {
      this.ctx.progress({ kind: 'info', message: `Reusing security group ${name} (${group.id}); it is kept on rm` });
    }
    if (created || !c.securityGroupReadonly) {
      const missing = missingRules(desiredRules(c), group.ingress);
      if (missing.length > 0) {
        this.ctx.progress({ kind: 'info', message: `Opening ${missing.map((r) => `${r.fromPort}/${r.protocol}`).join(', ')} in ${group.id}` });
        await this.api.authorizeIngress(group.id, missing).catch((e) => {
          if (awsErrorCode(e) !== 'InvalidPermission.Duplicate') throw this.fail(e, 'AuthorizeSecurityGroupIngress', `security group ${group!.id}`);
        });
        this.checkAbort();
      }
    }
    return group.id;
  }

  /** The given key pair, or the machine's public key imported under a random name (recorded before the call). */
  private async ensureKeyPair(): Promise<string> {
    const r = this.c.resources;
    if (this.c.keypairName) return this.c.keypairName;
    if (r.keyPairName && r.keyPairId) return r.keyPairName;
    if (!r.keyPairName) {
      r.keyPairName = `tsmachine-${this.ctx.name}-${randomBytes(4).toString('hex')}`;
      await this.ctx.save();
    }
    this.ctx.progress({ kind: 'info', message: `Importing the machine's SSH key as key pair ${r.keyPairName}` });
    try {
      r.keyPairId = await this.api.importKeyPair(r.keyPairName, this.ctx.sshPublicKey, this.tags());
    } catch (e) {
      // The random name is ours: a duplicate is our own earlier import whose answer was lost.
      if (awsErrorCode(e) !== 'InvalidKeyPair.Duplicate') throw this.fail(e, 'ImportKeyPair', `key pair ${r.keyPairName}`);
    }
    await this.ctx.save();
    this.checkAbort();
    return r.keyPairName;
  }

  private async launch(plan: LaunchPlan, groupId: string, keyName: string): Promise<{ id: string }> {
    const c = this.c;
    const r = c.resources;
    if (r.instanceId) return { id: r.instanceId };
    r.clientToken ??= randomUUID();
    await this.ctx.save();
    this.ctx.progress({ kind: 'info', message: `Launching ${c.spot ? 'spot ' : ''}${c.instanceType} from ${plan.image.id} (${plan.image.name}) in ${plan.subnetId}` });
    const inst = await this.api
      .runInstance({
        clientToken: r.clientToken,
        imageId: plan.image.id,
        instanceType: c.instanceType,
        subnetId: plan.subnetId,
        securityGroupId: groupId,
        associatePublicIp: !c.privateAddressOnly,
        keyName,
        rootDeviceName: plan.image.rootDeviceName,
        rootSizeGb: c.rootSizeGb,
        volumeType: c.volumeType,
        userData: c.keypairName && !c.sshKeyPath ? `#cloud-config\nssh_authorized_keys:\n  - ${this.ctx.sshPublicKey.trim()}\n` : undefined,
        monitoring: c.monitoring,
        iamInstanceProfile: c.iamInstanceProfile,
        spot: c.spot ? { maxPrice: c.spotPrice } : undefined,
        tags: this.tags(),
      })
      .catch((e) => {
        throw this.fail(e, 'RunInstances', `machine "${this.ctx.name}"`);
      });
    r.instanceId = inst.id;
    if (inst.spotRequestId) r.spotRequestId = inst.spotRequestId;
    await this.ctx.save();
    this.checkAbort();
    return inst;
  }

  /** Waits for running, then for the address clients will use; records the addresses. */
  private async waitUp(id: string): Promise<void> {
    const signal = this.ctx.signal;
    await waitForInstance(this.w, { id, what: `instance ${id} to be running`, timeoutMs: this.timeouts.running, signal, done: (i) => i?.state === 'running', hopeless: ['terminated', 'shutting-down', 'stopped', 'stopping'] });
    const inst = await waitForInstance(this.w, { id, what: `instance ${id} to get ${this.wantsPublic() ? 'a public' : 'a private'} IP address`, timeoutMs: this.timeouts.address, signal, done: (i) => !!i && !!this.pick(i) });
    this.remember(inst!);
    await this.ctx.save();
  }

  private wantsPublic(): boolean {
    return !this.c.privateAddressOnly && !this.c.usePrivateAddress;
  }

  private pick(i: Ec2Instance): string | undefined {
    return this.wantsPublic() ? i.publicIp : i.privateIp;
  }

  private remember(i: Ec2Instance): void {
    const c = this.c;
    for (const k of ['publicIp', 'privateIp', 'publicDns', 'privateDns'] as const) {
      if (i[k]) c[k] = i[k];
      else delete c[k];
    }
  }

  private instanceId(): string {
    const id = this.c.resources.instanceId;
    if (!id) throw new TsmError('MACHINE_NOT_FOUND', `EC2 machine "${this.ctx.name}" has no instance`, { suggestion: `remove it and create it again: tsmachine rm ${this.ctx.name}` });
    return id;
  }

  private async call(what: string, fn: (id: string) => Promise<void>): Promise<string> {
    const id = this.instanceId();
    await fn(id).catch((e) => {
      throw this.fail(e, what, `instance ${id}`);
    });
    return id;
  }

  async start(): Promise<void> {
    const id = await this.call('StartInstances', (i) => this.api.startInstance(i));
    await this.waitUp(id);
  }

  async stop(): Promise<void> {
    await this.powerOff(false);
  }

  async kill(): Promise<void> {
    await this.powerOff(true);
  }

  private async powerOff(force: boolean): Promise<void> {
    if (this.c.spot) {
      throw new TsmError('NOT_SUPPORTED', `machine "${this.ctx.name}" is a one-time spot instance: EC2 cannot stop it`, {
        suggestion: `restart it with "tsmachine restart ${this.ctx.name}" or remove it with "tsmachine rm ${this.ctx.name}"`,
      });
    }
    const id = await this.call('StopInstances', (i) => this.api.stopInstance(i, force));
    await waitForInstance(this.w, { id, what: `instance ${id} to be stopped`, timeoutMs: this.timeouts.stopped, signal: this.ctx.signal, done: (i) => i?.state === 'stopped', hopeless: ['terminated'] });
  }

  async restart(): Promise<void> {
    if ((await this.state()) === 'Stopped') return this.start();
    const id = await this.call('RebootInstances', (i) => this.api.rebootInstance(i));
    await this.waitUp(id);
  }

  async remove(): Promise<void> {
    await teardown({ ...this.w, ctx: this.ctx, timeouts: this.timeouts });
  }

  private async describe(): Promise<Ec2Instance | undefined> {
    const id = this.c.resources.instanceId;
    if (!id) return undefined;
    return this.api.describeInstance(id).catch((e) => {
      throw this.fail(e, 'DescribeInstances', `instance ${id}`);
    });
  }

  async state(): Promise<MachineState> {
    const i = await this.describe();
    if (!i) return 'None';
    return STATES[i.state] ?? 'Error';
  }

  async ip(): Promise<string> {
    const i = await this.describe();
    if (i) this.remember(i);
    const ip = this.wantsPublic() ? this.c.publicIp : this.c.privateIp;
    if (!i || i.state !== 'running' || !ip) {
      throw new TsmError('MACHINE_NOT_RUNNING', `EC2 machine "${this.ctx.name}" has no ${this.wantsPublic() ? 'public' : 'private'} address (instance ${i ? i.state : 'gone'})`, {
        suggestion: `start it: tsmachine start ${this.ctx.name}`,
      });
    }
    return ip;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    return { host: await this.ip(), port: 22, user: this.c.sshUser, privateKeyPath: this.c.sshKeyPath ?? this.ctx.sshKeyPath };
  }

  async addresses(): Promise<string[]> {
    const i = await this.describe();
    if (i && i.state === 'running') this.remember(i);
    const c = this.c;
    return [...new Set([c.publicIp, c.privateIp, c.publicDns, c.privateDns].filter((a): a is string => !!a))];
  }
}
