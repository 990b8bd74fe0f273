import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Amazonec2Driver } from '../../../src/drivers/amazonec2/driver';
import { awsError, FakeEc2 } from '../../helpers/fakes/amazonec2-fake';
import { FAST, ec2Subject as subject } from '../../helpers/fakes/amazonec2-fake';

function saved(path: string) {
  return JSON.parse(readFileSync(path, 'utf8')).resources;
}

test('amazonec2 remove: what cannot be deleted is reported by exact id and stays recorded for a retry', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  const { keyPairId } = s.ctx.config.resources;
  s.fake.failOn('DeleteKeyPair', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));
  await assert.rejects(s.driver.remove(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'DRIVER_ERROR');
    assert.ok(e.message.includes(keyPairId!), e.message);
    assert.match(e.message, /ec2:DeleteKeyPair/);
    return true;
  });
  assert.deepEqual(s.fake.liveResources(), [`key-pair:${keyPairId}`]);
  assert.equal(saved(s.ctx.configPath).keyPairId, keyPairId);
  assert.equal(saved(s.ctx.configPath).instanceId, undefined, 'what was deleted is forgotten');
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
  assert.deepEqual(saved(s.ctx.configPath), {});
});

test('amazonec2 remove: an instance that cannot be terminated keeps its security group, both reported', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  const { instanceId, securityGroupId } = s.ctx.config.resources;
  s.fake.failOn('TerminateInstances', awsError('OperationNotPermitted', 'The instance may not be terminated. Modify its disableApiTermination instance attribute and try again.'));
  await assert.rejects(s.driver.remove(), (e: Error) => e.message.includes(instanceId!) && e.message.includes(securityGroupId!));
  assert.ok(!s.fake.callNames().includes('DeleteSecurityGroup'), 'no pointless wait on a group still in use');
  assert.equal(saved(s.ctx.configPath).instanceId, instanceId);
  assert.equal(saved(s.ctx.configPath).securityGroupId, securityGroupId);
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 remove: DependencyViolation is retried while the interface detaches, then reported with the group id', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  s.fake.eniHoldAttempts = 3;
  await s.driver.remove();
  assert.equal(s.fake.callNames().filter((c) => c === 'DeleteSecurityGroup').length, 4);
  assert.deepEqual(s.fake.liveResources(), []);

  const s2 = subject({}, { name: 'web2' });
  t.after(() => s2.ctx.cleanup());
  await s2.driver.create();
  s2.fake.eniHoldAttempts = 1_000_000;
  const groupId = s2.ctx.config.resources.securityGroupId!;
  const d2 = new Amazonec2Driver(s2.ctx, { api: s2.fake.api(), pollMs: 1, timeouts: { ...FAST.timeouts, groupRelease: 30 } });
  await assert.rejects(d2.remove(), (e: Error) => e.message.includes(groupId) && /DependencyViolation|released/.test(e.message));
  assert.deepEqual(s2.fake.liveResources(), [`security-group:${groupId}`]);
  assert.equal(s2.ctx.config.resources.keyPairName, undefined, 'the key pair was still deleted');
});

test('amazonec2 remove: a created group that another machine reuses is left to it, with a warning', async (t) => {
  const fake = new FakeEc2();
  const a = subject({}, { fake, name: 'a' });
  const b = subject({}, { fake, name: 'b' });
  t.after(() => (a.ctx.cleanup(), b.ctx.cleanup()));
  await a.driver.create();
  await b.driver.create();
  const group = a.ctx.config.resources.securityGroupId!;
  assert.equal(b.ctx.config.resources.securityGroupId, undefined);
  await a.driver.remove();
  assert.ok(fake.groups.has(group));
  assert.ok(a.ctx.events.some((e) => e.kind === 'warn' && e.message.includes(group) && e.message.includes(b.ctx.config.resources.instanceId!)));
  await b.driver.remove();
  assert.deepEqual(fake.liveResources(), [`security-group:${group}`]);
});

test('amazonec2 remove: an instance launched by a RunInstances whose answer was lost is found by its client token', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.loseAnswerOf('RunInstances');
  await assert.rejects(s.driver.create(), /socket hang up/);
  assert.equal(s.ctx.config.resources.instanceId, undefined);
  assert.ok(saved(s.ctx.configPath).clientToken, 'the token was saved before the call');
  assert.equal(s.fake.liveResources().filter((r) => r.startsWith('instance:')).length, 1);
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 create: a retry after a lost RunInstances answer gets the same instance (idempotent)', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.loseAnswerOf('RunInstances');
  await assert.rejects(s.driver.create());
  await s.driver.create();
  assert.equal(s.fake.instances.size, 1);
  assert.equal(await s.driver.state(), 'Running');
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 remove: already-gone resources count as deleted', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  const r = { ...s.ctx.config.resources };
  s.fake.instances.delete(r.instanceId!);
  s.fake.groups.delete(r.securityGroupId!);
  s.fake.keyPairs.delete(r.keyPairName!);
  await s.driver.remove();
  assert.deepEqual(s.ctx.config.resources, {});
});
