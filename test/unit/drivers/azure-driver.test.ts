import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isTsmError, TsmError } from '../../../src/core/errors';
import type { FlagValues } from '../../../src/drivers/driver';
import { definition } from '../../../src/drivers/azure';
import { AzureDriver, type AzureTimeouts } from '../../../src/drivers/azure/driver';
import type { AzureConfig } from '../../../src/drivers/azure/config';
import { AzureFake, FAKE_SUBSCRIPTION, UBUNTU_VERSIONS, fastSleep } from '../../helpers/fakes/azure-fake';
import { makeDriverContext } from '../../helpers/driver-context';

function setup(t: TestContext, flags: FlagValues = {}, o: { fake?: AzureFake; timeouts?: Partial<AzureTimeouts>; signal?: AbortSignal; name?: string } = {}) {
  const { config, problems } = definition.configFromFlags({ 'azure-subscription-id': FAKE_SUBSCRIPTION, ...flags });
  assert.deepEqual(problems, []);
  const fake = o.fake ?? new AzureFake();
  const ctx = makeDriverContext<AzureConfig>({ name: o.name ?? 'web1', config, signal: o.signal });
  t.after(() => ctx.cleanup());
  const driver = new AzureDriver(ctx, { api: fake, sleep: fastSleep, pollMs: 1, timeouts: o.timeouts });
  return { fake, ctx, driver, config };
}

const vmSpec = (fake: AzureFake, group: string, name: string) => fake.get('vm', group, name)?.data.spec as { image: { version: string }; sshPublicKey: string; adminUser: string };

test('azure create picks the newest Ubuntu 24.04 LTS image version at create time, installs the key, records everything', async (t) => {
  const { fake, ctx, driver } = setup(t);
  await driver.preCreateCheck();
  await driver.create();
  const newest = [...UBUNTU_VERSIONS].sort().at(-1);
  const spec = vmSpec(fake, 'tsmachine-web1', 'web1');
  assert.equal(spec.image.version, newest);
  assert.equal(ctx.config.imageVersion, newest);
  assert.equal(spec.sshPublicKey, ctx.sshPublicKey.trim());
  assert.equal(spec.adminUser, 'azureuser');
  const saved = JSON.parse(readFileSync(ctx.configPath, 'utf8')) as AzureConfig;
  assert.deepEqual(Object.keys(saved.resources).sort(), ['nic', 'nsg', 'osDisk', 'publicIp', 'resourceGroup', 'subnet', 'vm', 'vnet']);
  assert.equal(await driver.ip(), saved.addresses.publicIp);
  assert.deepEqual((await driver.sshEndpoint()).user, 'azureuser');
  assert.ok((await driver.addresses()).includes(saved.addresses.privateIp!));
  assert.ok(ctx.events.some((e) => e.kind === 'info' && /power running/.test(e.message)), 'the wait reports the VM state');
});

test('azure: a pinned image version must be published; an unknown one is refused by preCreateCheck', async (t) => {
  const pinned = setup(t, { 'azure-image': `canonical:ubuntu-24_04-lts:server:${UBUNTU_VERSIONS[2]}` });
  await pinned.driver.preCreateCheck();
  await pinned.driver.create();
  assert.equal(vmSpec(pinned.fake, 'tsmachine-web1', 'web1').image.version, UBUNTU_VERSIONS[2]);
  const missing = setup(t, { 'azure-image': 'canonical:ubuntu-24_04-lts:server:24.04.1' });
  await assert.rejects(missing.driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /--azure-image/.test(e.message));
  assert.deepEqual(missing.fake.liveResources(), []);
});

