import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { amazonec2ConfigFromFlags, parseOpenPorts, parseTags } from '../../../src/drivers/amazonec2/config';
import { amazonec2Flags } from '../../../src/drivers/amazonec2/flags';
import { desiredRules, missingRules } from '../../../src/drivers/amazonec2/ports';
import { flagValues } from '../../helpers/fakes/amazonec2-fake';

test('amazonec2 config: defaults are the refreshed docker-machine ones', () => {
  const { config, problems } = amazonec2ConfigFromFlags(flagValues());
  assert.deepEqual(problems, []);
  assert.equal(config.region, 'us-east-1');
  assert.equal(config.zone, 'a');
  assert.equal(config.instanceType, 't3.micro');
  assert.equal(config.securityGroup, 'tsmachine');
  assert.equal(config.rootSizeGb, 16);
  assert.equal(config.volumeType, 'gp3');
  assert.equal(config.sshUser, 'ubuntu');
  assert.equal(config.enginePort, 2376);
  assert.equal(config.ami, undefined, 'no AMI baked in: looked up at create time');
  assert.equal(config.swarm, false);
  assert.equal(config.spot, false);
  assert.deepEqual(config.openPorts, []);
  assert.deepEqual(config.tags, {});
  assert.deepEqual(config.resources, {});
  assert.equal('accessKey' in config, false, 'no credentials stored unless given');
});

test('amazonec2 config: every problem is reported at once, each naming its flag', () => {
  const { problems } = amazonec2ConfigFromFlags(
    flagValues({
      'amazonec2-region': 'Mars',
      'amazonec2-zone': 'ab',
      'amazonec2-tags': 'team,web,odd',
      'amazonec2-open-port': ['8080/tcp', '99999', '53/icmp'],
      'amazonec2-root-size': '2',
      'amazonec2-volume-type': 'st1',
      'amazonec2-spot-price': '0.05',
      'amazonec2-access-key': 'AKIDEXAMPLE',
      'amazonec2-ssh-keypath': '/tmp/key',
      'amazonec2-ami': 'ubuntu',
      'amazonec2-vpc-id': 'vpc-xyz',
      'amazonec2-instance-type': 'huge',
    }),
  );
  const fields = problems.map((p) => p.field).sort();
  assert.deepEqual(fields, [
    '--amazonec2-ami',
    '--amazonec2-instance-type',
    '--amazonec2-open-port',
    '--amazonec2-open-port',
    '--amazonec2-region',
    '--amazonec2-root-size',
    '--amazonec2-secret-key',
    '--amazonec2-spot-price',
    '--amazonec2-ssh-keypath',
    '--amazonec2-tags',
    '--amazonec2-volume-type',
    '--amazonec2-vpc-id',
    '--amazonec2-zone',
  ]);
  assert.ok(problems.every((p) => !/AKIDEXAMPLE/.test(p.message)), 'a key never appears in a message');
});

test('amazonec2 config: tags, open ports, swarm, credentials and private addressing', () => {
  const { config, problems } = amazonec2ConfigFromFlags(
    flagValues({
      'amazonec2-tags': 'team, web ,env,prod',
      'amazonec2-open-port': ['8080', '53/udp', '443/TCP'],
      swarm: true,
      'amazonec2-access-key': 'AKIDEXAMPLE',
      'amazonec2-secret-key': 'c2VjcmV0',
      'amazonec2-session-token': 'tok',
      'amazonec2-private-address-only': 'true',
      'amazonec2-request-spot-instance': true,
      'amazonec2-spot-price': '0.0123',
      'amazonec2-endpoint': 'https://ec2.example.test',
    }),
    {},
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(config.tags, { team: 'web', env: 'prod' });
  assert.deepEqual(config.openPorts, [
    { port: 8080, protocol: 'tcp' },
    { port: 53, protocol: 'udp' },
    { port: 443, protocol: 'tcp' },
  ]);
  assert.equal(config.swarm, true);
  assert.equal(config.accessKey, 'AKIDEXAMPLE');
  assert.equal(config.sessionToken, 'tok');
  assert.equal(config.privateAddressOnly, true);
  assert.equal(config.spot, true);
  assert.equal(config.spotPrice, '0.0123');
  assert.equal(config.endpoint, 'https://ec2.example.test');
});

test('amazonec2 config: keys from the environment are left to the SDK chain, keys given as flags are stored', () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'envsecret', AWS_SESSION_TOKEN: 'envtoken' };
  const fromEnv = amazonec2ConfigFromFlags(flagValues({ 'amazonec2-access-key': 'AKIDFROMENV', 'amazonec2-secret-key': 'envsecret', 'amazonec2-session-token': 'envtoken' }), env);
  assert.deepEqual(fromEnv.problems, []);
  assert.equal(fromEnv.config.accessKey, undefined);
  assert.equal(fromEnv.config.secretKey, undefined);
  assert.equal(fromEnv.config.sessionToken, undefined);
  const given = amazonec2ConfigFromFlags(flagValues({ 'amazonec2-access-key': 'AKIDGIVEN', 'amazonec2-secret-key': 'given' }), env);
  assert.equal(given.config.accessKey, 'AKIDGIVEN');
  assert.equal(given.config.secretKey, 'given');
});

