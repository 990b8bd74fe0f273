/**
 * The real SDK adapter (sdk-api.ts, @aws-sdk/client-ec2) against nock: EC2's query protocol
 * (form-encoded POST /, routed on Action) answered with XML shaped like the EC2 API reference's
 * responses. Checks what the adapter sends (Action, key params, SigV4 auth) and what it parses.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from 'nock';
import { SdkEc2Api } from '../../../src/drivers/amazonec2/sdk-api';
import { awsErrorCode } from '../../../src/drivers/amazonec2/api';
import { ec2Error } from '../../../src/drivers/amazonec2/errors';
import { latestUbuntuImage } from '../../../src/drivers/amazonec2/image';

const ENDPOINT = 'https://ec2.us-east-1.amazonaws.com';
const CREDS = { region: 'us-east-1', accessKey: 'AKIDFAKEFAKEFAKE0000', secretKey: 'fake-secret' };
const NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';

type Params = Record<string, string>;
interface Seen {
  action: string;
  params: Params;
  headers: Record<string, string | string[] | undefined>;
}
type Handler = (p: Params) => [number, string];

/** One persistent interceptor that routes on Action and records every request. */
function ec2(handlers: Record<string, Handler>, base = ENDPOINT): Seen[] {
  const seen: Seen[] = [];
  nock(base)
    .persist()
    .post('/')
    .reply(function (_uri, body) {
      const params = Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : new URLSearchParams(body as Params).toString()));
      seen.push({ action: params.Action, params, headers: this.req.headers });
      const h = handlers[params.Action];
      if (!h) return [400, errorXml('InvalidAction', `The action ${params.Action} is not valid for this web service.`)];
      const [status, xml] = h(params);
      return [status, xml, { 'Content-Type': 'text/xml;charset=UTF-8' }];
    });
  return seen;
}