test('azure: existing group, vnet, subnet and NSG are reused and survive remove; only the machine\'s resources go', async (t) => {
  const fake = new AzureFake();
  fake.putGroup('team-rg');
  const vnet = fake.put('vnet', 'team-rg', 'tsmachine-vnet');
  const subnet = fake.put('subnet', 'team-rg', 'tsmachine-subnet', { addressPrefix: '192.168.0.0/16' }, [], 'tsmachine-vnet');
  const nsg = fake.put('nsg', 'team-rg', 'web1-nsg');
  const otherNic = fake.put('nic', 'team-rg', 'other-nic', { privateIp: '192.168.0.99' }, [subnet.id, nsg.id]);
  const before = fake.liveResources();
  const { driver, ctx } = setup(t, { 'azure-resource-group': 'team-rg' }, { fake });
  await driver.preCreateCheck();
  await driver.create();
  assert.deepEqual(Object.keys(ctx.config.resources).sort(), ['nic', 'osDisk', 'publicIp', 'vm']);
  assert.ok(!fake.calls.includes('createVnet') && !fake.calls.includes('createNsg') && !fake.calls.includes('createResourceGroup'));
  await driver.remove();
  assert.deepEqual(fake.liveResources(), before);
  assert.ok(fake.get('nic', 'team-rg', 'other-nic') === otherNic && fake.get('vnet', 'team-rg', 'tsmachine-vnet') === vnet);
  assert.ok(!fake.calls.includes('deleteResourceGroup'), 'a group tsmachine did not create is never deleted');
});

test('azure: a group the machine created is removed with one group-level delete', async (t) => {
  const { fake, driver, ctx } = setup(t);
  await driver.create();
  await driver.remove();
  assert.ok(fake.calls.includes('deleteResourceGroup'));
  assert.ok(!fake.calls.includes('deleteVm'), 'no per-resource deletes when the group holds only the machine');
  assert.deepEqual(fake.liveResources(), []);
  assert.deepEqual(ctx.config.resources, {});
});

test('azure: something foreign put in the machine\'s group is kept, with the group, and the machine\'s resources go one by one', async (t) => {
  const { fake, driver, ctx } = setup(t);
  await driver.create();
  const foreign = fake.put('publicIp', 'tsmachine-web1', 'someone-elses-ip', { ipAddress: '20.9.9.9' });
  await driver.remove();
  assert.ok(fake.calls.includes('deleteVm') && !fake.calls.includes('deleteResourceGroup'));
  assert.deepEqual(fake.liveResources(), [`publicIp:${foreign.id}`, `resourceGroup:${fake.groupId('tsmachine-web1')}`].sort());
  assert.ok(ctx.events.some((e) => e.kind === 'warn' && e.message.includes(foreign.id)));
});

test('azure remove reports each resource id it could not delete, keeps it recorded, and a retry finishes', async (t) => {
  const fake = new AzureFake();
  fake.putGroup('team-rg');
  const { driver, ctx } = setup(t, { 'azure-resource-group': 'team-rg' }, { fake });
  await driver.create();
  fake.failOn('deleteNic');
  const nicId = fake.get('nic', 'team-rg', 'web1-nic')!.id;
  await assert.rejects(driver.remove(), (e: TsmError) => e.code === 'DRIVER_ERROR' && e.message.includes(nicId) && /rm web1/.test(e.suggestion ?? ''));
  assert.equal(ctx.config.resources.nic, 'web1-nic');
  assert.equal(ctx.config.resources.vm, undefined, 'what was deleted is forgotten');
  const saved = JSON.parse(readFileSync(ctx.configPath, 'utf8')) as AzureConfig;
  assert.equal(saved.resources.nic, 'web1-nic', 'the record on disk keeps it');
  await driver.remove();
  assert.deepEqual(fake.liveResources(), [`resourceGroup:${fake.groupId('team-rg')}`]);
});

