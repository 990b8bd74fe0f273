import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Amazonec2Driver } from '../../../src/drivers/amazonec2/driver';
import { awsError } from '../../helpers/fakes/amazonec2-fake';
import { FAST, ec2Subject as subject } from '../../helpers/fakes/amazonec2-fake';

test('amazonec2 lifecycle: start gives a new public IP, recorded for the certificate check', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  const first = await s.driver.ip();
  await s.driver.stop();
  assert.equal(await s.driver.state(), 'Stopped');
  await assert.rejects(s.driver.ip(), { code: 'MACHINE_NOT_RUNNING' });
  await s.driver.start();
  const second = await s.driver.ip();
  assert.notEqual(second, first);
  assert.ok((await s.driver.addresses()).includes(second));
  assert.equal(JSON.parse(readFileSync(s.ctx.configPath, 'utf8')).publicIp, second);
  await s.driver.remove();
});

test('amazonec2 lifecycle: kill is a forced StopInstances, restart a reboot (or a start when stopped)', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  await s.driver.create();
  await s.driver.restart();
  assert.ok(s.fake.callNames().includes('RebootInstances'));
  await s.driver.kill();
  const stop = s.fake.calls.find((c) => c.call === 'StopInstances')!.arg as { force: boolean };
  assert.equal(stop.force, true);
  await s.driver.restart();
  assert.equal(s.fake.callNames().filter((c) => c === 'StartInstances').length, 1);
  assert.equal(await s.driver.state(), 'Running');
  await s.driver.remove();
});

test('amazonec2 lifecycle: state is None without an instance and Error when it was terminated behind our back', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  assert.equal(await s.driver.state(), 'None');
  await s.driver.create();
  await s.fake.api().terminateInstance(s.ctx.config.resources.instanceId!);
  assert.equal(await s.driver.state(), 'Stopping');
  s.fake.stepPolls = 0;
  await s.fake.api().describeInstance(s.ctx.config.resources.instanceId!);
  assert.equal(await s.driver.state(), 'Error');
  await s.driver.remove();
  assert.equal(await s.driver.state(), 'None');
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 lifecycle: waits report progress and time out naming what they waited for', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.stepPolls = 1_000_000;
  const driver = new Amazonec2Driver(s.ctx, { api: s.fake.api(), pollMs: 1, timeouts: { ...FAST.timeouts, running: 50 } });
  await assert.rejects(driver.create(), (e: Error & { code?: string }) => e.code === 'TIMEOUT' && /instance i-[0-9a-f]+ to be running/.test(e.message));
  assert.ok(s.ctx.events.some((e) => e.kind === 'info' && /Waiting for instance i-.* to be running/.test(e.message)));
  assert.ok(s.ctx.events.some((e) => e.kind === 'info' && /is pending/.test(e.message)));
  s.fake.stepPolls = 0;
  await driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 lifecycle: an instance that dies while pending fails the create at once', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.onCall('RunInstances', () => {
    const id = [...s.fake.instances.keys()][0];
    void s.fake.api().terminateInstance(id);
  });
  const t0 = Date.now();
  await assert.rejects(s.driver.create(), (e: Error & { code?: string }) => e.code === 'DRIVER_ERROR' && /became (shutting-down|terminated)/.test(e.message));
  assert.ok(Date.now() - t0 < 1000, 'no wait for the timeout');
  await s.driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 lifecycle: an interrupt stops a wait and create throws ABORTED', async (t) => {
  const ac = new AbortController();
  const s = subject({}, { signal: ac.signal });
  t.after(() => s.ctx.cleanup());
  s.fake.stepPolls = 1_000_000;
  const driver = new Amazonec2Driver(s.ctx, { api: s.fake.api(), pollMs: 5, timeouts: { ...FAST.timeouts, running: 60_000 } });
  setTimeout(() => ac.abort(new Error('Ctrl-C')), 30);
  await assert.rejects(driver.create(), { code: 'ABORTED' });
  s.fake.stepPolls = 0;
  await driver.remove();
  assert.deepEqual(s.fake.liveResources(), []);
});

test('amazonec2 preCreateCheck: refused credentials say which credential source to set', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.rejectCredentials();
  await assert.rejects(s.driver.preCreateCheck(), (e: Error & { code?: string; suggestion?: string }) => {
    assert.equal(e.code, 'PRECREATE_FAILED');
    assert.match(e.message, /credentials/);
    assert.match(e.suggestion ?? '', /AWS_ACCESS_KEY_ID/);
    assert.match(e.suggestion ?? '', /AWS_PROFILE/);
    assert.match(e.suggestion ?? '', /sso login/);
    return true;
  });
  assert.deepEqual(s.fake.callNames(), ['DescribeAvailabilityZones'], 'one cheap call');
});

test('amazonec2 preCreateCheck: missing permissions name the EC2 action to grant', async (t) => {
  const s = subject();
  t.after(() => s.ctx.cleanup());
  s.fake.failOn('DescribeAvailabilityZones', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));
  await assert.rejects(s.driver.preCreateCheck(), (e: Error & { suggestion?: string }) => /ec2:DescribeAvailabilityZones/.test(e.suggestion ?? ''));
});

test('amazonec2 preCreateCheck: several problems are reported together, creating nothing', async (t) => {
  const s = subject({ 'amazonec2-instance-type': 't3.gigantic', 'amazonec2-subnet-id': 'subnet-00000000dead', 'amazonec2-keypair-name': 'nope', 'amazonec2-zone': 'q' });
  t.after(() => s.ctx.cleanup());
  await assert.rejects(s.driver.preCreateCheck(), (e: Error & { code?: string; problems?: { field: string }[] }) => {
    assert.equal(e.code, 'PRECREATE_FAILED');
    assert.deepEqual(e.problems!.map((p) => p.field).sort(), ['--amazonec2-instance-type', '--amazonec2-keypair-name', '--amazonec2-subnet-id', '--amazonec2-zone']);
    return true;
  });
  assert.deepEqual(s.fake.liveResources(), []);
});
