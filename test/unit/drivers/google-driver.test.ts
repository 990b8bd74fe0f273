import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleFake, googleError } from '../../helpers/fakes/google-fake';
import { makeDriverContext, type TestDriverContext } from '../../helpers/driver-context';
import { GoogleDriver } from '../../../src/drivers/google/driver';
import { googleConfigFromFlags, type GoogleConfig } from '../../../src/drivers/google/config';
import { isTsmError, type TsmError } from '../../../src/core/errors';
import type { FlagValues } from '../../../src/drivers/driver';

const fast = { sleep: async () => undefined, pollMs: 1, timeouts: { operationMs: 500, statusMs: 500 } };

function setup(fake: GoogleFake, name: string, flags: FlagValues = {}): { ctx: TestDriverContext<GoogleConfig>; driver: GoogleDriver } {
  const { config, problems } = googleConfigFromFlags({ 'google-project': 'tsm-test-project', ...flags });
  assert.deepEqual(problems, []);
  const ctx = makeDriverContext({ name, config });
  return { ctx, driver: new GoogleDriver(ctx, { api: fake, ...fast }) };
}

async function created(fake: GoogleFake, name: string, flags: FlagValues = {}) {
  const s = setup(fake, name, flags);
  await s.driver.preCreateCheck();
  await s.driver.create();
  return s;
}

test('google: the newest non-deprecated Ubuntu 24.04 LTS image is looked up at create time', async (t) => {
  const fake = new GoogleFake();
  const a = await created(fake, 'img-a');
  t.after(() => a.ctx.cleanup());
  assert.equal(fake.instance('us-central1-a', 'img-a')!.spec!.sourceImage, 'https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250610');
  fake.images.push({ project: 'ubuntu-os-cloud', name: 'ubuntu-2404-noble-amd64-v20250901', family: 'ubuntu-2404-lts-amd64', creationTimestamp: '2025-09-01T00:00:00Z', selfLink: 'https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250901' });
  const b = await created(fake, 'img-b');
  t.after(() => b.ctx.cleanup());
  assert.match(fake.instance('us-central1-a', 'img-b')!.spec!.sourceImage, /v20250901$/);
  assert.match(b.ctx.config.sourceImage!, /v20250901$/, 'the image used is recorded');
});

test('google: the instance carries the machine key for the user, the tags and the boot disk asked for', async (t) => {
  const fake = new GoogleFake();
  const { ctx, driver } = await created(fake, 'spec', { 'google-tags': 'web', 'google-disk-size': 30, 'google-preemptible': true });
  t.after(() => ctx.cleanup());
  const spec = fake.instance('us-central1-a', 'spec')!.spec!;
  assert.equal(spec.metadata.find((m) => m.key === 'ssh-keys')!.value, `docker-user:${ctx.sshPublicKey.trim()}`);
  assert.deepEqual(spec.tags, ['web', 'tsmachine']);
  assert.equal(spec.diskSizeGb, 30);
  assert.equal(spec.diskType, 'pd-balanced');
  assert.equal(spec.preemptible, true);
  const ssh = await driver.sshEndpoint();
  assert.deepEqual({ user: ssh.user, port: ssh.port, key: ssh.privateKeyPath }, { user: 'docker-user', port: 22, key: ctx.sshKeyPath });
  assert.equal(ssh.host, fake.instance('us-central1-a', 'spec')!.externalIp);
  const addrs = await driver.addresses();
  assert.ok(addrs.includes(ssh.host) && addrs.includes(fake.instance('us-central1-a', 'spec')!.internalIp!));
  assert.ok(addrs.includes('spec.us-central1-a.c.tsm-test-project.internal'));
  assert.ok(ctx.events.some((e) => e.kind === 'info' && /RUNNING/.test(e.message)), 'waits are reported');
});