test('azure remove reports the group id when the group-level delete fails', async (t) => {
  const { fake, driver, ctx } = setup(t);
  await driver.create();
  fake.failOn('deleteResourceGroup');
  await assert.rejects(driver.remove(), (e: TsmError) => e.code === 'DRIVER_ERROR' && e.message.includes(fake.groupId('tsmachine-web1')));
  assert.equal(ctx.config.resources.resourceGroup, 'tsmachine-web1');
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('azure: resources named like the machine\'s but not made by it are refused, never adopted or deleted', async (t) => {
  const fake = new AzureFake();
  fake.putGroup('team-rg');
  const pip = fake.put('publicIp', 'team-rg', 'web1-ip', { ipAddress: '20.0.0.1' });
  const { driver } = setup(t, { 'azure-resource-group': 'team-rg' }, { fake });
  await assert.rejects(driver.create(), (e: TsmError) => e.code === 'DRIVER_ERROR' && e.message.includes(pip.id));
  await driver.remove();
  assert.ok(fake.get('publicIp', 'team-rg', 'web1-ip'), 'the existing public IP is still there');
  assert.deepEqual(fake.liveResources().filter((r) => !r.includes('web1-ip')).length, 1, 'only the group is left besides it');
});

test('azure preCreateCheck: a VM name taken in the given group, and refused credentials, fail before anything is made', async (t) => {
  const fake = new AzureFake();
  fake.putGroup('team-rg');
  fake.put('vm', 'team-rg', 'web1', { power: 'running' });
  const taken = setup(t, { 'azure-resource-group': 'team-rg' }, { fake });
  await assert.rejects(taken.driver.preCreateCheck(), (e: TsmError) => /--azure-resource-group/.test(e.message));
  const bad = setup(t);
  bad.fake.rejectCredentials();
  await assert.rejects(bad.driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /AZURE_CLIENT_SECRET/.test(e.suggestion ?? '') && /az login/.test(e.suggestion ?? ''));
  assert.deepEqual(bad.fake.liveResources(), []);
});

test('azure: the NSG opens 22, 2376, the swarm ports with swarm, and --azure-open-port', async (t) => {
  const { fake, driver } = setup(t, { swarm: true, 'azure-open-port': ['8080'] });
  await driver.create();
  const rules = fake.get('nsg', 'tsmachine-web1', 'web1-nsg')!.data.rules as Array<{ port: string; protocol: string }>;
  assert.deepEqual(rules.map((r) => `${r.port}/${r.protocol}`), ['22/Tcp', '2376/Tcp', '2377/Tcp', '7946/Tcp', '7946/Udp', '4789/Udp', '8080/Tcp']);
  const nic = fake.get('nic', 'tsmachine-web1', 'web1-nic')!;
  assert.ok(nic.uses.includes(fake.get('nsg', 'tsmachine-web1', 'web1-nsg')!.id), 'the NSG is associated with the NIC');
});

test('azure power: stop deallocates, kill powers off hard, restart of a stopped VM starts it; state after remove is None', async (t) => {
  const { fake, driver } = setup(t);
  await driver.create();
  await driver.stop();
  assert.equal(await driver.state(), 'Stopped');
  assert.equal(fake.get('vm', 'tsmachine-web1', 'web1')!.data.power, 'deallocated');
  await driver.start();
  await driver.kill();
  assert.equal(fake.get('vm', 'tsmachine-web1', 'web1')!.data.power, 'stopped');
  assert.ok(fake.calls.includes('powerOffVm'));
  await driver.restart();
  assert.equal(await driver.state(), 'Running');
  assert.ok(!fake.calls.includes('restartVm'), 'a stopped VM is started, not restarted');
  await driver.restart();
  assert.ok(fake.calls.includes('restartVm'));
  await driver.remove();
  assert.equal(await driver.state(), 'None');
});

test('azure: a long-running operation that never ends is bounded and says what it waited for; remove still cleans up', async (t) => {
  const { fake, driver } = setup(t, {}, { timeouts: { vm: 40 } });
  fake.hangOn('createVm');
  await assert.rejects(driver.create(), (e: TsmError) => e.code === 'TIMEOUT' && /creating VM web1/.test(e.message));
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('azure: an interrupt during a long-running operation ends create at once with ABORTED', async (t) => {
  const ac = new AbortController();
  const { fake, driver } = setup(t, {}, { signal: ac.signal });
  fake.hangOn('createNic');
  setTimeout(() => ac.abort(new Error('Ctrl-C')), 20);
  const t0 = Date.now();
  await assert.rejects(driver.create(), (e: unknown) => isTsmError(e, 'ABORTED'));
  assert.ok(Date.now() - t0 < 2000);
  assert.ok(!fake.calls.includes('createVm'), 'nothing is created after the interrupt');
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('azure --azure-no-public-ip: no public IP, SSH and the engine on the private address', async (t) => {
  const { fake, driver } = setup(t, { 'azure-no-public-ip': true, 'azure-private-ip-address': '192.168.7.7' });
  await driver.create();
  assert.ok(!fake.calls.includes('createPublicIp'));
  assert.equal(await driver.ip(), '192.168.7.7');
  assert.deepEqual(await driver.addresses(), ['192.168.7.7']);
});

test('azure [group:]vnet: a missing vnet group is refused; an existing vnet there is used and kept', async (t) => {
  const missing = setup(t, { 'azure-vnet': 'net-rg:hub' });
  await assert.rejects(missing.driver.preCreateCheck(), (e: TsmError) => /--azure-vnet/.test(e.message));
  const fake = new AzureFake();
  fake.putGroup('net-rg');
  fake.put('vnet', 'net-rg', 'hub');
  fake.put('subnet', 'net-rg', 'tsmachine-subnet', { addressPrefix: '192.168.0.0/16' }, [], 'hub');
  const { driver } = setup(t, { 'azure-vnet': 'net-rg:hub' }, { fake });
  await driver.preCreateCheck();
  await driver.create();
  await driver.remove();
  assert.deepEqual(fake.liveResources(), [
    `resourceGroup:${fake.groupId('net-rg')}`,
    `subnet:${fake.idOf('subnet', 'net-rg', 'tsmachine-subnet', 'hub')}`,
    `vnet:${fake.idOf('vnet', 'net-rg', 'hub')}`,
  ].sort());
});

test('azure: a VM whose provisioning failed is reported at once, not after the whole wait', async (t) => {
  const { fake, driver } = setup(t, {}, { timeouts: { settle: 60_000 } });
  fake.onCall('createVm', () => {
    const vm = fake.get('vm', 'tsmachine-web1', 'web1')!;
    vm.provisioningState = 'Failed';
    vm.data.power = undefined;
  });
  const t0 = Date.now();
  await assert.rejects(driver.create(), (e: TsmError) => e.code === 'DRIVER_ERROR' && /failed to provision/.test(e.message));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(await driver.state(), 'Error');
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('azure: plumbing one machine created and another now uses is kept (with a warning naming it) when the first is removed', async (t) => {
  const fake = new AzureFake();
  fake.putGroup('team-rg');
  const a = setup(t, { 'azure-resource-group': 'team-rg', 'azure-availability-set': 'team-as' }, { fake, name: 'a1' });
  await a.driver.create();
  assert.equal(a.ctx.config.resources.vnet, 'tsmachine-vnet');
  assert.equal(a.ctx.config.resources.availabilitySet, 'team-as');
  const b = setup(t, { 'azure-resource-group': 'team-rg', 'azure-availability-set': 'team-as' }, { fake, name: 'b1' });
  await b.driver.create();
  assert.equal(b.ctx.config.resources.vnet, undefined, 'b reuses what a made');
  await a.driver.remove();
  const vnetId = fake.idOf('vnet', 'team-rg', 'tsmachine-vnet');
  const subnetId = fake.idOf('subnet', 'team-rg', 'tsmachine-subnet', 'tsmachine-vnet');
  const asId = fake.idOf('availabilitySet', 'team-rg', 'team-as');
  for (const id of [subnetId, asId]) assert.ok(a.ctx.events.some((e) => e.kind === 'warn' && e.message.includes(id)), `warned about ${id}`);
  assert.ok(fake.get('vnet', 'team-rg', 'tsmachine-vnet') && fake.get('nic', 'team-rg', 'b1-nic'), 'b keeps its network');
  assert.equal(await b.driver.state(), 'Running');
  assert.deepEqual(a.ctx.config.resources, {}, 'a forgets what is no longer only its own');
  await b.driver.remove();
  // Known limit: plumbing a1 made and b1 outlived stays (b1 did not make it); tsmachine deletes nothing it did not create.
  assert.deepEqual(fake.liveResources(), [`availabilitySet:${asId}`, `resourceGroup:${fake.groupId('team-rg')}`, `subnet:${subnetId}`, `vnet:${vnetId}`].sort());
});
