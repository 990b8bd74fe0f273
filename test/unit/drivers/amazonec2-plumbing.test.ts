import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunInstanceRequest } from '../../../src/drivers/amazonec2/api';
import { CANONICAL_OWNER, newestImage, pickArchitecture } from '../../../src/drivers/amazonec2/image';
import { OTHER_VPC } from '../../helpers/fakes/amazonec2-fake';
import { ec2Subject as subject, type Ec2Subject as Subject } from '../../helpers/fakes/amazonec2-fake';

function runRequest(s: Subject): RunInstanceRequest {
  const call = s.fake.calls.find((c) => c.call === 'RunInstances');
  assert.ok(call, 'RunInstances was called');
  return call.arg as RunInstanceRequest;
}

function rules(s: Subject, groupId: string): string[] {
  return s.fake.groups.get(groupId)!.ingress.map((r) => `${r.fromPort}-${r.toPort}/${r.protocol} ${r.cidr}`).sort();
}

test('amazonec2 image: newest Canonical Ubuntu 24.04 image of the instance type\'s architecture', async (t) => {
  for (const [type, want] of [['t3.micro', 'ami-0a1000000000000a2'], ['t4g.small', 'ami-0b1000000000000b1']]) {
    const s = subject({ 'amazonec2-instance-type': type });
    t.after(() => s.ctx.cleanup());
    await s.driver.preCreateCheck();
    await s.driver.create();
    assert.equal(runRequest(s).imageId, want, type);
    assert.equal(runRequest(s).rootDeviceName, '/dev/sda1');
    assert.equal(s.ctx.config.imageId, want);
    const lookup = s.fake.calls.find((c) => c.call === 'DescribeImages')!.arg as { owner: string; pattern: string };
    assert.equal(lookup.owner, CANONICAL_OWNER);
    assert.match(lookup.pattern, /^ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-(amd64|arm64)-server-\*$/);
    await s.driver.remove();
  }
});

test('amazonec2 image: looked up when the machine is created, so a newer build is picked up', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.images.push({ ...s.fake.images[1], id: 'ami-0a1000000000000a9', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260101', creationDate: '2026-01-02T00:00:00.000Z' });
  await s.driver.create();
  assert.equal(runRequest(s).imageId, 'ami-0a1000000000000a9');
  await s.driver.remove();
});

test('amazonec2 image: a given AMI is checked and used, no lookup', async (t) => {
  const s = subject({ 'amazonec2-ami': 'ami-0c1000000000000c1' });
  t.after(() => s.ctx.cleanup());
  await s.driver.preCreateCheck();
  await s.driver.create();
  assert.equal(runRequest(s).imageId, 'ami-0c1000000000000c1');
  assert.ok(s.fake.calls.every((c) => c.call !== 'DescribeImages' || c.arg === 'ami-0c1000000000000c1'));
  await s.driver.remove();
});

test('amazonec2 image: newestImage and pickArchitecture', () => {
  const img = (name: string, creationDate: string, state = 'available') => ({ id: name, name, creationDate, state, architecture: 'x86_64', rootDeviceName: '/dev/sda1' });
  assert.equal(newestImage([img('a', '2025-01-01'), img('c', '2025-03-01', 'pending'), img('b', '2025-02-01')])?.id, 'b');
  assert.equal(newestImage([img('x-20250101', '2025-01-01'), img('x-20250102', '2025-01-01')])?.id, 'x-20250102');
  assert.equal(newestImage([]), undefined);
  assert.equal(pickArchitecture(['i386', 'x86_64']), 'x86_64');
  assert.equal(pickArchitecture(['arm64']), 'arm64');
  assert.equal(pickArchitecture(['arm64_mac']), undefined);
});

test('amazonec2 plumbing: a fresh account gets a tagged group with 22 and 2376, an imported key, a tagged instance', async (t) => {
  const s = subject({ 'amazonec2-tags': 'team,web' }, { name: 'web1' });
  t.after(() => s.ctx.cleanup());
  await s.driver.preCreateCheck();
  await s.driver.create();
  const r = s.ctx.config.resources;
  const group = s.fake.groups.get(r.securityGroupId!)!;
  assert.equal(group.name, 'tsmachine');
  assert.deepEqual(group.tags, { team: 'web', Name: 'web1', 'tsmachine-machine': 'web1' });
  assert.deepEqual(rules(s, group.id), ['22-22/tcp 0.0.0.0/0', '2376-2376/tcp 0.0.0.0/0']);
  assert.match(r.keyPairName!, /^tsmachine-web1-[0-9a-f]{8}$/);
  const key = s.fake.keyPairs.get(r.keyPairName!)!;
  assert.equal(key.id, r.keyPairId);
  assert.equal(key.publicKey, s.ctx.sshPublicKey);
  assert.equal(key.tags['tsmachine-machine'], 'web1');
  const req = runRequest(s);
  assert.equal(req.subnetId, 'subnet-0d0d0d0d0d0d0d00', 'the default subnet of zone a');
  assert.equal(req.securityGroupId, group.id);
  assert.equal(req.keyName, r.keyPairName);
  assert.equal(req.associatePublicIp, true);
  assert.equal(req.rootSizeGb, 16);
  assert.equal(req.volumeType, 'gp3');
  assert.equal(req.userData, undefined);
  assert.equal(req.clientToken, r.clientToken);
  assert.deepEqual(req.tags, { team: 'web', Name: 'web1', 'tsmachine-machine': 'web1' });
  assert.ok(r.instanceId);
  const saved = JSON.parse(readFileSync(s.ctx.configPath, 'utf8'));
  assert.deepEqual(saved.resources, r, 'every resource id is saved');
  assert.match(saved.publicIp, /^203\.0\.113\./);
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 plumbing: an existing group is reused, completed with missing rules, and kept on remove', async (t) => {
  const s = subject({ 'amazonec2-open-port': ['8080/tcp'] });
  t.after(() => s.ctx.cleanup());
  const existing = s.fake.seedGroup('tsmachine', [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }]);
  await s.driver.create();
  assert.equal(s.ctx.config.resources.securityGroupId, undefined, 'a reused group is not recorded');
  assert.equal(runRequest(s).securityGroupId, existing);
  assert.deepEqual(rules(s, existing), ['22-22/tcp 0.0.0.0/0', '2376-2376/tcp 0.0.0.0/0', '8080-8080/tcp 0.0.0.0/0']);
  assert.equal(s.fake.callNames().filter((c) => c === 'CreateSecurityGroup').length, 0);
  assert.ok(s.ctx.events.some((e) => e.kind === 'info' && /Reusing security group tsmachine/.test(e.message)));
  await s.driver.remove();
  assert.ok(s.fake.groups.has(existing), 'the group tsmachine did not create survives');
  assert.equal(s.fake.callNames().filter((c) => c === 'DeleteSecurityGroup').length, 0);
});

