/**
 * The real digitalocean-js adapter against nock: the requests it sends (method, path, body,
 * Bearer token) and the answers it parses (shapes from the DigitalOcean API v2 reference).
 * digitalocean-js shares one axios instance per process; the adapter binds its own token and
 * base URL per call, which the interleaving test checks. No request leaves the process.
 */
import { test, afterEach, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import nock from 'nock';
import { makeDriverContext } from '../../helpers/driver-context';
import { DigitalOceanDriver } from '../../../src/drivers/digitalocean/driver';
import { realDigitalOceanApi } from '../../../src/drivers/digitalocean/api';
import { digitaloceanConfigFromFlags } from '../../../src/drivers/digitalocean/config';
import { md5Fingerprint } from '../../../src/drivers/digitalocean/precreate';
import type { TsmError } from '../../../src/core/errors';
import type { FlagValues } from '../../../src/drivers/driver';

const DO = 'https://api.digitalocean.com';
const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab';

before(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
after(() => nock.enableNetConnect());

function driverFor(name: string, flags: FlagValues = {}) {
  const { config, problems } = digitaloceanConfigFromFlags({ 'digitalocean-access-token': TOKEN, ...flags });
  assert.deepEqual(problems, []);
  const ctx = makeDriverContext({ name, config });
  return { ctx, driver: new DigitalOceanDriver(ctx, { api: realDigitalOceanApi(config), sleep: async () => undefined, pollMs: 1, timeouts: { actionMs: 5000, statusMs: 5000 } }) };
}

const region = (slug: string, name: string, sizes: string[], available = true) => ({
  name,
  slug,
  features: ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'],
  available,
  sizes,
});
const size = (slug: string, regions: string[]) => ({ slug, memory: 1024, vcpus: 1, disk: 25, transfer: 1, price_monthly: 6, price_hourly: 0.00893, regions, available: true, description: 'Basic' });
const dropletJson = (id: number, name: string, status: string, withIps: boolean) => ({
  id,
  name,
  memory: 1024,
  vcpus: 1,
  disk: 25,
  locked: status === 'new',
  status,
  kernel: null,
  created_at: '2025-06-10T17:24:37Z',
  features: ['monitoring', 'private_networking'],
  backup_ids: [],
  next_backup_window: null,
  snapshot_ids: [],
  image: { id: 160386112, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64', public: true, regions: ['nyc3'], min_disk_size: 7, type: 'base' },
  volume_ids: [],
  size: size('s-1vcpu-1gb', ['nyc3']),
  size_slug: 's-1vcpu-1gb',
  networks: withIps
    ? {
        v4: [
          { ip_address: '10.108.0.2', netmask: '255.255.240.0', gateway: '10.108.0.1', type: 'private' },
          { ip_address: '104.236.32.182', netmask: '255.255.192.0', gateway: '104.236.0.1', type: 'public' },
        ],
        v6: [{ ip_address: '2604:a880:800:10::4a4:1001', netmask: 64, gateway: '2604:a880:800:10::1', type: 'public' }],
      }
    : { v4: [], v6: [] },
  region: region('nyc3', 'New York 3', ['s-1vcpu-1gb']),
  tags: ['tsmachine'],
  vpc_uuid: '760e09ef-dc84-11e8-981e-3cfdfeaae000',
});
const notFound = { id: 'not_found', message: 'The resource you were accessing could not be found.' };

test('digitalocean nock: preCreateCheck, create and remove send the right requests and parse the answers', async (t) => {
  const { ctx, driver } = driverFor('web1');
  t.after(() => ctx.cleanup());
  let keyBody: any;
  let dropletBody: any;
  const api = nock(DO, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
    .get('/v2/account')
    .reply(200, { account: { droplet_limit: 25, floating_ip_limit: 5, email: 'sammy@example.com', name: 'Sammy', uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef', email_verified: true, status: 'active', status_message: '', team: { uuid: '5df3e3004a17e242b7c20ca6c9fc25b701a47ece', name: 'My Team' } } })
    .get('/v2/regions').query({ page: '1', per_page: '200' })
    .reply(200, { regions: [region('nyc3', 'New York 3', ['s-1vcpu-1gb', 's-2vcpu-2gb']), region('fra1', 'Frankfurt 1', ['s-1vcpu-1gb'])], links: {}, meta: { total: 2 } })
    .get('/v2/sizes').query({ page: '1', per_page: '200' })
    .reply(200, { sizes: [size('s-1vcpu-1gb', ['nyc3', 'fra1']), size('s-2vcpu-2gb', ['nyc3'])], links: {}, meta: { total: 2 } })
    .get('/v2/images/ubuntu-24-04-x64')
    .reply(200, { image: { id: 160386112, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64', public: true, regions: ['nyc3', 'fra1'], created_at: '2024-07-12T17:24:37Z', min_disk_size: 7, type: 'base', size_gigabytes: 2.36, description: 'Ubuntu 24.04 (LTS) x64', tags: [], status: 'available', error_message: '' } })
    .post('/v2/account/keys', (b) => ((keyBody = b), true))
    .reply(201, { ssh_key: { id: 512190, fingerprint: '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa', public_key: 'ssh-ed25519 AAAA', name: 'tsmachine-web1' } })
    .post('/v2/droplets', (b) => ((dropletBody = b), true))
    .reply(202, { droplet: dropletJson(3164444, 'web1', 'new', false), links: { actions: [{ id: 7515, rel: 'create', href: `${DO}/v2/actions/7515` }] } })
    .get('/v2/droplets/3164444')
    .reply(200, { droplet: dropletJson(3164444, 'web1', 'new', false) })
    .get('/v2/droplets/3164444')
    .reply(200, { droplet: dropletJson(3164444, 'web1', 'active', true) });
  await driver.preCreateCheck();
  await driver.create();
  assert.ok(api.isDone(), `pending: ${api.pendingMocks().join(', ')}`);
  assert.deepEqual(keyBody, { name: 'tsmachine-web1', public_key: ctx.sshPublicKey.trim() });
  assert.deepEqual(dropletBody, {
    name: 'web1',
    region: 'nyc3',
    size: 's-1vcpu-1gb',
    image: 'ubuntu-24-04-x64',
    ssh_keys: [512190],
    backups: false,
    ipv6: false,
    private_networking: false,
    monitoring: false,
    tags: ['tsmachine'],
  });
  assert.deepEqual(ctx.config.resources, { sshKey: 512190, droplet: 3164444 });
  assert.deepEqual(await driver.addresses(), ['104.236.32.182', '10.108.0.2', '2604:a880:800:10::4a4:1001']);

  const rm = nock(DO, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
    .delete('/v2/droplets/3164444').reply(204)
    .delete('/v2/account/keys/512190').reply(204);
  await driver.remove();
  assert.ok(rm.isDone());
  assert.deepEqual(ctx.config.resources, {});

  // Already gone: 404 on delete is success.
  ctx.config.resources.droplet = 3164444;
  ctx.config.resources.sshKey = 512190;
  nock(DO).delete('/v2/droplets/3164444').reply(404, notFound).delete('/v2/account/keys/512190').reply(404, notFound);
  await driver.remove();
  assert.deepEqual(ctx.config.resources, {});
});

test('digitalocean nock: two adapters with their own token and endpoint interleave in one process', async () => {
  const a = realDigitalOceanApi(digitaloceanConfigFromFlags({ 'digitalocean-access-token': 'token-a' }).config);
  const b = realDigitalOceanApi(digitaloceanConfigFromFlags({ 'digitalocean-access-token': 'token-b', 'digitalocean-api-url': 'http://do.test:8080/v2' }).config);
  const droplet = (id: number) => ({ droplet: dropletJson(id, `d${id}`, 'active', true) });
  const sa = nock(DO, { reqheaders: { authorization: 'Bearer token-a' } }).get(/\/v2\/droplets\/1\d$/).times(3).reply(200, (uri) => droplet(Number(uri.split('/').pop())));
  const sb = nock('http://do.test:8080', { reqheaders: { authorization: 'Bearer token-b' } }).get(/\/v2\/droplets\/2\d$/).times(3).reply(200, (uri) => droplet(Number(uri.split('/').pop())));
  const got = await Promise.all([a.getDroplet(11), b.getDroplet(21), a.getDroplet(12), b.getDroplet(22), b.getDroplet(23), a.getDroplet(13)]);
  assert.deepEqual(got.map((d) => d?.id), [11, 21, 12, 22, 23, 13]);
  assert.ok(sa.isDone() && sb.isDone());
});

test('digitalocean nock: power actions are POSTed and polled; stop waits for off', async (t) => {
  const { ctx, driver } = driverFor('web2');
  t.after(() => ctx.cleanup());
  ctx.config.resources.droplet = 3164450;
  let body: any;
  const action = (status: string, completed: string | null) => ({
    action: { id: 36804751, status, type: 'shutdown', started_at: '2025-06-10T17:30:00Z', completed_at: completed, resource_id: 3164450, resource_type: 'droplet', region: region('nyc3', 'New York 3', []), region_slug: 'nyc3' },
  });
  const api = nock(DO, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
    .post('/v2/droplets/3164450/actions', (b) => ((body = b), true)).reply(201, action('in-progress', null))
    .get('/v2/actions/36804751').reply(200, action('in-progress', null))
    .get('/v2/actions/36804751').reply(200, action('completed', '2025-06-10T17:30:21Z'))
    .get('/v2/droplets/3164450').reply(200, { droplet: dropletJson(3164450, 'web2', 'off', true) });
  await driver.stop();
  assert.deepEqual(body, { type: 'shutdown' });
  assert.ok(api.isDone(), `pending: ${api.pendingMocks().join(', ')}`);
});

test('digitalocean nock: sizes and regions are read page by page', async () => {
  const a = realDigitalOceanApi(digitaloceanConfigFromFlags({ 'digitalocean-access-token': TOKEN }).config);
  const page1 = Array.from({ length: 200 }, (_, i) => size(`s-test-${i}`, ['nyc3']));
  nock(DO)
    .get('/v2/sizes').query({ page: '1', per_page: '200' }).reply(200, { sizes: page1, links: { pages: { next: `${DO}/v2/sizes?page=2&per_page=200`, last: `${DO}/v2/sizes?page=2&per_page=200` } }, meta: { total: 203 } })
    .get('/v2/sizes').query({ page: '2', per_page: '200' }).reply(200, { sizes: [size('s-1vcpu-1gb', ['nyc3']), size('s-2vcpu-2gb', ['nyc3']), size('c-2', ['nyc3'])], links: {}, meta: { total: 203 } })
    .get('/v2/regions').query({ page: '1', per_page: '200' }).reply(200, { regions: [region('sgp1', 'Singapore 1', ['s-1vcpu-1gb'])], links: {}, meta: { total: 1 } });
  const sizes = await a.listSizes();
  assert.equal(sizes.length, 203);
  assert.equal(sizes.at(-1)?.slug, 'c-2');
  assert.deepEqual(await a.listRegions(), [{ slug: 'sgp1', name: 'Singapore 1', available: true, sizes: ['s-1vcpu-1gb'] }]);
});

test('digitalocean nock: a 401 says to set DIGITALOCEAN_ACCESS_TOKEN, and no error carries the token', async (t) => {
  const { ctx, driver } = driverFor('web3');
  t.after(() => ctx.cleanup());
  nock(DO).get('/v2/account').reply(401, { id: 'Unauthorized', message: 'Unable to authenticate you' });
  const err = await driver.preCreateCheck().then(() => undefined, (e: TsmError) => e);
  assert.equal(err?.code, 'PRECREATE_FAILED');
  assert.match(err!.message, /access token.*GET \/v2\/account: Unable to authenticate you \(HTTP 401, Unauthorized\)/);
  assert.match(err!.suggestion!, /DIGITALOCEAN_ACCESS_TOKEN/);
  assert.doesNotMatch(inspect(err, { depth: 20, showHidden: true }), new RegExp(TOKEN));

  nock(DO).get('/v2/droplets/1').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  const api = realDigitalOceanApi(ctx.config);
  const netErr = await api.getDroplet(1).then(() => undefined, (e: Error) => e);
  assert.match(netErr!.message, /GET \/v2\/droplets\/1: socket hang up \(ECONNRESET\)/);
  assert.doesNotMatch(inspect(netErr, { depth: 20, showHidden: true }), new RegExp(TOKEN));
});

test('digitalocean nock: a key already on the account (422) is looked up by its fingerprint', async (t) => {
  const { ctx, driver } = driverFor('web4');
  t.after(() => ctx.cleanup());
  const fp = md5Fingerprint(ctx.sshPublicKey);
  let dropletBody: any;
  const api = nock(DO)
    .post('/v2/account/keys').reply(422, { id: 'unprocessable_entity', message: 'SSH Key is already in use on your account' })
    .get(`/v2/account/keys/${fp}`).reply(200, { ssh_key: { id: 512191, fingerprint: fp, public_key: ctx.sshPublicKey.trim(), name: 'tsmachine-web4' } })
    .post('/v2/droplets', (b) => ((dropletBody = b), true)).reply(202, { droplet: dropletJson(3164460, 'web4', 'new', false) })
    .get('/v2/droplets/3164460').reply(200, { droplet: dropletJson(3164460, 'web4', 'active', true) });
  await driver.create();
  assert.ok(api.isDone(), `pending: ${api.pendingMocks().join(', ')}`);
  assert.deepEqual(dropletBody.ssh_keys, [512191]);
  assert.equal(ctx.config.resources.sshKey, 512191, 'a key with our name is ours from an interrupted run');
});
