import {
  AuthorizeSecurityGroupIngressCommand,
  CancelSpotInstanceRequestsCommand,
  CreateSecurityGroupCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ImportKeyPairCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
  type Image,
  type Instance,
  type ResourceType,
  type RunInstancesCommandInput,
  type SecurityGroup,
  type Subnet,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import type { Amazonec2Config } from './config';
import { awsErrorCode, type Ec2Api, type Ec2Image, type Ec2Instance, type Ec2SecurityGroup, type Ec2Subnet, type IngressRule, type RunInstanceRequest } from './api';

const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

function filters(f: Record<string, string[]>): Filter[] {
  return Object.entries(f).map(([Name, Values]) => ({ Name, Values }));
}

function tagSpec(type: ResourceType, tags: Record<string, string>): TagSpecification {
  return { ResourceType: type, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
}

/** Resolves to undefined when the call fails with one of `codes` (e.g. a NotFound). */
async function unlessCode<T>(p: Promise<T>, ...codes: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (codes.includes(awsErrorCode(e))) return undefined;
    throw e;
  }
}

function toInstance(i: Instance): Ec2Instance {
  return {
    id: i.InstanceId ?? '',
    state: (i.State?.Name ?? 'pending') as Ec2Instance['state'],
    publicIp: i.PublicIpAddress || undefined,
    privateIp: i.PrivateIpAddress || undefined,
    publicDns: i.PublicDnsName || undefined,
    privateDns: i.PrivateDnsName || undefined,
    spotRequestId: i.SpotInstanceRequestId || undefined,
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
  };
}

function toImage(i: Image): Ec2Image {
  return {
    id: i.ImageId ?? '',
    name: i.Name ?? '',
    architecture: i.Architecture ?? '',
    creationDate: i.CreationDate ?? '',
    state: i.State ?? '',
    rootDeviceName: i.RootDeviceName ?? '/dev/sda1',
  };
}

function toSubnet(s: Subnet): Ec2Subnet {
  return { id: s.SubnetId ?? '', vpcId: s.VpcId ?? '', zone: s.AvailabilityZone ?? '', defaultForAz: s.DefaultForAz === true };
}

function toGroup(g: SecurityGroup): Ec2SecurityGroup {
  const ingress: IngressRule[] = [];
  for (const p of g.IpPermissions ?? []) {
    if (p.IpProtocol !== 'tcp' && p.IpProtocol !== 'udp' && p.IpProtocol !== '-1') continue;
    for (const r of p.IpRanges ?? []) {
      const all = p.IpProtocol === '-1';
      for (const protocol of all ? (['tcp', 'udp'] as const) : [p.IpProtocol as 'tcp' | 'udp']) {
        ingress.push({ protocol, fromPort: all ? 0 : p.FromPort ?? 0, toPort: all ? 65535 : p.ToPort ?? 0, cidr: r.CidrIp ?? '' });
      }
    }
  }
  return { id: g.GroupId ?? '', name: g.GroupName ?? '', vpcId: g.VpcId ?? '', ingress };
}

/** The real EC2 adapter: one SDK client per driver instance, built from the machine's config. */
export class SdkEc2Api implements Ec2Api {
  private readonly ec2: EC2Client;

  constructor(c: Pick<Amazonec2Config, 'region' | 'endpoint' | 'accessKey' | 'secretKey' | 'sessionToken'>, opts: { maxAttempts?: number } = {}) {
    // The SDK warns on stderr about Node 20 at the first client; library code never prints.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const credentials = c.accessKey && c.secretKey ? { accessKeyId: c.accessKey, secretAccessKey: c.secretKey, sessionToken: c.sessionToken } : undefined;
    this.ec2 = new EC2Client({ region: c.region, endpoint: c.endpoint, credentials, maxAttempts: opts.maxAttempts });
  }

  async describeZones() {
    const r = await this.ec2.send(new DescribeAvailabilityZonesCommand({}));
    return (r.AvailabilityZones ?? []).map((z) => ({ name: z.ZoneName ?? '', state: z.State ?? '' }));
  }

  async describeInstanceType(type: string) {
    const r = await unlessCode(this.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as never] })), 'InvalidInstanceType');
    const info = r?.InstanceTypes?.[0];
    return info ? { architectures: (info.ProcessorInfo?.SupportedArchitectures ?? []).map(String) } : undefined;
  }

  async describeImage(id: string) {
    const r = await unlessCode(this.ec2.send(new DescribeImagesCommand({ ImageIds: [id] })), 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable');
    const img = r?.Images?.[0];
    return img ? toImage(img) : undefined;
  }

  async findImages(owner: string, namePattern: string, architecture: string) {
    const r = await this.ec2.send(
      new DescribeImagesCommand({ Owners: [owner], Filters: filters({ name: [namePattern], architecture: [architecture], state: ['available'] }) }),
    );
    return (r.Images ?? []).map(toImage);
  }

  async defaultVpcId() {
    const r = await this.ec2.send(new DescribeVpcsCommand({ Filters: filters({ isDefault: ['true'] }) }));
    return r.Vpcs?.[0]?.VpcId;
  }

  async vpcExists(id: string) {
    const r = await unlessCode(this.ec2.send(new DescribeVpcsCommand({ VpcIds: [id] })), 'InvalidVpcID.NotFound');
    return (r?.Vpcs?.length ?? 0) > 0;
  }

  async describeSubnet(id: string) {
    const r = await unlessCode(this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] })), 'InvalidSubnetID.NotFound');
    const s = r?.Subnets?.[0];
    return s ? toSubnet(s) : undefined;
  }

  async subnetsInZone(vpcId: string, zone: string) {
    const r = await this.ec2.send(new DescribeSubnetsCommand({ Filters: filters({ 'vpc-id': [vpcId], 'availability-zone': [zone] }) }));
    return (r.Subnets ?? []).map(toSubnet);
  }

  async findSecurityGroup(vpcId: string, nameOrId: string) {
    const input = /^sg-[0-9a-f]+$/.test(nameOrId)
      ? { GroupIds: [nameOrId] }
      : { Filters: filters({ 'group-name': [nameOrId], 'vpc-id': [vpcId] }) };
    const r = await unlessCode(this.ec2.send(new DescribeSecurityGroupsCommand(input)), 'InvalidGroup.NotFound');
    const g = r?.SecurityGroups?.[0];
    return g ? toGroup(g) : undefined;
  }

  async createSecurityGroup(vpcId: string, name: string, description: string, tags: Record<string, string>) {
    const r = await this.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: name, Description: description, VpcId: vpcId, TagSpecifications: [tagSpec('security-group', tags)] }),
    );
    if (!r.GroupId) throw new Error(`CreateSecurityGroup for "${name}" returned no group id`);
    return r.GroupId;
  }

  async authorizeIngress(groupId: string, rules: IngressRule[]) {
    const IpPermissions = rules.map((r) => ({
      IpProtocol: r.protocol,
      FromPort: r.fromPort,
      ToPort: r.toPort,
      IpRanges: [{ CidrIp: r.cidr, Description: 'tsmachine' }],
    }));
    await this.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions }));
  }

  async deleteSecurityGroup(groupId: string) {
    await this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
  }

  async instancesUsingGroup(groupId: string) {
    const r = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters({ 'instance.group-id': [groupId], 'instance-state-name': LIVE_STATES }) }));
    return (r.Reservations ?? []).flatMap((res) => res.Instances ?? []).map((i) => i.InstanceId ?? '');
  }

  async keyPairExists(name: string) {
    const r = await unlessCode(this.ec2.send(new DescribeKeyPairsCommand({ KeyNames: [name] })), 'InvalidKeyPair.NotFound');
    return (r?.KeyPairs?.length ?? 0) > 0;
  }

  async importKeyPair(name: string, publicKey: string, tags: Record<string, string>) {
    const r = await this.ec2.send(
      new ImportKeyPairCommand({ KeyName: name, PublicKeyMaterial: Buffer.from(publicKey.trim()), TagSpecifications: [tagSpec('key-pair', tags)] }),
    );
    return r.KeyPairId ?? '';
  }

  async deleteKeyPair(name: string, id?: string) {
    await this.ec2.send(new DeleteKeyPairCommand(id ? { KeyPairId: id } : { KeyName: name }));
  }

  async runInstance(req: RunInstanceRequest) {
    const r = await this.ec2.send(new RunInstancesCommand(runInstancesInput(req)));
    const i = r.Instances?.[0];
    if (!i?.InstanceId) throw new Error('RunInstances returned no instance');
    return toInstance(i);
  }

  async describeInstance(id: string) {
    const r = await unlessCode(this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })), 'InvalidInstanceID.NotFound');
    const i = r?.Reservations?.[0]?.Instances?.[0];
    return i ? toInstance(i) : undefined;
  }

  async instancesByClientToken(token: string) {
    const r = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters({ 'client-token': [token], 'instance-state-name': LIVE_STATES }) }));
    return (r.Reservations ?? []).flatMap((res) => res.Instances ?? []).map(toInstance);
  }

  async startInstance(id: string) {
    await this.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
  }

  async stopInstance(id: string, force: boolean) {
    await this.ec2.send(new StopInstancesCommand({ InstanceIds: [id], Force: force || undefined }));
  }

  async rebootInstance(id: string) {
    await this.ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
  }

  async terminateInstance(id: string) {
    await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  }

  async cancelSpotRequest(id: string) {
    await this.ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }));
  }
}

