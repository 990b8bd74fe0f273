/**
 * A stateful fake of the EC2 API behind the amazonec2 driver's api.ts, keeping state like the
 * cloud: instances go pending -> running (address a poll later), stopping -> stopped,
 * shutting-down -> terminated; a new instance is invisible to DescribeInstances for one poll
 * (eventual consistency); a terminated instance's network interface holds its security group for
 * one more DeleteSecurityGroup (DependencyViolation); RunInstances is idempotent on its client
 * token. Errors are shaped like the SDK's (`name` = EC2 error code, $fault, $metadata).
 */
import { randomBytes } from 'node:crypto';
import type { ConformanceFake } from '../conformance/driver-conformance';
import type { Ec2Api, Ec2Image, Ec2Instance, Ec2SecurityGroup, Ec2Subnet, IngressRule, InstanceStateName, RunInstanceRequest } from '../../../src/drivers/amazonec2/api';
import { CANONICAL_OWNER } from '../../../src/drivers/amazonec2/image';
import type { Amazonec2DriverDeps } from '../../../src/drivers/amazonec2/driver';
import { Amazonec2Driver } from '../../../src/drivers/amazonec2/driver';
import { amazonec2ConfigFromFlags, type Amazonec2Config } from '../../../src/drivers/amazonec2/config';
import { amazonec2Flags } from '../../../src/drivers/amazonec2/flags';
import type { FlagValues } from '../../../src/drivers/driver';
import { makeDriverContext, type TestDriverContext } from '../driver-context';

export const FAKE_REGION = 'us-east-1';
export const DEFAULT_VPC = 'vpc-0d0d0d0d0d0d0d0d0';
export const OTHER_VPC = 'vpc-0e0e0e0e0e0e0e0e0';

export interface FakeImage extends Ec2Image {
  owner: string;
}

interface FakeInstance extends Ec2Instance {
  req: RunInstanceRequest | undefined;
  clientToken?: string;
  /** DescribeInstances calls until the next state step. */
  polls: number;
  /** DescribeInstances calls that do not see it yet. */
  invisible: number;
  /** DeleteSecurityGroup attempts its network interface still holds the group after termination. */
  eniHold: number;
  subnetId: string;
  keyName?: string;
  tags: Record<string, string>;
}

export function awsError(code: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name: code, Code: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

const hex = (n: number) => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);

