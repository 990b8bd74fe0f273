/**
 * The EC2 calls the amazonec2 driver makes, and nothing else. The real adapter (sdk-api.ts)
 * wraps @aws-sdk/client-ec2; tests use a stateful fake. Errors keep the SDK's shape: `name` is
 * the EC2 error code (e.g. "InvalidInstanceID.NotFound"), so the driver classifies them the same
 * way for both.
 */

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface Ec2Instance {
  id: string;
  state: InstanceStateName;
  publicIp?: string;
  privateIp?: string;
  publicDns?: string;
  privateDns?: string;
  spotRequestId?: string;
  securityGroupIds: string[];
}

export interface Ec2Image {
  id: string;
  name: string;
  /** x86_64 or arm64 */
  architecture: string;
  /** ISO 8601 */
  creationDate: string;
  state: string;
  /** e.g. /dev/sda1: the root volume's device in the block device mapping. */
  rootDeviceName: string;
}

export interface Ec2Subnet {
  id: string;
  vpcId: string;
  zone: string;
  defaultForAz: boolean;
}

export interface IngressRule {
  protocol: 'tcp' | 'udp';
  fromPort: number;
  toPort: number;
  cidr: string;
}

export interface Ec2SecurityGroup {
  id: string;
  name: string;
  vpcId: string;
  ingress: IngressRule[];
}

export interface RunInstanceRequest {
  clientToken: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  securityGroupId: string;
  associatePublicIp: boolean;
  keyName: string;
  rootDeviceName: string;
  rootSizeGb: number;
  volumeType: string;
  /** Cloud-init user data (plain text; the adapter base64-encodes it). */
  userData?: string;
  monitoring: boolean;
  iamInstanceProfile?: string;
  /** One-time spot instance, optional maximum price. */
  spot?: { maxPrice?: string };
  tags: Record<string, string>;
}

export interface Ec2Api {
  /** The cheap credential check, also listing the region's zones (name -> state). */
  describeZones(): Promise<Array<{ name: string; state: string }>>;
  /** The instance type's supported architectures; undefined when the type does not exist here. */
  describeInstanceType(type: string): Promise<{ architectures: string[] } | undefined>;
  /** One AMI by id; undefined when it does not exist (or is not visible). */
  describeImage(id: string): Promise<Ec2Image | undefined>;
  /** Available images of `owner` whose name matches the pattern (with * wildcards) and architecture. */
  findImages(owner: string, namePattern: string, architecture: string): Promise<Ec2Image[]>;
  /** The region's default VPC id, if there is one. */
  defaultVpcId(): Promise<string | undefined>;
  vpcExists(id: string): Promise<boolean>;
  describeSubnet(id: string): Promise<Ec2Subnet | undefined>;
  /** Subnets of a VPC in one zone. */
  subnetsInZone(vpcId: string, zone: string): Promise<Ec2Subnet[]>;
  /** A group by name within a VPC, or by sg- id. */
  findSecurityGroup(vpcId: string, nameOrId: string): Promise<Ec2SecurityGroup | undefined>;
  createSecurityGroup(vpcId: string, name: string, description: string, tags: Record<string, string>): Promise<string>;
  authorizeIngress(groupId: string, rules: IngressRule[]): Promise<void>;
  /** Throws DependencyViolation while something still uses the group. */
  deleteSecurityGroup(groupId: string): Promise<void>;
  /** Ids of instances (not terminated) that use the group. */
  instancesUsingGroup(groupId: string): Promise<string[]>;
  keyPairExists(name: string): Promise<boolean>;
  /** Returns the key pair id. */
  importKeyPair(name: string, publicKey: string, tags: Record<string, string>): Promise<string>;
  deleteKeyPair(name: string, id?: string): Promise<void>;
  runInstance(req: RunInstanceRequest): Promise<Ec2Instance>;
  /** undefined when the id is unknown (InvalidInstanceID.NotFound). */
  describeInstance(id: string): Promise<Ec2Instance | undefined>;
  /** Instances launched with this idempotency token (any state but terminated). */
  instancesByClientToken(token: string): Promise<Ec2Instance[]>;
  startInstance(id: string): Promise<void>;
  stopInstance(id: string, force: boolean): Promise<void>;
  rebootInstance(id: string): Promise<void>;
  terminateInstance(id: string): Promise<void>;
  cancelSpotRequest(id: string): Promise<void>;
}

/** The EC2 error code of an SDK (or fake) error: its `name`, or `Code` when present. */
export function awsErrorCode(e: unknown): string {
  if (e && typeof e === 'object') {
    const o = e as { Code?: unknown; name?: unknown; code?: unknown };
    if (typeof o.Code === 'string') return o.Code;
    if (typeof o.name === 'string' && o.name !== 'Error') return o.name;
    if (typeof o.code === 'string') return o.code;
  }
  return '';
}

/** True for "this thing is gone" answers: *.NotFound, *.Malformed ids are not that. */
export function isNotFound(e: unknown): boolean {
  return /NotFound$/.test(awsErrorCode(e));
}
