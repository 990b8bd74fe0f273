import type { Problem } from '../../core/errors';
import type { Ec2Api, Ec2Image } from './api';
import type { Amazonec2Config } from './config';
import { latestUbuntuImage, pickArchitecture } from './image';

/** Where and what to launch, resolved from the config against the account (creates nothing). */
export interface LaunchPlan {
  vpcId: string;
  subnetId: string;
  zone: string;
  image: Ec2Image;
}

/** The instance type's architecture, or a problem naming --amazonec2-instance-type. */
export async function instanceArchitecture(api: Ec2Api, c: Amazonec2Config, problems: Problem[]): Promise<string | undefined> {
  const type = await api.describeInstanceType(c.instanceType);
  if (!type) {
    problems.push({
      field: '--amazonec2-instance-type',
      message: `"${c.instanceType}" is not an instance type offered in ${c.region}`,
      suggestion: 'e.g. t3.micro, t3.small, m7i.large, or t4g.small for arm64 ("aws ec2 describe-instance-types" lists them)',
    });
    return undefined;
  }
  const arch = pickArchitecture(type.architectures);
  if (!arch) {
    problems.push({ field: '--amazonec2-instance-type', message: `"${c.instanceType}" runs ${type.architectures.join('/')} only`, suggestion: 'choose an x86_64 or arm64 instance type' });
  }
  return arch;
}

/** The AMI to launch: the one asked for (checked), or the newest Ubuntu 24.04 LTS image for `arch`. */
export async function resolveImage(api: Ec2Api, c: Amazonec2Config, arch: string | undefined, problems: Problem[]): Promise<Ec2Image | undefined> {
  if (c.ami) {
    const img = await api.describeImage(c.ami);
    if (!img) {
      problems.push({ field: '--amazonec2-ami', message: `image ${c.ami} does not exist in ${c.region} or is not visible to this account`, suggestion: 'AMI ids differ per region; omit the flag for the newest Ubuntu 24.04 LTS image' });
    } else if (img.state && img.state !== 'available') {
      problems.push({ field: '--amazonec2-ami', message: `image ${c.ami} is ${img.state}, not available` });
    } else if (arch && img.architecture && img.architecture !== arch) {
      problems.push({ field: '--amazonec2-ami', message: `image ${c.ami} is ${img.architecture} but ${c.instanceType} runs ${arch}`, suggestion: 'choose an image and instance type of the same architecture' });
    }
    return img;
  }
  if (!arch) return undefined;
  const img = await latestUbuntuImage(api, arch);
  if (!img) {
    problems.push({ field: '--amazonec2-ami', message: `no Canonical Ubuntu 24.04 LTS ${arch} image was found in ${c.region}`, suggestion: 'give an image with --amazonec2-ami' });
  }
  return img;
}

/** The VPC and subnet: the ones given (checked), else the subnet's VPC or the default VPC and its subnet in the zone. */
export async function resolveNetwork(api: Ec2Api, c: Amazonec2Config, problems: Problem[]): Promise<{ vpcId: string; subnetId: string; zone: string } | undefined> {
  const zone = `${c.region}${c.zone}`;
  if (c.subnetId) {
    const s = await api.describeSubnet(c.subnetId);
    if (!s) {
      problems.push({ field: '--amazonec2-subnet-id', message: `subnet ${c.subnetId} does not exist in ${c.region}` });
      return undefined;
    }
    if (c.vpcId && s.vpcId !== c.vpcId) {
      problems.push({ field: '--amazonec2-subnet-id', message: `subnet ${c.subnetId} belongs to ${s.vpcId}, not --amazonec2-vpc-id ${c.vpcId}` });
      return undefined;
    }
    return { vpcId: s.vpcId, subnetId: s.id, zone: s.zone };
  }
  let vpcId = c.vpcId;
  if (vpcId && !(await api.vpcExists(vpcId))) {
    problems.push({ field: '--amazonec2-vpc-id', message: `VPC ${vpcId} does not exist in ${c.region}` });
    return undefined;
  }
  vpcId ??= await api.defaultVpcId();
  if (!vpcId) {
    problems.push({ field: '--amazonec2-vpc-id', message: `region ${c.region} has no default VPC`, suggestion: 'give --amazonec2-vpc-id and --amazonec2-subnet-id, or create a default VPC ("aws ec2 create-default-vpc")' });
    return undefined;
  }
  const subnets = await api.subnetsInZone(vpcId, zone);
  const subnet = subnets.find((s) => s.defaultForAz) ?? subnets[0];
  if (!subnet) {
    problems.push({ field: '--amazonec2-subnet-id', message: `${vpcId} has no subnet in zone ${zone}`, suggestion: 'give --amazonec2-subnet-id, or another --amazonec2-zone' });
    return undefined;
  }
  return { vpcId, subnetId: subnet.id, zone };
}

/** Checks that a group given by id exists (a group given by name is created when missing). */
export async function checkGivenGroup(api: Ec2Api, c: Amazonec2Config, vpcId: string, problems: Problem[]): Promise<void> {
  if (!/^sg-[0-9a-f]+$/.test(c.securityGroup)) return;
  const g = await api.findSecurityGroup(vpcId, c.securityGroup);
  if (!g) problems.push({ field: '--amazonec2-security-group', message: `security group ${c.securityGroup} does not exist in ${c.region}` });
  else if (g.vpcId !== vpcId) problems.push({ field: '--amazonec2-security-group', message: `security group ${c.securityGroup} belongs to ${g.vpcId}, not ${vpcId}` });
}

/** Everything create needs, or the problems found (several at once). */
export async function resolvePlan(api: Ec2Api, c: Amazonec2Config, problems: Problem[]): Promise<LaunchPlan | undefined> {
  const arch = await instanceArchitecture(api, c, problems);
  const image = await resolveImage(api, c, arch, problems);
  const net = await resolveNetwork(api, c, problems);
  if (net) await checkGivenGroup(api, c, net.vpcId, problems);
  if (c.keypairName && !(await api.keyPairExists(c.keypairName))) {
    problems.push({ field: '--amazonec2-keypair-name', message: `key pair "${c.keypairName}" does not exist in ${c.region}`, suggestion: 'omit it to let tsmachine import the machine\'s own key' });
  }
  return image && net && problems.length === 0 ? { ...net, image } : undefined;
}
