import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DigitalOceanFake, fingerprintOf } from '../../helpers/fakes/digitalocean-fake';
import { makeDriverContext, type TestDriverContext } from '../../helpers/driver-context';
import { DigitalOceanDriver } from '../../../src/drivers/digitalocean/driver';
import { digitaloceanConfigFromFlags, type DigitalOceanConfig } from '../../../src/drivers/digitalocean/config';
import { DoApiError } from '../../../src/drivers/digitalocean/api';
import { isTsmError, type TsmError } from '../../../src/core/errors';
import type { FlagValues } from '../../../src/drivers/driver';
import { generateEd25519Key } from '../../../src/core/ssh-key';

const fast = { sleep: async () => undefined, pollMs: 1, timeouts: { actionMs: 500, statusMs: 500 } };

function setup(fake: DigitalOceanFake, name: string, flags: FlagValues = {}): { ctx: TestDriverContext<DigitalOceanConfig>; driver: DigitalOceanDriver } {
  const { config, problems } = digitaloceanConfigFromFlags({ 'digitalocean-access-token': 'dop_v1_fake', ...flags });
  assert.deepEqual(problems, []);
  const ctx = makeDriverContext({ name, config });
  return { ctx, driver: new DigitalOceanDriver(ctx, { api: fake, ...fast }) };
}

async function created(fake: DigitalOceanFake, name: string, flags: FlagValues = {}) {
  const s = setup(fake, name, flags);
  await s.driver.preCreateCheck();
  await s.driver.create();
  return s;
}

