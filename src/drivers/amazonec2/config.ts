import { isAbsolute, resolve } from 'node:path';
import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';
import { flagBool as bool, flagString as str } from '../flag-values';
import { EC2_DEFAULTS } from './flags';
import { DEFAULT_ENGINE_PORT } from './ports';

/** One inbound rule the security group must have (from 0.0.0.0/0). */
export interface PortRule {
  protocol: 'tcp' | 'udp';
  port: number;
}

/**
 * Cloud resources an EC2 machine created, recorded (and saved) as they are made so remove()
 * finds them. Only what is listed here is ever deleted.
 */
export interface Ec2Resources {
  /** Idempotency token of RunInstances, saved before the call: finds an instance whose id was lost. */
  clientToken?: string;
  instanceId?: string;
  /** Only when tsmachine created the group (a reused group is never recorded). */
  securityGroupId?: string;
  /** Name of the key pair tsmachine imported, saved before the call (the name is random). */
  keyPairName?: string;
  keyPairId?: string;
  /** The one-time spot request behind a spot instance (cancelled on remove in case it is open). */
  spotRequestId?: string;
}

/** Persisted config of an EC2 machine (`machine.json` driver.config). */
export interface Amazonec2Config {
  region: string;
  /** Zone letter (a, b, ...); the zone is region + zone. */
  zone: string;
  /** The AMI asked for; when absent, the newest Ubuntu 24.04 LTS image is looked up at create time. */
  ami?: string;
  instanceType: string;
  vpcId?: string;
  subnetId?: string;
  /** Security group name (or sg- id). */
  securityGroup: string;
  securityGroupReadonly: boolean;
  /** A key pair of the user's; when absent the machine's key is imported. */
  keypairName?: string;
  /** Private key for --amazonec2-keypair-name; when absent the machine's key is used. */
  sshKeyPath?: string;
  rootSizeGb: number;
  volumeType: string;
  sshUser: string;
  tags: Record<string, string>;
  privateAddressOnly: boolean;
  usePrivateAddress: boolean;
  spot: boolean;
  spotPrice?: string;
  monitoring: boolean;
  iamInstanceProfile?: string;
  openPorts: PortRule[];
  /** Open the swarm ports too (the core's `create --swarm`). */
  swarm: boolean;
  /** The engine's TLS port opened in the security group (the core's engine port, 2376 by default). */
  enginePort: number;
  endpoint?: string;
  /** Static credentials (stored 0600 like docker-machine did); absent: the SDK's default chain. */
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  /** Filled by create: what was actually used. */
  imageId?: string;
  usedVpcId?: string;
  usedSubnetId?: string;
  /** Last known addresses (refreshed by state/ip). */
  publicIp?: string;
  privateIp?: string;
  publicDns?: string;
  privateDns?: string;
  resources: Ec2Resources;
}

export const VOLUME_TYPES = ['gp3', 'gp2', 'io1', 'io2', 'standard'];
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

type Str = string | undefined;


function idOf(v: unknown, prefix: string, field: string, problems: Problem[]): Str {
  const s = str(v);
  if (s !== undefined && !new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(s)) {
    problems.push({ field, message: `"${s}" is not a ${prefix}- id`, suggestion: `give an id like ${prefix}-0123456789abcdef0` });
  }
  return s;
}

/** "k1,v1,k2,v2" -> {k1: v1, k2: v2}. */
export function parseTags(v: unknown, problems: Problem[]): Record<string, string> {
  const s = str(v);
  if (s === undefined) return {};
  const parts = s.split(',').map((p) => p.trim());
  if (parts.length % 2 !== 0 || parts.some((p, i) => i % 2 === 0 && p === '')) {
    problems.push({ field: '--amazonec2-tags', message: `"${s}" is not a list of key,value pairs`, suggestion: 'e.g. --amazonec2-tags team,web,env,prod' });
    return {};
  }
  const tags: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) {
    if (parts[i].toLowerCase().startsWith('aws:')) {
      problems.push({ field: '--amazonec2-tags', message: `tag key "${parts[i]}" uses the reserved aws: prefix` });
    }
    tags[parts[i]] = parts[i + 1];
  }
  return tags;
}

