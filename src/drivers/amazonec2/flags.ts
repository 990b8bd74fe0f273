import type { DriverFlag } from '../driver';

/** Refreshed defaults (docker-machine's were t2.micro, Ubuntu 16.04 and a "docker-machine" group). */
export const EC2_DEFAULTS = {
  region: 'us-east-1',
  zone: 'a',
  instanceType: 't3.micro',
  securityGroup: 'tsmachine',
  rootSize: 16,
  volumeType: 'gp3',
  sshUser: 'ubuntu',
} as const;

/**
 * docker-machine's amazonec2 flags, same names and environment variables. This file must not
 * import the AWS SDK: the CLI loads every driver's flags at start-up.
 */
export const amazonec2Flags: DriverFlag[] = [
  { name: 'amazonec2-access-key', description: 'AWS access key id (default: the SDK credential chain: env, profiles, SSO, instance role)', type: 'string', env: 'AWS_ACCESS_KEY_ID' },
  { name: 'amazonec2-secret-key', description: 'AWS secret access key', type: 'string', env: 'AWS_SECRET_ACCESS_KEY' },
  { name: 'amazonec2-session-token', description: 'AWS session token (temporary credentials)', type: 'string', env: 'AWS_SESSION_TOKEN' },
  { name: 'amazonec2-region', description: 'AWS region', type: 'string', env: 'AWS_DEFAULT_REGION', default: EC2_DEFAULTS.region },
  { name: 'amazonec2-zone', description: 'Availability zone letter within the region (a, b, ...)', type: 'string', env: 'AWS_ZONE', default: EC2_DEFAULTS.zone },
  { name: 'amazonec2-ami', description: 'AMI id (default: the newest Canonical Ubuntu 24.04 LTS image for the instance type\'s architecture, looked up at create time)', type: 'string', env: 'AWS_AMI' },
  { name: 'amazonec2-instance-type', description: 'Instance type', type: 'string', env: 'AWS_INSTANCE_TYPE', default: EC2_DEFAULTS.instanceType },
  { name: 'amazonec2-vpc-id', description: 'VPC id (default: the subnet\'s VPC, else the region\'s default VPC)', type: 'string', env: 'AWS_VPC_ID' },
  { name: 'amazonec2-subnet-id', description: 'Subnet id (default: the VPC\'s default subnet in the zone)', type: 'string', env: 'AWS_SUBNET_ID' },
  { name: 'amazonec2-security-group', description: 'Security group name or id; created (and deleted on rm) only when missing, otherwise reused and kept', type: 'string', env: 'AWS_SECURITY_GROUP', default: EC2_DEFAULTS.securityGroup },
  { name: 'amazonec2-security-group-readonly', description: 'Add no rules to a reused security group (a group tsmachine creates always gets its rules)', type: 'boolean', env: 'AWS_SECURITY_GROUP_READONLY', default: false },
  { name: 'amazonec2-keypair-name', description: 'Existing EC2 key pair to launch with (default: the machine\'s key imported as tsmachine-<name>-<random>, deleted on rm)', type: 'string', env: 'AWS_KEYPAIR_NAME' },
  { name: 'amazonec2-ssh-keypath', description: 'Private key of --amazonec2-keypair-name to log in with (default: the machine\'s own key, installed through cloud-init)', type: 'string', env: 'AWS_SSH_KEYPATH' },
  { name: 'amazonec2-root-size', description: 'Root disk size in GB', type: 'integer', env: 'AWS_ROOT_SIZE', default: EC2_DEFAULTS.rootSize },
  { name: 'amazonec2-volume-type', description: 'Root volume type (gp3, gp2, io1, io2, standard)', type: 'string', env: 'AWS_VOLUME_TYPE', default: EC2_DEFAULTS.volumeType },
  { name: 'amazonec2-ssh-user', description: 'SSH user of the image', type: 'string', env: 'AWS_SSH_USER', default: EC2_DEFAULTS.sshUser },
  { name: 'amazonec2-tags', description: 'Extra instance tags as key,value pairs: k1,v1,k2,v2', type: 'string', env: 'AWS_TAGS' },
  { name: 'amazonec2-private-address-only', description: 'No public IP: use the private address only', type: 'boolean', default: false },
  { name: 'amazonec2-use-private-address', description: 'Reach the machine on its private address (it still gets a public one)', type: 'boolean', default: false },
  { name: 'amazonec2-request-spot-instance', description: 'Launch a one-time spot instance (cannot be stopped; only restarted or removed)', type: 'boolean', default: false },
  { name: 'amazonec2-spot-price', description: 'Maximum spot price in USD per hour (default: the on-demand price)', type: 'string' },
  { name: 'amazonec2-monitoring', description: 'Enable CloudWatch detailed monitoring', type: 'boolean', default: false },
  { name: 'amazonec2-iam-instance-profile', description: 'IAM instance profile name', type: 'string', env: 'AWS_INSTANCE_PROFILE' },
  { name: 'amazonec2-open-port', description: 'Extra port to open in the security group, e.g. 8080/tcp or 53/udp (repeatable)', type: 'string[]' },
  { name: 'amazonec2-endpoint', description: 'Custom EC2 API endpoint URL', type: 'string', env: 'AWS_ENDPOINT_URL_EC2' },
];