test('digitalocean: imports the machine key as tsmachine-<name> and creates the droplet with it', async (t) => {
  const fake = new DigitalOceanFake();
  const { ctx, driver } = setup(fake, 'web1', { 'digitalocean-tags': 'env:prod', 'digitalocean-ipv6': true, 'digitalocean-userdata': 'placeholder' });
  t.after(() => ctx.cleanup());
  const userData = join(ctx.dir, 'user-data.yaml');
  writeFileSync(userData, '#cloud-config\npackages: [htop]\n');
  ctx.config.userDataPath = userData;
  await driver.preCreateCheck();
  await driver.create();
  const key = fake.keys.get(ctx.config.resources.sshKey!)!;
  assert.equal(key.name, 'tsmachine-web1');
  assert.equal(key.publicKey, ctx.sshPublicKey.trim());
  const d = fake.droplets.get(ctx.config.resources.droplet!)!;
  assert.deepEqual(d.spec!.sshKeys, [key.id]);
  assert.deepEqual(d.spec!.tags, ['env:prod', 'tsmachine']);
  assert.equal(d.spec!.image, 'ubuntu-24-04-x64');
  assert.equal(d.spec!.userData, '#cloud-config\npackages: [htop]\n');
  assert.equal(await driver.state(), 'Running');
  const ssh = await driver.sshEndpoint();
  assert.deepEqual(ssh, { host: d.publicIpv4, port: 22, user: 'root', privateKeyPath: ctx.sshKeyPath });
  assert.deepEqual(await driver.addresses(), [d.publicIpv4, d.privateIpv4, d.publicIpv6]);
  assert.ok(ctx.events.some((e) => e.kind === 'info' && /active with a public IPv4/.test(e.message)), 'the wait is reported');
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('digitalocean --digitalocean-ssh-key-fingerprint: the account key is used, nothing imported, and the private key must match', async (t) => {
  const fake = new DigitalOceanFake();
  const pair = generateEd25519Key('');
  const other = generateEd25519Key('');
  const account = fake.addKey('laptop', pair.public);
  const probe = makeDriverContext({ name: 'probe', config: {} });
  t.after(() => probe.cleanup());
  const keyPath = join(probe.dir, 'id_user');
  const wrongPath = join(probe.dir, 'id_other');
  writeFileSync(keyPath, pair.private, { mode: 0o600 });
  writeFileSync(wrongPath, other.private, { mode: 0o600 });

  const wrong = setup(fake, 'fp-wrong', { 'digitalocean-ssh-key-fingerprint': account.fingerprint, 'digitalocean-ssh-key-path': wrongPath });
  t.after(() => wrong.ctx.cleanup());
  await assert.rejects(wrong.driver.preCreateCheck(), (e: TsmError) => /ssh-key-path.*is not the private half/.test(e.message));

  const { ctx, driver } = await created(fake, 'fp', { 'digitalocean-ssh-key-fingerprint': account.fingerprint, 'digitalocean-ssh-key-path': keyPath });
  t.after(() => ctx.cleanup());
  assert.equal(fake.count('keys.create'), 0);
  assert.deepEqual(fake.droplets.get(ctx.config.resources.droplet!)!.spec!.sshKeys, [account.fingerprint]);
  assert.equal((await driver.sshEndpoint()).privateKeyPath, keyPath);
  await driver.remove();
  assert.deepEqual(fake.liveResources(), [`key:${account.id}`], 'the account key stays');
});

test('digitalocean: a key imported by an interrupted run is found by fingerprint and adopted; a same key under another name is used but kept', async (t) => {
  const fake = new DigitalOceanFake();
  const { ctx, driver } = setup(fake, 'retry');
  t.after(() => ctx.cleanup());
  const leftover = fake.addKey('tsmachine-retry', ctx.sshPublicKey);
  await driver.create();
  assert.equal(ctx.config.resources.sshKey, leftover.id);
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);

  const fake2 = new DigitalOceanFake();
  const s2 = setup(fake2, 'shared-key');
  t.after(() => s2.ctx.cleanup());
  const users = fake2.addKey('my-key', s2.ctx.sshPublicKey);
  await s2.driver.create();
  assert.equal(s2.ctx.config.resources.sshKey, undefined);
  assert.equal(fingerprintOf(s2.ctx.sshPublicKey), users.fingerprint);
  await s2.driver.remove();
  assert.deepEqual(fake2.liveResources(), [`key:${users.id}`]);
});

test('digitalocean: no cloud firewall by default (open-port warns); --digitalocean-firewall makes one and remove deletes it', async (t) => {
  const fake = new DigitalOceanFake();
  const open = await created(fake, 'open', { 'digitalocean-open-port': ['8080'] });
  t.after(() => open.ctx.cleanup());
  assert.equal(fake.firewalls.size, 0);
  assert.ok(open.ctx.events.some((e) => e.kind === 'warn' && /--digitalocean-firewall/.test(e.message)));

  const walled = await created(fake, 'walled', { 'digitalocean-firewall': true, swarm: true, 'digitalocean-open-port': ['8080'] });
  t.after(() => walled.ctx.cleanup());
  const fw = fake.firewalls.get(walled.ctx.config.resources.firewall!)!;
  assert.equal(fw.name, 'tsmachine-walled');
  assert.deepEqual(fw.dropletIds, [walled.ctx.config.resources.droplet]);
  assert.deepEqual(fw.inbound.map((r) => `${r.ports}/${r.protocol}`), ['22/tcp', '2376/tcp', '2377/tcp', '7946/tcp', '7946/udp', '4789/udp', '8080/tcp']);
  await walled.driver.remove();
  await open.driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});

test('digitalocean: remove lists what it could not delete by id, keeps it recorded, and a retry finishes', async (t) => {
  const fake = new DigitalOceanFake();
  const { ctx, driver } = await created(fake, 'stuck', { 'digitalocean-firewall': true });
  t.after(() => ctx.cleanup());
  const { droplet, firewall, sshKey } = ctx.config.resources;
  fake.failOn('droplets.delete', new DoApiError(`DELETE /v2/droplets/${droplet}: Server was unable to give you a response. (HTTP 500, server_error)`, 500, 'server_error'));
  const err = await driver.remove().then(() => undefined, (e: TsmError) => e);
  assert.ok(isTsmError(err, 'DRIVER_ERROR'));
  assert.match(err.message, new RegExp(`droplet ${droplet}: DELETE /v2/droplets/${droplet}: Server was unable`));
  assert.match(err.message, new RegExp(`firewall ${firewall}: kept`));
  assert.match(err.message, new RegExp(`SSH key ${sshKey}: kept`));
  assert.deepEqual(ctx.config.resources, { droplet, firewall, sshKey });

  fake.failOn('keys.delete', new DoApiError(`DELETE /v2/account/keys/${sshKey}: You do not have access for the attempted action. (HTTP 403, forbidden)`, 403, 'forbidden'));
  const err2 = await driver.remove().then(() => undefined, (e: TsmError) => e);
  assert.match(err2!.message, new RegExp(`SSH key ${sshKey}: .*forbidden`));
  assert.deepEqual(ctx.config.resources, { sshKey });
  await driver.remove();
  assert.deepEqual(ctx.config.resources, {});
  assert.deepEqual(fake.liveResources(), []);
});

test('digitalocean: stop is a graceful shutdown (its failure points at kill), kill a power_off, restart reboots or powers on', async (t) => {
  const fake = new DigitalOceanFake();
  const { ctx, driver } = await created(fake, 'power');
  t.after(() => ctx.cleanup());
  const actions = () => fake.calls.filter((c) => c === 'droplets.action').length;
  fake.errorNextAction('shutdown');
  await assert.rejects(driver.stop(), (e: TsmError) => e.code === 'DRIVER_ERROR' && /errored/.test(e.message) && /tsmachine kill power/.test(e.suggestion!));
  await driver.kill();
  assert.equal(await driver.state(), 'Stopped');
  await driver.restart();
  assert.equal(await driver.state(), 'Running');
  await driver.restart();
  await driver.stop();
  assert.equal(await driver.state(), 'Stopped');
  await driver.start();
  assert.equal(actions(), 6);
  await driver.remove();
  assert.equal(await driver.state(), 'None');
});

test('digitalocean: preCreateCheck says to set DIGITALOCEAN_ACCESS_TOKEN for a bad token, and refuses a locked account', async (t) => {
  const fake = new DigitalOceanFake();
  const { ctx, driver } = setup(fake, 'checks');
  t.after(() => ctx.cleanup());
  fake.failOn('account.get', new DoApiError('GET /v2/account: Unable to authenticate you (HTTP 401, unauthorized)', 401, 'unauthorized'));
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /access token/.test(e.message) && /DIGITALOCEAN_ACCESS_TOKEN/.test(e.suggestion!));
  fake.account = { ...fake.account, status: 'locked', statusMessage: 'payment overdue' };
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => /locked: payment overdue/.test(e.message));
  assert.deepEqual(fake.liveResources(), []);
});

test('digitalocean: a wait that times out says what it waited for and the last status', async (t) => {
  const fake = new DigitalOceanFake();
  const { ctx, driver } = setup(fake, 'slow');
  t.after(() => ctx.cleanup());
  fake.onCall('droplets.create', () => (fake.droplets.get([...fake.droplets.keys()].at(-1)!)!.next = Array(1000).fill('new')));
  await assert.rejects(driver.create(), (e: TsmError) => e.code === 'TIMEOUT' && /to be active with a public IPv4/.test(e.message) && /last status: new/.test(e.message));
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});