test('amazonec2 plumbing: --amazonec2-security-group-readonly adds no rule to a reused group', async (t) => {
  const s = subject({ 'amazonec2-security-group': 'locked', 'amazonec2-security-group-readonly': true });
  t.after(() => s.ctx.cleanup());
  const existing = s.fake.seedGroup('locked', []);
  await s.driver.create();
  assert.deepEqual(rules(s, existing), []);
  assert.ok(!s.fake.callNames().includes('AuthorizeSecurityGroupIngress'));
  await s.driver.remove();
});

test('amazonec2 plumbing: swarm opens 2377/tcp, 7946/tcp+udp and 4789/udp', async (t) => {
  const s = subject({ swarm: true, 'amazonec2-open-port': ['53/udp'] });
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  assert.deepEqual(rules(s, s.ctx.config.resources.securityGroupId!), [
    '22-22/tcp 0.0.0.0/0', '2376-2376/tcp 0.0.0.0/0', '2377-2377/tcp 0.0.0.0/0', '4789-4789/udp 0.0.0.0/0',
    '53-53/udp 0.0.0.0/0', '7946-7946/tcp 0.0.0.0/0', '7946-7946/udp 0.0.0.0/0',
  ]);
  await s.driver.remove();
});

test('amazonec2 plumbing: a given key pair is used and kept; the machine key arrives through cloud-init', async (t) => {
  const s = subject({ 'amazonec2-keypair-name': 'mine' });
  t.after(() => s.ctx.cleanup());
  const keyId = s.fake.seedKeyPair('mine');
  await s.driver.preCreateCheck();
  await s.driver.create();
  assert.ok(!s.fake.callNames().includes('ImportKeyPair'));
  assert.equal(runRequest(s).keyName, 'mine');
  assert.ok(runRequest(s).userData?.startsWith('#cloud-config\n'));
  assert.ok(runRequest(s).userData?.includes(s.ctx.sshPublicKey.trim()));
  assert.equal((await s.driver.sshEndpoint()).privateKeyPath, s.ctx.sshKeyPath);
  await s.driver.remove();
  assert.equal(s.fake.keyPairs.get('mine')?.id, keyId);
});

test('amazonec2 plumbing: a subnet of another VPC puts the group in that VPC', async (t) => {
  const s = subject({ 'amazonec2-subnet-id': 'subnet-0e0e0e0e0e0e0e0e1', 'amazonec2-zone': 'b' });
  t.after(() => s.ctx.cleanup());
  await s.driver.preCreateCheck();
  await s.driver.create();
  assert.equal(s.fake.groups.get(s.ctx.config.resources.securityGroupId!)?.vpcId, OTHER_VPC);
  assert.equal(s.ctx.config.usedVpcId, OTHER_VPC);
  assert.equal(runRequest(s).subnetId, 'subnet-0e0e0e0e0e0e0e0e1');
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 plumbing: --amazonec2-private-address-only launches without a public IP and uses the private one', async (t) => {
  const s = subject({ 'amazonec2-private-address-only': true });
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  assert.equal(runRequest(s).associatePublicIp, false);
  assert.match(await s.driver.ip(), /^172\.31\./);
  assert.ok((await s.driver.addresses()).every((a) => !a.startsWith('203.')));
  await s.driver.remove();
});

test('amazonec2 plumbing: --amazonec2-use-private-address reaches the private IP, certificates cover both', async (t) => {
  const s = subject({ 'amazonec2-use-private-address': true });
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  assert.equal(runRequest(s).associatePublicIp, true);
  assert.match(await s.driver.ip(), /^172\.31\./);
  assert.equal((await s.driver.sshEndpoint()).host, await s.driver.ip());
  const all = await s.driver.addresses();
  assert.ok(all.some((a) => a.startsWith('172.31.')));
  assert.ok(all.some((a) => a.endsWith('.ec2.internal')));
  await s.driver.remove();
});

test('amazonec2 plumbing: a spot instance is one-time, cannot be stopped, and leaves no request behind', async (t) => {
  const s = subject({ 'amazonec2-request-spot-instance': true, 'amazonec2-spot-price': '0.02' });
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  assert.deepEqual(runRequest(s).spot, { maxPrice: '0.02' });
  const sir = s.ctx.config.resources.spotRequestId;
  assert.ok(sir);
  await assert.rejects(s.driver.stop(), { code: 'NOT_SUPPORTED' });
  await assert.rejects(s.driver.kill(), { code: 'NOT_SUPPORTED' });
  await s.driver.restart();
  assert.equal(await s.driver.state(), 'Running');
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
  assert.equal(s.ctx.config.resources.spotRequestId, undefined);
});