/** Images Canonical (and an impostor) publish in the fake region: several builds per architecture. */
export function fakeImages(): FakeImage[] {
  const img = (id: string, name: string, architecture: string, creationDate: string, owner = CANONICAL_OWNER, state = 'available'): FakeImage => ({ id, name, architecture, creationDate, owner, state, rootDeviceName: '/dev/sda1' });
  return [
    img('ami-0a1000000000000a1', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115', 'x86_64', '2025-01-16T10:00:00.000Z'),
    img('ami-0a1000000000000a2', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250610', 'x86_64', '2025-06-11T10:00:00.000Z'),
    img('ami-0a1000000000000a0', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240423', 'x86_64', '2024-04-24T10:00:00.000Z'),
    img('ami-0b1000000000000b1', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20250610', 'arm64', '2025-06-11T10:00:00.000Z'),
    img('ami-0b1000000000000b0', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20250115', 'arm64', '2025-01-16T10:00:00.000Z'),
    img('ami-0c1000000000000c1', 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20251001', 'x86_64', '2025-10-02T10:00:00.000Z'),
    img('ami-0d1000000000000d1', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20991231', 'x86_64', '2099-12-31T10:00:00.000Z', '123456789012'),
    img('ami-0e1000000000000e1', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251201', 'x86_64', '2025-12-01T10:00:00.000Z', CANONICAL_OWNER, 'pending'),
  ];
}

/** Glob with * wildcards, as EC2 filters match. */
const glob = (pattern: string, s: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`).test(s);

export class FakeEc2 implements ConformanceFake {
  readonly creationCalls = ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'ImportKeyPair', 'RunInstances'] as const;
  /** Every call made, in order, with its main argument. */
  readonly calls: Array<{ call: string; arg?: unknown }> = [];
  readonly zones = ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => ({ name: `${FAKE_REGION}${l}`, state: l === 'e' ? 'impaired' : 'available' }));
  readonly instanceTypes: Record<string, string[]> = { 't3.micro': ['i386', 'x86_64'], 't3.small': ['i386', 'x86_64'], 't4g.small': ['arm64'], 'mac2.metal': ['arm64_mac'] };
  readonly images: FakeImage[] = fakeImages();
  readonly vpcs = [DEFAULT_VPC, OTHER_VPC];
  readonly subnets: Ec2Subnet[] = [
    ...this.zones.map((z, i) => ({ id: `subnet-0d0d0d0d0d0d0d0${i}`, vpcId: DEFAULT_VPC, zone: z.name, defaultForAz: true })),
    { id: 'subnet-0e0e0e0e0e0e0e0e1', vpcId: OTHER_VPC, zone: `${FAKE_REGION}b`, defaultForAz: false },
  ];
  readonly groups = new Map<string, Ec2SecurityGroup & { tags: Record<string, string>; baseline: boolean }>();
  readonly keyPairs = new Map<string, { id: string; name: string; publicKey: string; tags: Record<string, string>; baseline: boolean }>();
  readonly instances = new Map<string, FakeInstance>();
  readonly spotRequests = new Map<string, { state: 'active' | 'closed' | 'cancelled'; instanceId: string }>();
  /** Polls each transition takes. */
  stepPolls = 2;
  /** DeleteSecurityGroup attempts a terminated instance's network interface still holds its group. */
  eniHoldAttempts = 1;
  private readonly failures = new Map<string, Error>();
  private readonly hooks = new Map<string, () => void>();
  private readonly lostAnswers = new Set<string>();
  private credentialsRejected = false;
  private ipCounter = 10;

  constructor() {
    this.groups.set('sg-0d0d0d0d0default0', { id: 'sg-0d0d0d0d0default0', name: 'default', vpcId: DEFAULT_VPC, ingress: [], tags: {}, baseline: true });
  }

  // ---- ConformanceFake
  liveResources(): string[] {
    const out: string[] = [];
    for (const i of this.instances.values()) if (i.state !== 'terminated') out.push(`instance:${i.id}`);
    for (const g of this.groups.values()) if (!g.baseline) out.push(`security-group:${g.id}`);
    for (const k of this.keyPairs.values()) if (!k.baseline) out.push(`key-pair:${k.id}`);
    for (const [id, s] of this.spotRequests) if (s.state === 'active') out.push(`spot-request:${id}`);
    return out.sort();
  }
  failOn(call: string, error?: Error): void {
    this.failures.set(call, error ?? awsError(call === 'RunInstances' ? 'InsufficientInstanceCapacity' : 'InternalError', `injected failure of ${call}`, call === 'RunInstances' ? 400 : 500));
  }
  onCall(call: string, hook: () => void): void {
    this.hooks.set(call, hook);
  }
  /** The next `call` is carried out, but its answer is lost (a network timeout, as the SDK reports it). */
  loseAnswerOf(call: string): void {
    this.lostAnswers.add(call);
  }
  rejectCredentials(): void {
    this.credentialsRejected = true;
  }
  createForeignResource(): string {
    const id = `i-0f${hex(15)}`;
    this.instances.set(id, { id, state: 'running', securityGroupIds: ['sg-0d0d0d0d0default0'], req: undefined, polls: 0, invisible: 0, eniHold: 0, subnetId: this.subnets[0].id, tags: { Name: 'someone-else' }, privateIp: '172.31.9.9' });
    return `instance:${id}`;
  }

  // ---- helpers for tests
  /** A security group made outside tsmachine (e.g. the user's "tsmachine" group from earlier). */
  seedGroup(name: string, ingress: IngressRule[], vpcId = DEFAULT_VPC): string {
    const id = `sg-0${hex(16)}`;
    this.groups.set(id, { id, name, vpcId, ingress, tags: {}, baseline: true });
    return id;
  }
  seedKeyPair(name: string): string {
    const id = `key-0${hex(16)}`;
    this.keyPairs.set(name, { id, name, publicKey: 'ssh-ed25519 AAAA user', tags: {}, baseline: true });
    return id;
  }
  callNames(): string[] {
    return this.calls.map((c) => c.call);
  }

  /** The Ec2Api as a client for `region` sees it (only FAKE_REGION exists). */
  api(region = FAKE_REGION): Ec2Api {
    const run = async <T>(call: string, arg: unknown, fn: () => T): Promise<T> => {
      this.calls.push({ call, arg });
      await Promise.resolve();
      if (region !== FAKE_REGION) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ec2.${region}.amazonaws.com`), { code: 'ENOTFOUND' });
      if (this.credentialsRejected) throw awsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
      const failure = this.failures.get(call);
      if (failure) {
        this.failures.delete(call);
        throw failure;
      }
      const result = fn();
      if (this.lostAnswers.delete(call)) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      const hook = this.hooks.get(call);
      if (hook) {
        this.hooks.delete(call);
        hook();
      }
      return result;
    };
    const f = this;
    return {
      describeZones: () => run('DescribeAvailabilityZones', undefined, () => f.zones.map((z) => ({ ...z }))),
      describeInstanceType: (t) => run('DescribeInstanceTypes', t, () => (f.instanceTypes[t] ? { architectures: [...f.instanceTypes[t]] } : undefined)),
      describeImage: (id) => run('DescribeImages', id, () => strip(f.images.find((i) => i.id === id))),
      findImages: (owner, pattern, arch) =>
        run('DescribeImages', { owner, pattern, arch }, () =>
          f.images.filter((i) => i.owner === owner && glob(pattern, i.name) && i.architecture === arch && i.state === 'available').map((i) => strip(i)!),
        ),
      defaultVpcId: () => run('DescribeVpcs', 'default', () => DEFAULT_VPC),
      vpcExists: (id) => run('DescribeVpcs', id, () => f.vpcs.includes(id)),
      describeSubnet: (id) => run('DescribeSubnets', id, () => f.subnets.find((s) => s.id === id)),
      subnetsInZone: (vpcId, zone) => run('DescribeSubnets', { vpcId, zone }, () => f.subnets.filter((s) => s.vpcId === vpcId && s.zone === zone)),
      findSecurityGroup: (vpcId, nameOrId) =>
        run('DescribeSecurityGroups', nameOrId, () => {
          const g = [...f.groups.values()].find((x) => (nameOrId.startsWith('sg-') ? x.id === nameOrId : x.name === nameOrId && x.vpcId === vpcId));
          return g ? { id: g.id, name: g.name, vpcId: g.vpcId, ingress: g.ingress.map((r) => ({ ...r })) } : undefined;
        }),
      createSecurityGroup: (vpcId, name, _description, tags) => run('CreateSecurityGroup', { vpcId, name, tags }, () => f.createGroup(vpcId, name, tags)),
      authorizeIngress: (groupId, rules) => run('AuthorizeSecurityGroupIngress', { groupId, rules }, () => f.authorize(groupId, rules)),
      deleteSecurityGroup: (groupId) => run('DeleteSecurityGroup', groupId, () => f.deleteGroup(groupId)),
      instancesUsingGroup: (groupId) =>
        run('DescribeInstances', { groupId }, () => [...f.instances.values()].filter((i) => i.state !== 'terminated' && i.securityGroupIds.includes(groupId)).map((i) => i.id)),
      keyPairExists: (name) => run('DescribeKeyPairs', name, () => f.keyPairs.has(name)),
      importKeyPair: (name, publicKey, tags) => run('ImportKeyPair', { name, tags }, () => f.importKey(name, publicKey, tags)),
      deleteKeyPair: (name, id) =>
        run('DeleteKeyPair', { name, id }, () => {
          // Like EC2: deleting a key pair that does not exist succeeds.
          for (const [k, v] of f.keyPairs) if (v.name === name || v.id === id) f.keyPairs.delete(k);
        }),
      runInstance: (req) => run('RunInstances', req, () => f.runInstance(req)),
      describeInstance: (id) => run('DescribeInstances', id, () => f.describe(id)),
      instancesByClientToken: (token) =>
        run('DescribeInstances', { token }, () => [...f.instances.values()].filter((i) => i.clientToken === token && i.state !== 'terminated').map(view)),
      startInstance: (id) => run('StartInstances', id, () => f.transition(id, ['stopped'], 'pending')),
      stopInstance: (id, force) => run('StopInstances', { id, force }, () => f.transition(id, ['running', 'stopping'], 'stopping')),
      rebootInstance: (id) => run('RebootInstances', id, () => f.transition(id, ['running'], 'running')),
      terminateInstance: (id) => run('TerminateInstances', id, () => f.transition(id, ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'], 'shutting-down')),
      cancelSpotRequest: (id) =>
        run('CancelSpotInstanceRequests', id, () => {
          const s = f.spotRequests.get(id);
          if (!s) throw awsError('InvalidSpotInstanceRequestID.NotFound', `The spot instance request ID '${id}' does not exist`);
          if (s.state === 'active') s.state = 'cancelled';
        }),
    };
  }

  private createGroup(vpcId: string, name: string, tags: Record<string, string>): string {
    if (!this.vpcs.includes(vpcId)) throw awsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
    if ([...this.groups.values()].some((g) => g.name === name && g.vpcId === vpcId)) throw awsError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
    const id = `sg-0${hex(16)}`;
    this.groups.set(id, { id, name, vpcId, ingress: [], tags, baseline: false });
    return id;
  }

  private authorize(groupId: string, rules: IngressRule[]): void {
    const g = this.groups.get(groupId);
    if (!g) throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    for (const r of rules) {
      if (g.ingress.some((h) => h.protocol === r.protocol && h.fromPort === r.fromPort && h.toPort === r.toPort && h.cidr === r.cidr)) {
        throw awsError('InvalidPermission.Duplicate', `the specified rule "peer: ${r.cidr}, ${r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW" already exists`);
      }
    }
    g.ingress.push(...rules.map((r) => ({ ...r })));
  }

  private deleteGroup(groupId: string): void {
    const g = this.groups.get(groupId);
    if (!g) throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    for (const i of this.instances.values()) {
      if (!i.securityGroupIds.includes(groupId)) continue;
      if (i.state !== 'terminated' || i.eniHold > 0) {
        if (i.state === 'terminated') i.eniHold--;
        throw awsError('DependencyViolation', `resource ${groupId} has a dependent object`);
      }
    }
    this.groups.delete(groupId);
  }

  private importKey(name: string, publicKey: string, tags: Record<string, string>): string {
    if (this.keyPairs.has(name)) throw awsError('InvalidKeyPair.Duplicate', `The keypair already exists`);
    if (!/^ssh-(ed25519|rsa) [A-Za-z0-9+/=]+/.test(publicKey.trim())) throw awsError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
    const id = `key-0${hex(16)}`;
    this.keyPairs.set(name, { id, name, publicKey, tags, baseline: false });
    return id;
  }

  private runInstance(req: RunInstanceRequest): Ec2Instance {
    const same = [...this.instances.values()].find((i) => i.clientToken === req.clientToken);
    if (same) return view(same);
    const image = this.images.find((i) => i.id === req.imageId);
    if (!image) throw awsError('InvalidAMIID.NotFound', `The image id '[${req.imageId}]' does not exist`);
    const arches = this.instanceTypes[req.instanceType];
    if (!arches) throw awsError('InvalidParameterValue', `Invalid value '${req.instanceType}' for InstanceType.`);
    if (!arches.includes(image.architecture)) throw awsError('InvalidParameterValue', `The architecture '${arches[0]}' of the specified instance type does not match the architecture '${image.architecture}' of the specified AMI.`);
    const subnet = this.subnets.find((s) => s.id === req.subnetId);
    if (!subnet) throw awsError('InvalidSubnetID.NotFound', `The subnet ID '${req.subnetId}' does not exist`);
    const group = this.groups.get(req.securityGroupId);
    if (!group || group.vpcId !== subnet.vpcId) throw awsError('InvalidGroup.NotFound', `The security group '${req.securityGroupId}' does not exist in VPC '${subnet.vpcId}'`);
    if (!this.keyPairs.has(req.keyName)) throw awsError('InvalidKeyPair.NotFound', `The key pair '${req.keyName}' does not exist`);
    const id = `i-0${hex(16)}`;
    const n = this.ipCounter++;
    const inst: FakeInstance = {
      id, state: 'pending', securityGroupIds: [group.id], req, clientToken: req.clientToken, polls: this.stepPolls, invisible: 1, eniHold: 0,
      subnetId: subnet.id, keyName: req.keyName, tags: req.tags, privateIp: `172.31.0.${n}`, privateDns: `ip-172-31-0-${n}.ec2.internal`,
    };
    if (req.spot) {
      inst.spotRequestId = `sir-${hex(8)}`;
      this.spotRequests.set(inst.spotRequestId, { state: 'active', instanceId: id });
    }
    this.instances.set(id, inst);
    return view({ ...inst, privateIp: inst.privateIp });
  }

  private describe(id: string): Ec2Instance | undefined {
    const i = this.instances.get(id);
    if (!i) return undefined;
    if (i.invisible > 0) {
      i.invisible--;
      return undefined;
    }
    if (i.polls > 0) i.polls--;
    else this.step(i);
    return view(i);
  }

  private step(i: FakeInstance): void {
    const next: Partial<Record<InstanceStateName, InstanceStateName>> = { pending: 'running', stopping: 'stopped', 'shutting-down': 'terminated' };
    const to = next[i.state];
    if (to) {
      i.state = to;
      i.polls = this.stepPolls;
      if (to === 'terminated') this.onTerminated(i);
      if (to === 'stopped') this.dropPublicAddress(i);
      return;
    }
    if (i.state === 'running' && !i.publicIp && i.req?.associatePublicIp) {
      const n = this.ipCounter++;
      i.publicIp = `203.0.113.${n}`;
      i.publicDns = `ec2-203-0-113-${n}.compute-1.amazonaws.com`;
    }
  }

  private onTerminated(i: FakeInstance): void {
    this.dropPublicAddress(i);
    i.eniHold = this.eniHoldAttempts;
    const s = i.spotRequestId ? this.spotRequests.get(i.spotRequestId) : undefined;
    if (s?.state === 'active') s.state = 'closed';
  }

  private dropPublicAddress(i: FakeInstance): void {
    delete i.publicIp;
    delete i.publicDns;
  }

  private transition(id: string, from: InstanceStateName[], to: InstanceStateName): void {
    const i = this.instances.get(id);
    if (!i) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    if (to === 'shutting-down' && i.state === 'terminated') return;
    if (to === 'pending' && (i.state === 'running' || i.state === 'pending')) return;
    if (to === 'stopping' && i.spotRequestId) throw awsError('UnsupportedOperation', `You can't stop the Spot Instance '${id}' because it is associated with a one-time Spot Instance request.`);
    if (to === 'stopping' && i.state === 'stopped') return;
    if (!from.includes(i.state)) throw awsError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be ${to}`);
    if (i.state !== to) {
      i.state = to;
      i.polls = this.stepPolls;
    }
  }
}

function strip(i: FakeImage | undefined): Ec2Image | undefined {
  if (!i) return undefined;
  const { owner: _owner, ...rest } = i;
  return { ...rest };
}

function view(i: FakeInstance): Ec2Instance {
  const { id, state, publicIp, privateIp, publicDns, privateDns, spotRequestId, securityGroupIds } = i;
  const out: Ec2Instance = { id, state, publicIp, privateIp, publicDns, privateDns, spotRequestId, securityGroupIds: [...securityGroupIds] };
  for (const k of Object.keys(out) as (keyof Ec2Instance)[]) if (out[k] === undefined) delete out[k];
  return out;
}

// ---- test wiring shared by the amazonec2 test files

/** Waits that poll every ms and give up in seconds, so the fake's transitions take no time. */
export const FAST: Omit<Amazonec2DriverDeps, 'api'> = {
  pollMs: 1,
  timeouts: { running: 2000, address: 2000, stopped: 2000, terminated: 2000, groupRelease: 2000 },
};

/** Flag values as the CLI gives them: every default applied, then `flags`. */
export function flagValues(flags: FlagValues = {}): FlagValues {
  const v: FlagValues = {};
  for (const f of amazonec2Flags) if (f.default !== undefined) v[f.name] = f.default;
  return { ...v, ...flags };
}

export interface Ec2Subject {
  fake: FakeEc2;
  ctx: TestDriverContext<Amazonec2Config>;
  driver: Amazonec2Driver;
}

/** A driver over a fresh fake (or `fake`) with a valid config from `flags`. */
export function ec2Subject(flags: FlagValues = {}, o: { fake?: FakeEc2; signal?: AbortSignal; name?: string } = {}): Ec2Subject {
  const { config, problems } = amazonec2ConfigFromFlags(flagValues(flags));
  if (problems.length) throw new Error(`bad test flags: ${JSON.stringify(problems)}`);
  const fake = o.fake ?? new FakeEc2();
  const ctx = makeDriverContext({ name: o.name ?? 'web1', config, signal: o.signal });
  return { fake, ctx, driver: new Amazonec2Driver(ctx, { api: fake.api(config.region), ...FAST }) };
}