test('amazonec2 config: tag and port parsers refuse what EC2 would', () => {
  const problems: { field: string }[] = [];
  assert.deepEqual(parseTags('aws:owner,me', problems as never), { 'aws:owner': 'me' });
  assert.equal(problems.length, 1);
  assert.deepEqual(parseOpenPorts('80,443/tcp', []), [
    { port: 80, protocol: 'tcp' },
    { port: 443, protocol: 'tcp' },
  ]);
  const p2: never[] = [];
  assert.deepEqual(parseOpenPorts(['0'], p2), []);
  assert.equal(p2.length, 1);
});

test('amazonec2 rules: 22 and 2376 always; swarm ports with swarm; extra ports; nothing twice', () => {
  const plain = desiredRules({ enginePort: 2376, swarm: false, openPorts: [{ protocol: 'tcp', port: 22 }] });
  assert.deepEqual(plain.map((r) => `${r.fromPort}/${r.protocol} ${r.cidr}`), ['22/tcp 0.0.0.0/0', '2376/tcp 0.0.0.0/0']);
  const swarm = desiredRules({ enginePort: 2376, swarm: true, openPorts: [{ protocol: 'udp', port: 53 }] });
  assert.deepEqual(swarm.map((r) => `${r.fromPort}/${r.protocol}`), ['22/tcp', '2376/tcp', '2377/tcp', '7946/tcp', '7946/udp', '4789/udp', '53/udp']);
  const have = [{ protocol: 'tcp' as const, fromPort: 0, toPort: 65535, cidr: '0.0.0.0/0' }, { protocol: 'udp' as const, fromPort: 7946, toPort: 7946, cidr: '10.0.0.0/8' }];
  assert.deepEqual(missingRules(swarm, have).map((r) => `${r.fromPort}/${r.protocol}`), ['7946/udp', '4789/udp', '53/udp']);
});

test('amazonec2 flags: docker-machine names and environment variables', () => {
  const byName = Object.fromEntries(amazonec2Flags.map((f) => [f.name, f]));
  const env: Record<string, string> = {
    'amazonec2-access-key': 'AWS_ACCESS_KEY_ID',
    'amazonec2-secret-key': 'AWS_SECRET_ACCESS_KEY',
    'amazonec2-session-token': 'AWS_SESSION_TOKEN',
    'amazonec2-region': 'AWS_DEFAULT_REGION',
    'amazonec2-zone': 'AWS_ZONE',
    'amazonec2-ami': 'AWS_AMI',
    'amazonec2-instance-type': 'AWS_INSTANCE_TYPE',
    'amazonec2-vpc-id': 'AWS_VPC_ID',
    'amazonec2-subnet-id': 'AWS_SUBNET_ID',
    'amazonec2-security-group': 'AWS_SECURITY_GROUP',
    'amazonec2-keypair-name': 'AWS_KEYPAIR_NAME',
    'amazonec2-root-size': 'AWS_ROOT_SIZE',
    'amazonec2-ssh-user': 'AWS_SSH_USER',
    'amazonec2-endpoint': 'AWS_ENDPOINT_URL_EC2',
  };
  for (const [name, variable] of Object.entries(env)) assert.equal(byName[name]?.env, variable, name);
  for (const name of ['amazonec2-tags', 'amazonec2-private-address-only', 'amazonec2-use-private-address', 'amazonec2-request-spot-instance', 'amazonec2-spot-price', 'amazonec2-monitoring', 'amazonec2-iam-instance-profile', 'amazonec2-open-port', 'amazonec2-volume-type']) {
    assert.ok(byName[name], `${name} exists`);
  }
  assert.equal(byName['amazonec2-open-port'].type, 'string[]');
  assert.ok(amazonec2Flags.every((f) => f.name.startsWith('amazonec2-')));
});

test('amazonec2: flags and the definition load without the AWS SDK', () => {
  const flagsJs = readFileSync(join(__dirname, '../../../src/drivers/amazonec2/flags.js'), 'utf8');
  assert.doesNotMatch(flagsJs, /@aws-sdk/);
  const index = join(__dirname, '../../../src/drivers/amazonec2/index.js');
  const script = `const d = require(${JSON.stringify(index)}).definition; d.configFromFlags({}); const n = Object.keys(require.cache).filter((k) => k.includes('@aws-sdk')).length; process.stdout.write(String(n));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '0', 'no @aws-sdk module is loaded by importing the driver');
});