/** "8080/tcp", "53/udp" or "8080" (tcp), repeatable. */
export function parseOpenPorts(v: unknown, problems: Problem[]): PortRule[] {
  const list = Array.isArray(v) ? v : v === undefined || v === '' ? [] : String(v).split(',');
  const out: PortRule[] = [];
  for (const raw of list) {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(String(raw).trim());
    const port = m ? Number(m[1]) : NaN;
    if (!m || port < 1 || port > 65535) {
      problems.push({ field: '--amazonec2-open-port', message: `"${String(raw)}" is not a port`, suggestion: 'use PORT or PORT/tcp or PORT/udp, e.g. 8080/tcp' });
      continue;
    }
    out.push({ port, protocol: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' });
  }
  return out;
}

function rootSize(v: unknown, problems: Problem[]): number {
  const n = Number(v ?? EC2_DEFAULTS.rootSize);
  if (!Number.isInteger(n) || n < 8 || n > 16384) {
    problems.push({ field: '--amazonec2-root-size', message: `"${String(v)}" is not a disk size in GB`, suggestion: 'use a whole number from 8 to 16384' });
  }
  return n;
}

/**
 * Keys given on the command line are stored (as docker-machine did, in the 0600 machine file).
 * Keys that came from the environment are not: the SDK chain reads the environment again on
 * every command, so refreshed temporary credentials keep working for stop/start/rm.
 */
function credentials(values: FlagValues, problems: Problem[], env: NodeJS.ProcessEnv): Pick<Amazonec2Config, 'accessKey' | 'secretKey' | 'sessionToken'> {
  let accessKey = str(values['amazonec2-access-key']);
  let secretKey = str(values['amazonec2-secret-key']);
  let sessionToken = str(values['amazonec2-session-token']);
  if (accessKey && accessKey === env.AWS_ACCESS_KEY_ID && secretKey === env.AWS_SECRET_ACCESS_KEY && sessionToken === (str(env.AWS_SESSION_TOKEN) ?? undefined)) {
    accessKey = secretKey = sessionToken = undefined;
  }
  if ((accessKey === undefined) !== (secretKey === undefined)) {
    const [given, missing] = accessKey ? ['--amazonec2-access-key', '--amazonec2-secret-key'] : ['--amazonec2-secret-key', '--amazonec2-access-key'];
    problems.push({ field: missing, message: `is required with ${given}`, suggestion: 'give both keys, or neither to use the SDK credential chain (AWS_PROFILE, SSO, instance role)' });
  }
  if (sessionToken && !accessKey) {
    problems.push({ field: '--amazonec2-session-token', message: 'needs --amazonec2-access-key and --amazonec2-secret-key' });
  }
  return { accessKey, secretKey, sessionToken };
}

function network(values: FlagValues, problems: Problem[]): Pick<Amazonec2Config, 'region' | 'zone' | 'vpcId' | 'subnetId' | 'endpoint'> {
  const region = str(values['amazonec2-region']) ?? EC2_DEFAULTS.region;
  if (!REGION.test(region)) {
    problems.push({ field: '--amazonec2-region', message: `"${region}" is not an AWS region name`, suggestion: 'e.g. us-east-1, eu-west-3 (or set AWS_DEFAULT_REGION)' });
  }
  const zone = (str(values['amazonec2-zone']) ?? EC2_DEFAULTS.zone).toLowerCase();
  if (!/^[a-z]$/.test(zone)) {
    problems.push({ field: '--amazonec2-zone', message: `"${zone}" is not a zone letter`, suggestion: 'give the letter only, e.g. --amazonec2-zone b' });
  }
  const endpoint = str(values['amazonec2-endpoint']);
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    problems.push({ field: '--amazonec2-endpoint', message: `"${endpoint}" is not an http(s) URL`, suggestion: 'e.g. https://ec2.us-east-1.amazonaws.com' });
  }
  return {
    region,
    zone,
    vpcId: idOf(values['amazonec2-vpc-id'], 'vpc', '--amazonec2-vpc-id', problems),
    subnetId: idOf(values['amazonec2-subnet-id'], 'subnet', '--amazonec2-subnet-id', problems),
    endpoint,
  };
}

function instance(values: FlagValues, problems: Problem[]) {
  const instanceType = str(values['amazonec2-instance-type']) ?? EC2_DEFAULTS.instanceType;
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(instanceType)) {
    problems.push({ field: '--amazonec2-instance-type', message: `"${instanceType}" is not an instance type name`, suggestion: 'e.g. t3.micro, m7g.large' });
  }
  const volumeType = str(values['amazonec2-volume-type']) ?? EC2_DEFAULTS.volumeType;
  if (!VOLUME_TYPES.includes(volumeType)) {
    problems.push({ field: '--amazonec2-volume-type', message: `"${volumeType}" cannot be a root volume type`, suggestion: `use one of ${VOLUME_TYPES.join(', ')}` });
  }
  const spotPrice = str(values['amazonec2-spot-price']);
  if (spotPrice !== undefined && !(/^\d+(\.\d+)?$/.test(spotPrice) && Number(spotPrice) > 0)) {
    problems.push({ field: '--amazonec2-spot-price', message: `"${spotPrice}" is not a price`, suggestion: 'a maximum price in USD per hour, e.g. 0.05' });
  }
  const sshUser = str(values['amazonec2-ssh-user']) ?? EC2_DEFAULTS.sshUser;
  if (!/^[a-z_][a-z0-9_.-]*$/i.test(sshUser)) problems.push({ field: '--amazonec2-ssh-user', message: `"${sshUser}" is not a valid user name` });
  return {
    ami: idOf(values['amazonec2-ami'], 'ami', '--amazonec2-ami', problems),
    instanceType,
    rootSizeGb: rootSize(values['amazonec2-root-size'], problems),
    volumeType,
    sshUser,
    spot: bool(values['amazonec2-request-spot-instance'], '--amazonec2-request-spot-instance', problems),
    spotPrice,
    monitoring: bool(values['amazonec2-monitoring'], '--amazonec2-monitoring', problems),
    iamInstanceProfile: str(values['amazonec2-iam-instance-profile']),
  };
}