test('google: a firewall rule the user made is reused, not recorded and not deleted', async (t) => {
  const fake = new GoogleFake();
  fake.firewalls.set('tsmachine', { name: 'tsmachine', network: 'global/networks/default', description: 'made by hand', targetTags: ['tsmachine'], sourceRanges: ['10.0.0.0/8'], allowed: [{ protocol: 'tcp', ports: ['22', '2376'] }] });
  const { ctx, driver } = await created(fake, 'reuse');
  t.after(() => ctx.cleanup());
  assert.equal(fake.count('firewalls.insert'), 0);
  assert.equal(ctx.config.resources.firewall, undefined);
  await driver.remove();
  assert.deepEqual(fake.liveResources(), ['firewall:tsmachine']);
});

test('google: the shared rule stays while another tsmachine instance uses it; the last machine out deletes it', async (t) => {
  const fake = new GoogleFake();
  const a = await created(fake, 'first');
  const b = await created(fake, 'second');
  t.after(() => (a.ctx.cleanup(), b.ctx.cleanup()));
  assert.equal(fake.count('firewalls.insert'), 1, 'the second machine reuses the rule');
  assert.equal(a.ctx.config.resources.firewall, 'tsmachine');
  assert.equal(b.ctx.config.resources.firewall, undefined);
  await a.driver.remove();
  assert.deepEqual(fake.liveResources(), ['firewall:tsmachine', 'instance:us-central1-a/second']);
  assert.equal(a.ctx.config.resources.firewall, undefined, 'handed over, no longer recorded by the first');
  await b.driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('google: a static address is reserved only when missing, and released only when reserved', async (t) => {
  const fake = new GoogleFake();
  fake.addresses.set('us-central1/kept-ip', { name: 'kept-ip', address: '35.1.2.3', status: 'RESERVED' });
  const kept = await created(fake, 'kept', { 'google-address': 'kept-ip' });
  t.after(() => kept.ctx.cleanup());
  assert.equal(await kept.driver.ip(), '35.1.2.3');
  assert.equal(kept.ctx.config.resources.address, undefined);
  await kept.driver.remove();
  assert.deepEqual(fake.liveResources(), ['address:us-central1/kept-ip']);

  const own = await created(fake, 'own', { 'google-address': 'own-ip' });
  t.after(() => own.ctx.cleanup());
  assert.equal(own.ctx.config.resources.address, 'own-ip');
  assert.equal(await own.driver.ip(), fake.addresses.get('us-central1/own-ip')!.address);
  await own.driver.remove();
  assert.deepEqual(fake.liveResources(), ['address:us-central1/kept-ip']);
});

test('google: remove lists every resource it could not delete, keeps them recorded, and a retry finishes', async (t) => {
  const fake = new GoogleFake();
  const { ctx, driver } = await created(fake, 'stuck', { 'google-open-port': ['8080'] });
  t.after(() => ctx.cleanup());
  fake.failOn('instances.delete', googleError(7, "Required 'compute.instances.delete' permission for 'projects/tsm-test-project/zones/us-central1-a/instances/stuck'"));
  const err = await driver.remove().then(() => undefined, (e: TsmError) => e);
  assert.ok(isTsmError(err, 'DRIVER_ERROR'));
  assert.match(err.message, /instance projects\/tsm-test-project\/zones\/us-central1-a\/instances\/stuck: Required/);
  assert.match(err.message, /machineFirewall tsm-stuck/);
  assert.match(err.message, /firewall tsmachine/);
  assert.deepEqual(ctx.config.resources, { instance: 'stuck', firewall: 'tsmachine', machineFirewall: 'tsm-stuck' });
  assert.equal(fake.liveResources().length, 3);

  fake.failOn('firewalls.delete', googleError(7, 'permission denied on firewalls.delete'));
  const err2 = await driver.remove().then(() => undefined, (e: TsmError) => e);
  assert.match(err2!.message, /firewall rule projects\/tsm-test-project\/global\/firewalls\/tsm-stuck: permission denied/);
  assert.deepEqual(ctx.config.resources, { machineFirewall: 'tsm-stuck' });

  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
  assert.deepEqual(ctx.config.resources, {});
});

test('google: preCreateCheck names the credential sources, a taken instance name, and --google-use-existing', async (t) => {
  const fake = new GoogleFake();
  const { ctx, driver } = setup(fake, 'taken');
  t.after(() => ctx.cleanup());
  fake.failOn('zones.get', new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.'));
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /GOOGLE_APPLICATION_CREDENTIALS/.test(e.suggestion!) && /application-default login/.test(e.suggestion!));
  fake.addInstance('us-central1-a', 'taken');
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => /already exists/.test(e.message) && /--google-use-existing/.test(e.suggestion!));
  assert.deepEqual(fake.calls.filter((c) => /insert|delete|set/.test(c)), []);
});

test('google --google-use-existing: adds the key and tags, takes exactly those away on remove, never deletes the instance', async (t) => {
  const fake = new GoogleFake();
  fake.addInstance('us-central1-a', 'mine', { status: 'TERMINATED', externalIp: undefined, tags: ['web'], metadata: [{ key: 'ssh-keys', value: 'alice:ssh-ed25519 AAAA alice' }, { key: 'startup-script', value: 'echo hi' }] });
  const { ctx, driver } = await created(fake, 'mine', { 'google-use-existing': true });
  t.after(() => ctx.cleanup());
  const inst = fake.instance('us-central1-a', 'mine')!;
  assert.equal(inst.status, 'RUNNING', 'a stopped instance is started');
  assert.deepEqual(inst.tags, ['web', 'tsmachine']);
  assert.equal(inst.metadata.find((m) => m.key === 'ssh-keys')!.value, `alice:ssh-ed25519 AAAA alice\ndocker-user:${ctx.sshPublicKey.trim()}`);
  await driver.remove();
  assert.deepEqual(inst.tags, ['web']);
  assert.deepEqual(inst.metadata, [{ key: 'startup-script', value: 'echo hi' }, { key: 'ssh-keys', value: 'alice:ssh-ed25519 AAAA alice' }]);
  assert.deepEqual(fake.liveResources(), ['instance:us-central1-a/mine']);
});

test('google: an operation that finishes with an error fails create with its message; remove cleans up', async (t) => {
  const fake = new GoogleFake();
  const { ctx, driver } = setup(fake, 'quota');
  t.after(() => ctx.cleanup());
  fake.failOperation('instances.insert', "QUOTA_EXCEEDED: Quota 'CPUS' exceeded. Limit: 8.0 in region us-central1.");
  await driver.preCreateCheck();
  await assert.rejects(driver.create(), (e: TsmError) => e.code === 'DRIVER_ERROR' && /instance quota to be created failed: QUOTA_EXCEEDED/.test(e.message));
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('google: a wait that times out says what it waited for and the last status', async (t) => {
  const fake = new GoogleFake();
  const { ctx, driver } = setup(fake, 'slow');
  t.after(() => ctx.cleanup());
  fake.onCall('instances.insert', () => (fake.instance('us-central1-a', 'slow')!.next = Array(1000).fill('STAGING')));
  await driver.preCreateCheck();
  await assert.rejects(driver.create(), (e: TsmError) => e.code === 'TIMEOUT' && /instance slow to be RUNNING/.test(e.message) && /last status: STAGING/.test(e.message));
  await driver.remove();
});

test('google: stop and kill are instances.stop, restart is a reset, start brings a new ephemeral IP', async (t) => {
  const fake = new GoogleFake();
  const { ctx, driver } = await created(fake, 'power');
  t.after(() => ctx.cleanup());
  const first = await driver.ip();
  await driver.kill();
  assert.equal(fake.count('instances.stop'), 1);
  assert.equal(await driver.state(), 'Stopped');
  await assert.rejects(driver.ip(), (e: TsmError) => e.code === 'MACHINE_NOT_RUNNING');
  await driver.start();
  const second = await driver.ip();
  assert.notEqual(second, first);
  assert.equal(ctx.config.ip, second);
  await driver.restart();
  assert.equal(fake.count('instances.reset'), 1);
  assert.equal(await driver.ip(), second, 'a reset keeps the IP');
  await driver.stop();
  assert.equal(fake.count('instances.stop'), 2);
  await driver.remove();
  assert.equal(await driver.state(), 'None');
});