const ok = (action: string, inner: string): [number, string] => [200, `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response ${NS}><requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>${inner}</${action}Response>`];
function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`;
}
const fail = (status: number, code: string, message: string): [number, string] => [status, errorXml(code, message)];
const items = (xs: string[]) => xs.map((x) => `<item>${x}</item>`).join('');

function imageXml(id: string, name: string, arch: string, created: string, state = 'available'): string {
  return `<imageId>${id}</imageId><imageLocation>amazon/${name}</imageLocation><imageState>${state}</imageState><imageOwnerId>099720109477</imageOwnerId>` +
    `<creationDate>${created}</creationDate><isPublic>true</isPublic><architecture>${arch}</architecture><imageType>machine</imageType><name>${name}</name>` +
    `<rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/sda1</rootDeviceName><blockDeviceMapping>${items([
      '<deviceName>/dev/sda1</deviceName><ebs><snapshotId>snap-0123456789abcdef0</snapshotId><volumeSize>8</volumeSize><deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType><encrypted>false</encrypted></ebs>',
    ])}</blockDeviceMapping><virtualizationType>hvm</virtualizationType><hypervisor>xen</hypervisor><enaSupport>true</enaSupport>`;
}

function instanceXml(o: { id: string; state: string; code: number; publicIp?: string; spot?: string }): string {
  const pub = o.publicIp ? `<ipAddress>${o.publicIp}</ipAddress><dnsName>ec2-${o.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com</dnsName>` : '<dnsName/>';
  return `<instanceId>${o.id}</instanceId><imageId>ami-0a1000000000000a2</imageId><instanceState><code>${o.code}</code><name>${o.state}</name></instanceState>` +
    `<privateDnsName>ip-172-31-20-5.ec2.internal</privateDnsName>${pub}<reason/><keyName>tsmachine-web1-0a1b2c3d</keyName><amiLaunchIndex>0</amiLaunchIndex>` +
    `<productCodes/><instanceType>t3.micro</instanceType><launchTime>2025-06-20T10:00:00.000Z</launchTime><placement><availabilityZone>us-east-1a</availabilityZone><groupName/><tenancy>default</tenancy></placement>` +
    `<monitoring><state>disabled</state></monitoring><subnetId>subnet-0d0d0d0d0d0d0d0d0</subnetId><vpcId>vpc-0d0d0d0d0d0d0d0d0</vpcId><privateIpAddress>172.31.20.5</privateIpAddress>` +
    `<sourceDestCheck>true</sourceDestCheck><groupSet>${items(['<groupId>sg-0123456789abcdef0</groupId><groupName>tsmachine</groupName>'])}</groupSet>` +
    `<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/sda1</rootDeviceName><blockDeviceMapping/>` +
    (o.spot ? `<instanceLifecycle>spot</instanceLifecycle><spotInstanceRequestId>${o.spot}</spotInstanceRequestId>` : '') +
    `<virtualizationType>hvm</virtualizationType><clientToken>tok-1</clientToken><tagSet>${items(['<key>Name</key><value>web1</value>'])}</tagSet><hypervisor>xen</hypervisor>`;
}

const describeInstancesXml = (xs: string[]) =>
  ok('DescribeInstances', `<reservationSet>${xs.length ? items([`<reservationId>r-0123456789abcdef0</reservationId><ownerId>111122223333</ownerId><groupSet/><instancesSet>${items(xs)}</instancesSet>`]) : ''}</reservationSet>`);

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

test('amazonec2 nock: DescribeAvailabilityZones is signed with SigV4 for ec2 in the region and parsed', async () => {
  const seen = ec2({
    DescribeAvailabilityZones: () =>
      ok('DescribeAvailabilityZones', `<availabilityZoneInfo>${items([
        '<zoneName>us-east-1a</zoneName><zoneState>available</zoneState><regionName>us-east-1</regionName><zoneId>use1-az6</zoneId><zoneType>availability-zone</zoneType><messageSet/>',
        '<zoneName>us-east-1b</zoneName><zoneState>impaired</zoneState><regionName>us-east-1</regionName><zoneId>use1-az1</zoneId><zoneType>availability-zone</zoneType><messageSet/>',
      ])}</availabilityZoneInfo>`),
  });
  const zones = await new SdkEc2Api(CREDS).describeZones();
  assert.deepEqual(zones, [{ name: 'us-east-1a', state: 'available' }, { name: 'us-east-1b', state: 'impaired' }]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].params.Version, '2016-11-15');
  assert.match(String(seen[0].headers['content-type']), /application\/x-www-form-urlencoded/);
  assert.match(String(seen[0].headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKE0000\/\d{8}\/us-east-1\/ec2\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/);
});

test('amazonec2 nock: an AuthFailure is one request (not retried) and becomes a credential error', async () => {
  const seen = ec2({ DescribeAvailabilityZones: () => fail(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials') });
  const e = await new SdkEc2Api(CREDS).describeZones().then(() => undefined, (x: unknown) => x);
  assert.equal(awsErrorCode(e), 'AuthFailure');
  assert.equal(seen.length, 1);
  const wrapped = ec2Error(e, 'DescribeAvailabilityZones', 'region us-east-1', 'us-east-1', 'PRECREATE_FAILED');
  assert.equal(wrapped.code, 'PRECREATE_FAILED');
  assert.match(wrapped.message, /credentials/);
  assert.match(wrapped.suggestion ?? '', /AWS_PROFILE/);
  assert.doesNotMatch(wrapped.message, /fake-secret/);
});

test('amazonec2 nock: DescribeInstanceTypes gives the architectures; an unknown type is undefined', async () => {
  const seen = ec2({
    DescribeInstanceTypes: (p) =>
      p['InstanceType.1'] === 't4g.small'
        ? ok('DescribeInstanceTypes', `<instanceTypeSet>${items([`<instanceType>t4g.small</instanceType><currentGeneration>true</currentGeneration><processorInfo><supportedArchitectures>${items(['arm64'])}</supportedArchitectures><sustainedClockSpeedInGhz>2.5</sustainedClockSpeedInGhz></processorInfo><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>2048</sizeInMiB></memoryInfo>`])}</instanceTypeSet>`)
        : fail(400, 'InvalidInstanceType', `The following supplied instance types do not exist: [${p['InstanceType.1']}]`),
  });
  const api = new SdkEc2Api(CREDS);
  assert.deepEqual(await api.describeInstanceType('t4g.small'), { architectures: ['arm64'] });
  assert.equal(await api.describeInstanceType('t3.gigantic'), undefined);
  assert.equal(seen[1].params['InstanceType.1'], 't3.gigantic');
});

test('amazonec2 nock: the Ubuntu lookup asks Canonical\'s images by name, architecture and state, and picks the newest', async () => {
  const seen = ec2({
    DescribeImages: () =>
      ok('DescribeImages', `<imagesSet>${items([
        imageXml('ami-0a1000000000000a1', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115', 'x86_64', '2025-01-16T09:12:00.000Z'),
        imageXml('ami-0a1000000000000a2', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250610', 'x86_64', '2025-06-11T07:40:00.000Z'),
        imageXml('ami-0a1000000000000a0', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240423', 'x86_64', '2024-04-24T05:00:00.000Z'),
      ])}</imagesSet>`),
  });
  const img = await latestUbuntuImage(new SdkEc2Api(CREDS), 'x86_64');
  assert.deepEqual(img, {
    id: 'ami-0a1000000000000a2',
    name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250610',
    architecture: 'x86_64',
    creationDate: '2025-06-11T07:40:00.000Z',
    state: 'available',
    rootDeviceName: '/dev/sda1',
  });
  const p = seen[0].params;
  assert.equal(p['Owner.1'], '099720109477');
  const filters = Object.fromEntries([1, 2, 3].map((i) => [p[`Filter.${i}.Name`], p[`Filter.${i}.Value.1`]]));
  assert.deepEqual(filters, { name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*', architecture: 'x86_64', state: 'available' });
});

test('amazonec2 nock: a missing AMI, VPC, subnet, group or key pair reads as absent', async () => {
  ec2({
    DescribeImages: () => fail(400, 'InvalidAMIID.NotFound', "The image id '[ami-00000000000000dead]' does not exist"),
    DescribeVpcs: () => fail(400, 'InvalidVpcID.NotFound', "The vpc ID 'vpc-00000000dead' does not exist"),
    DescribeSubnets: () => fail(400, 'InvalidSubnetID.NotFound', "The subnet ID 'subnet-00000000dead' does not exist"),
    DescribeSecurityGroups: () => fail(400, 'InvalidGroup.NotFound', "The security group 'sg-00000000dead' does not exist"),
    DescribeKeyPairs: () => fail(400, 'InvalidKeyPair.NotFound', "The key pair 'nope' does not exist"),
    DescribeInstances: () => fail(400, 'InvalidInstanceID.NotFound', "The instance ID 'i-00000000dead' does not exist"),
  });
  const api = new SdkEc2Api(CREDS);
  assert.equal(await api.describeImage('ami-00000000000000dead'), undefined);
  assert.equal(await api.vpcExists('vpc-00000000dead'), false);
  assert.equal(await api.describeSubnet('subnet-00000000dead'), undefined);
  assert.equal(await api.findSecurityGroup('vpc-1', 'sg-00000000dead'), undefined);
  assert.equal(await api.keyPairExists('nope'), false);
  assert.equal(await api.describeInstance('i-00000000dead'), undefined);
});

test('amazonec2 nock: default VPC, its subnets in a zone, and a group found by name with its rules', async () => {
  const seen = ec2({
    DescribeVpcs: () => ok('DescribeVpcs', `<vpcSet>${items(['<vpcId>vpc-0d0d0d0d0d0d0d0d0</vpcId><ownerId>111122223333</ownerId><state>available</state><cidrBlock>172.31.0.0/16</cidrBlock><dhcpOptionsId>dopt-19edf471</dhcpOptionsId><instanceTenancy>default</instanceTenancy><isDefault>true</isDefault>'])}</vpcSet>`),
    DescribeSubnets: () =>
      ok('DescribeSubnets', `<subnetSet>${items([
        '<subnetId>subnet-0d0d0d0d0d0d0d0d0</subnetId><subnetArn>arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0d0d0d0d0d0d0d0d0</subnetArn><state>available</state><ownerId>111122223333</ownerId><vpcId>vpc-0d0d0d0d0d0d0d0d0</vpcId><cidrBlock>172.31.16.0/20</cidrBlock><availableIpAddressCount>4091</availableIpAddressCount><availabilityZone>us-east-1a</availabilityZone><availabilityZoneId>use1-az6</availabilityZoneId><defaultForAz>true</defaultForAz><mapPublicIpOnLaunch>true</mapPublicIpOnLaunch>',
      ])}</subnetSet>`),
    DescribeSecurityGroups: () =>
      ok('DescribeSecurityGroups', `<securityGroupInfo>${items([
        `<ownerId>111122223333</ownerId><groupId>sg-0123456789abcdef0</groupId><groupName>tsmachine</groupName><groupDescription>mine</groupDescription><vpcId>vpc-0d0d0d0d0d0d0d0d0</vpcId>` +
          `<ipPermissions>${items([
            `<ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><groups/><ipRanges>${items(['<cidrIp>0.0.0.0/0</cidrIp>'])}</ipRanges><ipv6Ranges/><prefixListIds/>`,
            `<ipProtocol>-1</ipProtocol><groups/><ipRanges>${items(['<cidrIp>10.0.0.0/8</cidrIp>'])}</ipRanges><ipv6Ranges/><prefixListIds/>`,
          ])}</ipPermissions><ipPermissionsEgress/>`,
      ])}</securityGroupInfo>`),
  });
  const api = new SdkEc2Api(CREDS);
  assert.equal(await api.defaultVpcId(), 'vpc-0d0d0d0d0d0d0d0d0');
  assert.deepEqual(await api.subnetsInZone('vpc-0d0d0d0d0d0d0d0d0', 'us-east-1a'), [{ id: 'subnet-0d0d0d0d0d0d0d0d0', vpcId: 'vpc-0d0d0d0d0d0d0d0d0', zone: 'us-east-1a', defaultForAz: true }]);
  const g = await api.findSecurityGroup('vpc-0d0d0d0d0d0d0d0d0', 'tsmachine');
  assert.deepEqual(g, {
    id: 'sg-0123456789abcdef0',
    name: 'tsmachine',
    vpcId: 'vpc-0d0d0d0d0d0d0d0d0',
    ingress: [
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 0, toPort: 65535, cidr: '10.0.0.0/8' },
      { protocol: 'udp', fromPort: 0, toPort: 65535, cidr: '10.0.0.0/8' },
    ],
  });
  assert.equal(seen[0].params['Filter.1.Name'], 'isDefault');
  assert.deepEqual([seen[1].params['Filter.1.Value.1'], seen[1].params['Filter.2.Value.1']], ['vpc-0d0d0d0d0d0d0d0d0', 'us-east-1a']);
  assert.deepEqual([seen[2].params['Filter.1.Name'], seen[2].params['Filter.1.Value.1'], seen[2].params['Filter.2.Name']], ['group-name', 'tsmachine', 'vpc-id']);
});

test('amazonec2 nock: CreateSecurityGroup, AuthorizeSecurityGroupIngress and ImportKeyPair send names, rules and tags', async () => {
  const seen = ec2({
    CreateSecurityGroup: () => ok('CreateSecurityGroup', `<return>true</return><groupId>sg-0fedcba9876543210</groupId><tagSet>${items(['<key>Name</key><value>web1</value>'])}</tagSet>`),
    AuthorizeSecurityGroupIngress: () =>
      ok('AuthorizeSecurityGroupIngress', `<return>true</return><securityGroupRuleSet>${items(['<securityGroupRuleId>sgr-0123456789abcdef0</securityGroupRuleId><groupId>sg-0fedcba9876543210</groupId><groupOwnerId>111122223333</groupOwnerId><isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><cidrIpv4>0.0.0.0/0</cidrIpv4>'])}</securityGroupRuleSet>`),
    ImportKeyPair: () => ok('ImportKeyPair', '<keyFingerprint>1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca</keyFingerprint><keyName>tsmachine-web1-0a1b2c3d</keyName><keyPairId>key-0123456789abcdef0</keyPairId>'),
  });
  const api = new SdkEc2Api(CREDS);
  const tags = { Name: 'web1', 'tsmachine-machine': 'web1' };
  assert.equal(await api.createSecurityGroup('vpc-0d0d0d0d0d0d0d0d0', 'tsmachine', 'tsmachine group', tags), 'sg-0fedcba9876543210');
  await api.authorizeIngress('sg-0fedcba9876543210', [
    { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
    { protocol: 'udp', fromPort: 4789, toPort: 4789, cidr: '0.0.0.0/0' },
  ]);
  const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake tsmachine-web1';
  assert.equal(await api.importKeyPair('tsmachine-web1-0a1b2c3d', `${pub}\n`, tags), 'key-0123456789abcdef0');
  const [sg, rules, key] = seen.map((s) => s.params);
  assert.equal(sg.GroupName, 'tsmachine');
  assert.equal(sg.VpcId, 'vpc-0d0d0d0d0d0d0d0d0');
  assert.equal(sg['TagSpecification.1.ResourceType'], 'security-group');
  assert.deepEqual([sg['TagSpecification.1.Tag.2.Key'], sg['TagSpecification.1.Tag.2.Value']], ['tsmachine-machine', 'web1']);
  assert.equal(rules.GroupId, 'sg-0fedcba9876543210');
  assert.deepEqual(
    [rules['IpPermissions.2.IpProtocol'], rules['IpPermissions.2.FromPort'], rules['IpPermissions.2.ToPort'], rules['IpPermissions.2.IpRanges.1.CidrIp']],
    ['udp', '4789', '4789', '0.0.0.0/0'],
  );
  assert.equal(Buffer.from(key.PublicKeyMaterial, 'base64').toString(), pub, 'the key travels base64-encoded, trimmed');
  assert.equal(key['TagSpecification.1.ResourceType'], 'key-pair');
});

test('amazonec2 nock: RunInstances sends one instance with its ENI, root volume, IMDSv2, tags, token and spot options', async () => {
  const seen = ec2({
    RunInstances: () =>
      ok('RunInstances', `<reservationId>r-0123456789abcdef0</reservationId><ownerId>111122223333</ownerId><groupSet/><instancesSet>${items([
        instanceXml({ id: 'i-0123456789abcdef0', state: 'pending', code: 0, spot: 'sir-abcd1234' }),
      ])}</instancesSet>`),
  });
  const inst = await new SdkEc2Api(CREDS).runInstance({
    clientToken: '5d2ec1b2-6c0e-4b35-a4ef-7b0c05b1f2aa',
    imageId: 'ami-0a1000000000000a2',
    instanceType: 't3.micro',
    subnetId: 'subnet-0d0d0d0d0d0d0d0d0',
    securityGroupId: 'sg-0123456789abcdef0',
    associatePublicIp: true,
    keyName: 'tsmachine-web1-0a1b2c3d',
    rootDeviceName: '/dev/sda1',
    rootSizeGb: 16,
    volumeType: 'gp3',
    userData: '#cloud-config\n',
    monitoring: true,
    iamInstanceProfile: 'web-role',
    spot: { maxPrice: '0.02' },
    tags: { Name: 'web1', 'tsmachine-machine': 'web1' },
  });
  assert.deepEqual(inst, {
    id: 'i-0123456789abcdef0',
    state: 'pending',
    privateIp: '172.31.20.5',
    privateDns: 'ip-172-31-20-5.ec2.internal',
    publicIp: undefined,
    publicDns: undefined,
    spotRequestId: 'sir-abcd1234',
    securityGroupIds: ['sg-0123456789abcdef0'],
  });
  const p = seen[0].params;
  const want: Params = {
    MinCount: '1',
    MaxCount: '1',
    ClientToken: '5d2ec1b2-6c0e-4b35-a4ef-7b0c05b1f2aa',
    ImageId: 'ami-0a1000000000000a2',
    InstanceType: 't3.micro',
    KeyName: 'tsmachine-web1-0a1b2c3d',
    'NetworkInterface.1.DeviceIndex': '0',
    'NetworkInterface.1.SubnetId': 'subnet-0d0d0d0d0d0d0d0d0',
    'NetworkInterface.1.SecurityGroupId.1': 'sg-0123456789abcdef0',
    'NetworkInterface.1.AssociatePublicIpAddress': 'true',
    'BlockDeviceMapping.1.DeviceName': '/dev/sda1',
    'BlockDeviceMapping.1.Ebs.VolumeSize': '16',
    'BlockDeviceMapping.1.Ebs.VolumeType': 'gp3',
    'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'true',
    UserData: Buffer.from('#cloud-config\n').toString('base64'),
    'Monitoring.Enabled': 'true',
    'IamInstanceProfile.Name': 'web-role',
    'MetadataOptions.HttpTokens': 'required',
    'InstanceMarketOptions.MarketType': 'spot',
    'InstanceMarketOptions.SpotOptions.SpotInstanceType': 'one-time',
    'InstanceMarketOptions.SpotOptions.MaxPrice': '0.02',
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.2.ResourceType': 'volume',
    'TagSpecification.3.ResourceType': 'network-interface',
    'TagSpecification.4.ResourceType': 'spot-instances-request',
    'TagSpecification.1.Tag.1.Key': 'Name',
    'TagSpecification.1.Tag.1.Value': 'web1',
  };
  for (const [k, v] of Object.entries(want)) assert.equal(p[k], v, k);
  assert.equal(p.SecurityGroupId, undefined, 'groups go on the interface, not the instance');
});

test('amazonec2 nock: DescribeInstances parses state and addresses; power calls send the instance id (Force for kill)', async () => {
  const seen = ec2({
    DescribeInstances: () => describeInstancesXml([instanceXml({ id: 'i-0123456789abcdef0', state: 'running', code: 16, publicIp: '203.0.113.25' })]),
    StopInstances: () => ok('StopInstances', `<instancesSet>${items(['<instanceId>i-0123456789abcdef0</instanceId><currentState><code>64</code><name>stopping</name></currentState><previousState><code>16</code><name>running</name></previousState>'])}</instancesSet>`),
    StartInstances: () => ok('StartInstances', `<instancesSet>${items(['<instanceId>i-0123456789abcdef0</instanceId><currentState><code>0</code><name>pending</name></currentState><previousState><code>80</code><name>stopped</name></previousState>'])}</instancesSet>`),
    RebootInstances: () => ok('RebootInstances', '<return>true</return>'),
    TerminateInstances: () => ok('TerminateInstances', `<instancesSet>${items(['<instanceId>i-0123456789abcdef0</instanceId><currentState><code>32</code><name>shutting-down</name></currentState><previousState><code>16</code><name>running</name></previousState>'])}</instancesSet>`),
  });
  const api = new SdkEc2Api(CREDS);
  const i = await api.describeInstance('i-0123456789abcdef0');
  assert.equal(i?.state, 'running');
  assert.equal(i?.publicIp, '203.0.113.25');
  assert.equal(i?.publicDns, 'ec2-203-0-113-25.compute-1.amazonaws.com');
  assert.equal(i?.privateIp, '172.31.20.5');
  await api.stopInstance('i-0123456789abcdef0', false);
  await api.stopInstance('i-0123456789abcdef0', true);
  await api.startInstance('i-0123456789abcdef0');
  await api.rebootInstance('i-0123456789abcdef0');
  await api.terminateInstance('i-0123456789abcdef0');
  assert.deepEqual(seen.map((s) => s.action), ['DescribeInstances', 'StopInstances', 'StopInstances', 'StartInstances', 'RebootInstances', 'TerminateInstances']);
  assert.ok(seen.every((s) => s.params['InstanceId.1'] === 'i-0123456789abcdef0'));
  assert.equal(seen[1].params.Force, undefined);
  assert.equal(seen[2].params.Force, 'true');
});

test('amazonec2 nock: lookups by client token and by group filter on state; deletes name their ids', async () => {
  const seen = ec2({
    DescribeInstances: () => describeInstancesXml([instanceXml({ id: 'i-0123456789abcdef0', state: 'running', code: 16 })]),
    DeleteSecurityGroup: () => fail(400, 'DependencyViolation', 'resource sg-0123456789abcdef0 has a dependent object'),
    DeleteKeyPair: () => ok('DeleteKeyPair', '<return>true</return><keyPairId>key-0123456789abcdef0</keyPairId>'),
    CancelSpotInstanceRequests: () => ok('CancelSpotInstanceRequests', `<spotInstanceRequestSet>${items(['<spotInstanceRequestId>sir-abcd1234</spotInstanceRequestId><state>cancelled</state>'])}</spotInstanceRequestSet>`),
  });
  const api = new SdkEc2Api(CREDS);
  assert.deepEqual((await api.instancesByClientToken('tok-1')).map((i) => i.id), ['i-0123456789abcdef0']);
  assert.deepEqual(await api.instancesUsingGroup('sg-0123456789abcdef0'), ['i-0123456789abcdef0']);
  const e = await api.deleteSecurityGroup('sg-0123456789abcdef0').then(() => undefined, (x: unknown) => x);
  assert.equal(awsErrorCode(e), 'DependencyViolation');
  await api.deleteKeyPair('tsmachine-web1-0a1b2c3d', 'key-0123456789abcdef0');
  await api.cancelSpotRequest('sir-abcd1234');
  const [byToken, byGroup, del, key, spot] = seen.map((s) => s.params);
  assert.deepEqual([byToken['Filter.1.Name'], byToken['Filter.1.Value.1']], ['client-token', 'tok-1']);
  assert.equal(byToken['Filter.2.Name'], 'instance-state-name');
  assert.ok(!Object.values(byToken).includes('terminated'));
  assert.deepEqual([byGroup['Filter.1.Name'], byGroup['Filter.1.Value.1']], ['instance.group-id', 'sg-0123456789abcdef0']);
  assert.equal(del.GroupId, 'sg-0123456789abcdef0');
  assert.equal(key.KeyPairId, 'key-0123456789abcdef0');
  assert.equal(spot['SpotInstanceRequestId.1'], 'sir-abcd1234');
});

test('amazonec2 nock: --amazonec2-endpoint sends the requests there', async () => {
  const seen = ec2({ DescribeAvailabilityZones: () => ok('DescribeAvailabilityZones', '<availabilityZoneInfo/>') }, 'https://ec2.internal.example.test');
  assert.deepEqual(await new SdkEc2Api({ ...CREDS, endpoint: 'https://ec2.internal.example.test' }).describeZones(), []);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].headers.host, 'ec2.internal.example.test');
});

test('amazonec2 nock: the driver over the real adapter creates, stops, starts and removes against XML answers', async (t) => {
  const { Amazonec2Driver } = await import('../../../src/drivers/amazonec2/driver');
  const { FAST, ec2Subject } = await import('../../helpers/fakes/amazonec2-fake');
  const live = new Set<string>();
  let state = { name: 'pending', code: 0, polls: 1, ip: undefined as string | undefined };
  const move = (name: string, code: number) => (state = { ...state, name, code, polls: 1 });
  const describe = (p: Params) => {
    // EC2 filters on instance-state-name: a terminated instance leaves lookups that exclude it.
    const n = Object.keys(p).find((k) => p[k] === 'instance-state-name')?.split('.')[1];
    const states = n ? Object.keys(p).filter((k) => k.startsWith(`Filter.${n}.Value.`)).map((k) => p[k]) : undefined;
    if (states && !states.includes(state.name)) return describeInstancesXml([]);
    if (state.polls-- <= 0) {
      if (state.name === 'pending') state = { name: 'running', code: 16, polls: 0, ip: '203.0.113.25' };
      else if (state.name === 'stopping') state = { name: 'stopped', code: 80, polls: 0, ip: undefined };
      else if (state.name === 'shutting-down') (state = { name: 'terminated', code: 48, polls: 0, ip: undefined }), live.delete('i-0123456789abcdef0');
    }
    return describeInstancesXml([instanceXml({ id: 'i-0123456789abcdef0', state: state.name, code: state.code, publicIp: state.ip })]);
  };
  let dependent = 1;
  let keyName = '';
  const seen = ec2({
    DescribeAvailabilityZones: () => ok('DescribeAvailabilityZones', `<availabilityZoneInfo>${items(['<zoneName>us-east-1a</zoneName><zoneState>available</zoneState><regionName>us-east-1</regionName>'])}</availabilityZoneInfo>`),
    DescribeInstanceTypes: () => ok('DescribeInstanceTypes', `<instanceTypeSet>${items([`<instanceType>t3.micro</instanceType><processorInfo><supportedArchitectures>${items(['i386', 'x86_64'])}</supportedArchitectures></processorInfo>`])}</instanceTypeSet>`),
    DescribeImages: () => ok('DescribeImages', `<imagesSet>${items([imageXml('ami-0a1000000000000a2', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250610', 'x86_64', '2025-06-11T07:40:00.000Z')])}</imagesSet>`),
    DescribeVpcs: () => ok('DescribeVpcs', `<vpcSet>${items(['<vpcId>vpc-0d0d0d0d0d0d0d0d0</vpcId><isDefault>true</isDefault>'])}</vpcSet>`),
    DescribeSubnets: () => ok('DescribeSubnets', `<subnetSet>${items(['<subnetId>subnet-0d0d0d0d0d0d0d0d0</subnetId><vpcId>vpc-0d0d0d0d0d0d0d0d0</vpcId><availabilityZone>us-east-1a</availabilityZone><defaultForAz>true</defaultForAz>'])}</subnetSet>`),
    DescribeSecurityGroups: () => ok('DescribeSecurityGroups', '<securityGroupInfo/>'),
    CreateSecurityGroup: () => (live.add('sg-0123456789abcdef0'), ok('CreateSecurityGroup', '<return>true</return><groupId>sg-0123456789abcdef0</groupId>')),
    AuthorizeSecurityGroupIngress: () => ok('AuthorizeSecurityGroupIngress', '<return>true</return>'),
    ImportKeyPair: (p) => ((keyName = p.KeyName), live.add(p.KeyName), ok('ImportKeyPair', `<keyFingerprint>aa:bb</keyFingerprint><keyName>${p.KeyName}</keyName><keyPairId>key-0123456789abcdef0</keyPairId>`)),
    RunInstances: () => (live.add('i-0123456789abcdef0'), ok('RunInstances', `<reservationId>r-1</reservationId><ownerId>111122223333</ownerId><groupSet/><instancesSet>${items([instanceXml({ id: 'i-0123456789abcdef0', state: 'pending', code: 0 })])}</instancesSet>`)),
    DescribeInstances: describe,
    StopInstances: () => (move('stopping', 64), ok('StopInstances', '<instancesSet/>')),
    StartInstances: () => (move('pending', 0), ok('StartInstances', '<instancesSet/>')),
    TerminateInstances: () => (move('shutting-down', 32), ok('TerminateInstances', '<instancesSet/>')),
    DeleteSecurityGroup: () => (dependent-- > 0 ? fail(400, 'DependencyViolation', 'resource sg-0123456789abcdef0 has a dependent object') : (live.delete('sg-0123456789abcdef0'), ok('DeleteSecurityGroup', '<return>true</return>'))),
    DeleteKeyPair: (p) => (p.KeyPairId === 'key-0123456789abcdef0' && live.delete(keyName), ok('DeleteKeyPair', '<return>true</return>')),
  });
  const s = ec2Subject({}, { name: 'web1' });
  t.after(() => s.ctx.cleanup());
  s.ctx.config.accessKey = CREDS.accessKey;
  s.ctx.config.secretKey = CREDS.secretKey;
  const driver = new Amazonec2Driver(s.ctx, { api: new SdkEc2Api(s.ctx.config), ...FAST });
  await driver.preCreateCheck();
  await driver.create();
  assert.equal(await driver.ip(), '203.0.113.25');
  assert.deepEqual((await driver.addresses()).sort(), ['172.31.20.5', '203.0.113.25', 'ec2-203-0-113-25.compute-1.amazonaws.com', 'ip-172-31-20-5.ec2.internal']);
  await driver.stop();
  assert.equal(await driver.state(), 'Stopped');
  await driver.start();
  assert.equal(await driver.state(), 'Running');
  await driver.remove();
  assert.deepEqual([...live], []);
  assert.deepEqual(s.ctx.config.resources, {});
  const order = seen.map((x) => x.action).filter((a) => /^(Create|Authorize|Import|Run|Terminate|Delete)/.test(a));
  assert.deepEqual(order, ['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'ImportKeyPair', 'RunInstances', 'TerminateInstances', 'DeleteSecurityGroup', 'DeleteSecurityGroup', 'DeleteKeyPair']);
  assert.ok(seen.every((x) => /^AWS4-HMAC-SHA256 /.test(String(x.headers.authorization))));
});