/** Builds an EC2 machine's config from flag values (env and defaults applied); reports every problem. */
export function amazonec2ConfigFromFlags(values: FlagValues, env: NodeJS.ProcessEnv = process.env): { config: Amazonec2Config; problems: Problem[] } {
  const problems: Problem[] = [];
  const keypairName = str(values['amazonec2-keypair-name']);
  const keyPath = str(values['amazonec2-ssh-keypath']);
  if (keyPath && !keypairName) {
    problems.push({ field: '--amazonec2-ssh-keypath', message: 'only applies with --amazonec2-keypair-name', suggestion: 'drop it: the machine gets its own key' });
  }
  const config: Amazonec2Config = {
    ...network(values, problems),
    ...instance(values, problems),
    securityGroup: str(values['amazonec2-security-group']) ?? EC2_DEFAULTS.securityGroup,
    securityGroupReadonly: bool(values['amazonec2-security-group-readonly'], '--amazonec2-security-group-readonly', problems),
    keypairName,
    sshKeyPath: keyPath === undefined ? undefined : isAbsolute(keyPath) ? keyPath : resolve(keyPath),
    tags: parseTags(values['amazonec2-tags'], problems),
    privateAddressOnly: bool(values['amazonec2-private-address-only'], '--amazonec2-private-address-only', problems),
    usePrivateAddress: bool(values['amazonec2-use-private-address'], '--amazonec2-use-private-address', problems),
    openPorts: parseOpenPorts(values['amazonec2-open-port'], problems),
    swarm: values.swarm === true,
    enginePort: enginePortOf(values['engine-port'], problems),
    ...credentials(values, problems, env),
    resources: {},
  };
  if (config.spotPrice && !config.spot) {
    problems.push({ field: '--amazonec2-spot-price', message: 'only applies with --amazonec2-request-spot-instance' });
  }
  return { config: dropUndefined(config), problems };
}

function enginePortOf(v: unknown, problems: Problem[]): number {
  const n = Number(v ?? DEFAULT_ENGINE_PORT);
  if (!Number.isInteger(n) || n < 1 || n > 65535) problems.push({ field: '--engine-port', message: `"${String(v)}" is not a port number` });
  return n;
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