/** RunInstances for one instance: its own ENI in the subnet, tagged root volume, IMDSv2 only. */
export function runInstancesInput(req: RunInstanceRequest): RunInstancesCommandInput {
  const profile = req.iamInstanceProfile;
  const specs = [tagSpec('instance', req.tags), tagSpec('volume', req.tags), tagSpec('network-interface', req.tags)];
  if (req.spot) specs.push(tagSpec('spot-instances-request', req.tags));
  return {
    MinCount: 1,
    MaxCount: 1,
    ClientToken: req.clientToken,
    ImageId: req.imageId,
    InstanceType: req.instanceType as never,
    KeyName: req.keyName,
    NetworkInterfaces: [
      { DeviceIndex: 0, SubnetId: req.subnetId, Groups: [req.securityGroupId], AssociatePublicIpAddress: req.associatePublicIp, DeleteOnTermination: true },
    ],
    BlockDeviceMappings: [
      { DeviceName: req.rootDeviceName, Ebs: { VolumeSize: req.rootSizeGb, VolumeType: req.volumeType as never, DeleteOnTermination: true } },
    ],
    UserData: req.userData ? Buffer.from(req.userData).toString('base64') : undefined,
    Monitoring: { Enabled: req.monitoring },
    IamInstanceProfile: profile ? (profile.startsWith('arn:') ? { Arn: profile } : { Name: profile }) : undefined,
    InstanceMarketOptions: req.spot
      ? { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate', MaxPrice: req.spot.maxPrice } }
      : undefined,
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
    TagSpecifications: specs,
  };
}
