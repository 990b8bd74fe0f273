import type { Ec2Api, Ec2Image } from './api';

/** Canonical's AWS account: the owner of the official Ubuntu images. */
export const CANONICAL_OWNER = '099720109477';

/** EC2 architecture name -> Ubuntu's name in the image name. */
const UBUNTU_ARCH: Record<string, string> = { x86_64: 'amd64', arm64: 'arm64' };

/** The name pattern of Ubuntu 24.04 LTS (noble) server images on gp3 for an EC2 architecture. */
export function ubuntuNamePattern(architecture: string): string {
  return `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${UBUNTU_ARCH[architecture] ?? architecture}-server-*`;
}

/** The architecture to launch for an instance type: x86_64 when it runs it, else arm64; undefined otherwise. */
export function pickArchitecture(supported: string[]): 'x86_64' | 'arm64' | undefined {
  if (supported.includes('x86_64')) return 'x86_64';
  if (supported.includes('arm64')) return 'arm64';
  return undefined;
}

/** The newest image: latest creation date, then highest name (the name ends in the build date). */
export function newestImage(images: Ec2Image[]): Ec2Image | undefined {
  return [...images]
    .filter((i) => i.state === 'available' || i.state === '')
    .sort((a, b) => (b.creationDate.localeCompare(a.creationDate) || b.name.localeCompare(a.name)))[0];
}

/** Looks up the newest Canonical Ubuntu 24.04 LTS image for the architecture, now. */
export async function latestUbuntuImage(api: Ec2Api, architecture: string): Promise<Ec2Image | undefined> {
  return newestImage(await api.findImages(CANONICAL_OWNER, ubuntuNamePattern(architecture), architecture));
}
