/**
 * The real @google-cloud/compute adapter (REST) against nock: the requests it sends (method,
 * path, body, Bearer token from Application Default Credentials) and the answers it parses
 * (shapes from the Compute Engine v1 REST reference; Operation.status comes back as a number
 * because the SDK asks for `enum-encoding=int`). No request leaves the process.
 */
import { test, afterEach, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { makeDriverContext } from '../../helpers/driver-context';
import { GoogleDriver } from '../../../src/drivers/google/driver';
import { isAlreadyExists, isNotFound, realGoogleApi } from '../../../src/drivers/google/api';
import { googleConfigFromFlags } from '../../../src/drivers/google/config';
import type { TsmError } from '../../../src/core/errors';
import type { FlagValues } from '../../../src/drivers/driver';

const P = 'tsm-test-project';
const GCE = 'https://compute.googleapis.com';
const V1 = `/compute/v1/projects/${P}`;
const LINK = `https://www.googleapis.com/compute/v1/projects/${P}`;
const DONE = 2104194;
const RUNNING_OP = 121282975;
let keyDir: string;
let keyFile: string;
const savedEnv = process.env.GOOGLE_APPLICATION_CREDENTIALS;

before(() => {
  nock.disableNetConnect();
  keyDir = mkdtempSync(join(tmpdir(), 'tsm-gce-key-'));
  keyFile = join(keyDir, 'sa.json');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = { type: 'service_account', project_id: P, private_key_id: '0123abcd', private_key: privateKey, client_email: `tsmachine@${P}.iam.gserviceaccount.com`, client_id: '1234567890', token_uri: 'https://oauth2.googleapis.com/token' };
  writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
});
afterEach(() => {
  nock.cleanAll();
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
});
after(() => {
  nock.enableNetConnect();
  rmSync(keyDir, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  else process.env.GOOGLE_APPLICATION_CREDENTIALS = savedEnv;
});

function driverFor(name: string, flags: FlagValues = {}) {
  const { config, problems } = googleConfigFromFlags({ 'google-project': P, ...flags });
  assert.deepEqual(problems, []);
  const ctx = makeDriverContext({ name, config });
  return { ctx, driver: new GoogleDriver(ctx, { api: realGoogleApi(config), sleep: async () => undefined, pollMs: 1, timeouts: { operationMs: 5000, statusMs: 5000 } }) };
}

const op = (name: string, scope: string, status: number, target: string, extra: object = {}) => ({
  kind: 'compute#operation',
  id: '4242424242424242',
  name,
  ...(scope === 'global' ? {} : { zone: `${LINK}/zones/${scope}` }),
  operationType: 'insert',
  targetLink: target,
  status,
  user: `tsmachine@${P}.iam.gserviceaccount.com`,
  progress: status === DONE ? 100 : 0,
  insertTime: '2025-06-10T10:11:12.345-07:00',
  selfLink: `${LINK}/${scope === 'global' ? 'global' : `zones/${scope}`}/operations/${name}`,
  ...extra,
});

const notFound = (what: string) => ({
  error: { code: 404, message: `The resource '${what}' was not found`, errors: [{ message: `The resource '${what}' was not found`, domain: 'global', reason: 'notFound' }] },
});

const instanceJson = (name: string, status: string, natIP?: string) => ({
  kind: 'compute#instance',
  id: '8712345678901234567',
  creationTimestamp: '2025-06-10T10:11:12.345-07:00',
  name,
  tags: { items: ['tsmachine'], fingerprint: 'FYLDgkTKlA4=' },
  machineType: `${LINK}/zones/us-central1-a/machineTypes/e2-small`,
  status,
  zone: `${LINK}/zones/us-central1-a`,
  networkInterfaces: [
    {
      kind: 'compute#networkInterface',
      network: `${LINK}/global/networks/default`,
      subnetwork: `${LINK}/regions/us-central1/subnetworks/default`,
      networkIP: '10.128.0.7',
      name: 'nic0',
      accessConfigs: natIP ? [{ kind: 'compute#accessConfig', type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP, networkTier: 'PREMIUM' }] : [],
      fingerprint: 'ab8cd0e1Zz0=',
      stackType: 'IPV4_ONLY',
    },
  ],
  metadata: { kind: 'compute#metadata', fingerprint: 'x1y2z3AbCdE=', items: [{ key: 'ssh-keys', value: 'docker-user:ssh-ed25519 AAAA' }] },
  selfLink: `${LINK}/zones/us-central1-a/instances/${name}`,
  cpuPlatform: 'Intel Broadwell',
  labelFingerprint: '42WmSpB8rSM=',
});

test('google nock: preCreateCheck, create and remove send the right requests and parse the answers', async (t) => {
  const { ctx, driver } = driverFor('vm1');
  t.after(() => ctx.cleanup());
  const bodies: Record<string, any> = {};
  const gce = nock(GCE, { reqheaders: { authorization: /^Bearer [\w.-]+$/ } })
    .get(`${V1}/zones/us-central1-a`).query(true)
    .reply(200, { kind: 'compute#zone', id: '2000', name: 'us-central1-a', description: 'us-central1-a', status: 'UP', region: `${LINK}/regions/us-central1`, selfLink: `${LINK}/zones/us-central1-a`, availableCpuPlatforms: ['Intel Broadwell', 'AMD Milan'] })
    .get(`${V1}/zones/us-central1-a/machineTypes/e2-small`).query(true)
    .reply(200, { kind: 'compute#machineType', id: '334002', name: 'e2-small', description: 'Efficient Instance, 2 vCPU (1/2 shared physical core) and 2 GB RAM', guestCpus: 2, memoryMb: 2048, maximumPersistentDisks: 128, maximumPersistentDisksSizeGb: '263168', zone: 'us-central1-a', isSharedCpu: true })
    .get('/compute/v1/projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64').query(true)
    .reply(200, { kind: 'compute#image', id: '5210418290000000000', creationTimestamp: '2025-06-10T10:11:12.345-07:00', name: 'ubuntu-2404-noble-amd64-v20250610', description: 'Canonical, Ubuntu, 24.04 LTS, amd64 noble image built on 2025-06-10', sourceType: 'RAW', status: 'READY', diskSizeGb: '10', family: 'ubuntu-2404-lts-amd64', architecture: 'X86_64', selfLink: 'https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250610' })
    .get(`${V1}/zones/us-central1-a/instances/vm1`).query(true)
    .reply(404, notFound(`projects/${P}/zones/us-central1-a/instances/vm1`))
    .post(`${V1}/zones/us-central1-a/instances`, (b) => ((bodies.instance = b), true)).query(true)
    .reply(200, op('operation-1718000000001-insert-vm1', 'us-central1-a', RUNNING_OP, `${LINK}/zones/us-central1-a/instances/vm1`))
    .get(`${V1}/global/firewalls/tsmachine`).query(true)
    .reply(404, notFound(`projects/${P}/global/firewalls/tsmachine`))
    .post(`${V1}/global/firewalls`, (b) => ((bodies.firewall = b), true)).query(true)
    .reply(200, op('operation-1718000000002-insert-fw', 'global', RUNNING_OP, `${LINK}/global/firewalls/tsmachine`))
    .get(`${V1}/global/operations/operation-1718000000002-insert-fw`).query(true)
    .reply(200, op('operation-1718000000002-insert-fw', 'global', DONE, `${LINK}/global/firewalls/tsmachine`))
    .get(`${V1}/zones/us-central1-a/operations/operation-1718000000001-insert-vm1`).query(true)
    .reply(200, op('operation-1718000000001-insert-vm1', 'us-central1-a', DONE, `${LINK}/zones/us-central1-a/instances/vm1`))
    .get(`${V1}/zones/us-central1-a/instances/vm1`).query(true)
    .reply(200, instanceJson('vm1', 'STAGING'))
    .get(`${V1}/zones/us-central1-a/instances/vm1`).query(true)
    .reply(200, instanceJson('vm1', 'RUNNING', '34.123.45.67'));

  await driver.preCreateCheck();
  await driver.create();
  assert.equal(ctx.config.ip, '34.123.45.67');
  assert.equal(ctx.config.internalIp, '10.128.0.7');
  assert.deepEqual(ctx.config.resources, { instance: 'vm1', firewall: 'tsmachine' });
  assert.ok(gce.isDone(), `pending: ${gce.pendingMocks().join(', ')}`);

  const i = bodies.instance;
  assert.equal(i.name, 'vm1');
  assert.equal(i.machineType, 'zones/us-central1-a/machineTypes/e2-small');
  assert.equal(i.disks[0].initializeParams.sourceImage, 'https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250610');
  assert.equal(i.disks[0].initializeParams.diskType, 'zones/us-central1-a/diskTypes/pd-balanced');
  assert.equal(String(i.disks[0].initializeParams.diskSizeGb), '10');
  assert.equal(i.disks[0].boot, true);
  assert.equal(i.disks[0].autoDelete, true);
  assert.deepEqual(i.tags.items, ['tsmachine']);
  assert.deepEqual(i.metadata.items.find((m: any) => m.key === 'ssh-keys'), { key: 'ssh-keys', value: `docker-user:${ctx.sshPublicKey.trim()}` });
  assert.equal(i.networkInterfaces[0].network, 'global/networks/default');
  assert.equal(i.networkInterfaces[0].accessConfigs[0].type, 'ONE_TO_ONE_NAT');
  assert.deepEqual(i.serviceAccounts[0].scopes.length, 3);
  const f = bodies.firewall;
  assert.equal(f.name, 'tsmachine');
  assert.equal(f.direction, 'INGRESS');
  assert.deepEqual(f.targetTags, ['tsmachine']);
  assert.deepEqual(f.sourceRanges, ['0.0.0.0/0']);
  assert.deepEqual(f.allowed, [{ IPProtocol: 'tcp', ports: ['22', '2376'] }]);
  assert.match(f.description, /managed by tsmachine/);

  const rm = nock(GCE, { reqheaders: { authorization: /^Bearer / } })
    .delete(`${V1}/zones/us-central1-a/instances/vm1`).query(true)
    .reply(200, op('operation-1718000000003-delete-vm1', 'us-central1-a', RUNNING_OP, `${LINK}/zones/us-central1-a/instances/vm1`, { operationType: 'delete' }))
    .get(`${V1}/zones/us-central1-a/operations/operation-1718000000003-delete-vm1`).query(true)
    .reply(200, op('operation-1718000000003-delete-vm1', 'us-central1-a', DONE, `${LINK}/zones/us-central1-a/instances/vm1`, { operationType: 'delete' }))
    .get(`${V1}/global/firewalls/tsmachine`).query(true)
    .reply(200, { kind: 'compute#firewall', id: '99', name: 'tsmachine', description: f.description, network: `${LINK}/global/networks/default`, priority: 1000, sourceRanges: ['0.0.0.0/0'], targetTags: ['tsmachine'], allowed: [{ IPProtocol: 'tcp', ports: ['22', '2376'] }], direction: 'INGRESS', disabled: false })
    .get(`${V1}/aggregated/instances`).query((q) => q.returnPartialSuccess === 'true')
    .reply(200, {
      kind: 'compute#instanceAggregatedList',
      id: `projects/${P}/aggregated/instances`,
      items: {
        'zones/us-central1-a': { instances: [{ ...instanceJson('web-1', 'RUNNING', '34.1.1.1'), tags: { items: ['http-server'], fingerprint: 'aa==' } }] },
        'zones/us-east1-b': { warning: { code: 'NO_RESULTS_ON_PAGE', message: "There are no results for scope 'zones/us-east1-b' on this page.", data: [{ key: 'scope', value: 'zones/us-east1-b' }] } },
      },
      selfLink: `${LINK}/aggregated/instances`,
    })
    .delete(`${V1}/global/firewalls/tsmachine`).query(true)
    .reply(200, op('operation-1718000000004-delete-fw', 'global', RUNNING_OP, `${LINK}/global/firewalls/tsmachine`, { operationType: 'delete' }))
    .get(`${V1}/global/operations/operation-1718000000004-delete-fw`).query(true)
    .reply(200, op('operation-1718000000004-delete-fw', 'global', DONE, `${LINK}/global/firewalls/tsmachine`, { operationType: 'delete' }));
  await driver.remove();
  assert.ok(rm.isDone(), `pending: ${rm.pendingMocks().join(', ')}`);
  assert.deepEqual(ctx.config.resources, {});

  // Already gone: 404 on delete is success.
  nock(GCE).delete(`${V1}/zones/us-central1-a/instances/vm1`).query(true).reply(404, notFound(`projects/${P}/zones/us-central1-a/instances/vm1`));
  ctx.config.resources.instance = 'vm1';
  nock(GCE).get(`${V1}/global/firewalls/tsmachine`).query(true).reply(404, notFound(`projects/${P}/global/firewalls/tsmachine`));
  await driver.remove();
  assert.deepEqual(ctx.config.resources, {});
});

test('google nock: --google-endpoint with http sends host, port and protocol apart, and fetches a token for it', async (t) => {
  const { ctx, driver } = driverFor('vm2', { 'google-endpoint': 'http://compute.test:8080', 'google-zone': 'mars-north1-z' });
  t.after(() => ctx.cleanup());
  let grant: any;
  const token = nock('https://oauth2.googleapis.com')
    .post('/token', (b) => ((grant = b), true))
    .reply(200, { access_token: 'ya29.fake-token', expires_in: 3599, token_type: 'Bearer' });
  const api = nock('http://compute.test:8080', { reqheaders: { authorization: 'Bearer ya29.fake-token' } })
    .get(`${V1}/zones/mars-north1-z`).query(true)
    .reply(404, notFound(`projects/${P}/zones/mars-north1-z`));
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /--google-zone/.test(e.message));
  assert.ok(token.isDone() && api.isDone());
  assert.equal(grant.grant_type, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  assert.equal(grant.assertion.split('.').length, 3, 'a signed JWT from the key file');
});

test('google nock: an API 401 and missing credentials both say which credential source to set', async (t) => {
  const { ctx, driver } = driverFor('vm3');
  t.after(() => ctx.cleanup());
  nock(GCE).get(`${V1}/zones/us-central1-a`).query(true).reply(401, {
    error: {
      code: 401,
      message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
      status: 'UNAUTHENTICATED',
    },
  });
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /credentials/i.test(e.message) && /GOOGLE_APPLICATION_CREDENTIALS/.test(e.suggestion!));

  process.env.GOOGLE_APPLICATION_CREDENTIALS = join(keyDir, 'missing.json');
  const other = driverFor('vm4');
  t.after(() => other.ctx.cleanup());
  await assert.rejects(other.driver.preCreateCheck(), (e: TsmError) => e.code === 'PRECREATE_FAILED' && /GOOGLE_APPLICATION_CREDENTIALS/.test(e.suggestion!));
});

test('google nock: an operation that finished with errors is reported with them; state and IP come from instances.get', async (t) => {
  const api = realGoogleApi(googleConfigFromFlags({ 'google-project': P }).config);
  nock(GCE)
    .get(`${V1}/zones/us-central1-a/operations/operation-9`).query(true)
    .reply(200, op('operation-9', 'us-central1-a', DONE, `${LINK}/zones/us-central1-a/instances/vm5`, {
      error: { errors: [{ code: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1." }] },
      httpErrorStatusCode: 403,
      httpErrorMessage: 'FORBIDDEN',
    }))
    .get(`${V1}/zones/us-central1-a/instances/vm5`).query(true)
    .reply(200, instanceJson('vm5', 'TERMINATED'));
  const done = await api.getOperation({ name: 'operation-9', scope: { zone: 'us-central1-a' }, done: false });
  assert.equal(done.done, true);
  assert.match(done.error!, /QUOTA_EXCEEDED: Quota 'CPUS' exceeded/);
  const i = await api.getInstance('us-central1-a', 'vm5');
  assert.equal(i?.status, 'TERMINATED');
  assert.equal(i?.externalIp, undefined);
  assert.equal(i?.internalIp, '10.128.0.7');
  assert.deepEqual(i?.tags, ['tsmachine']);
  assert.equal(i?.metadataFingerprint, 'x1y2z3AbCdE=');
  t.diagnostic('parsed a failed operation and a stopped instance');
});

test('google nock: use-existing sends setMetadata and setTags with the fingerprints it read', async (t) => {
  const api = realGoogleApi(googleConfigFromFlags({ 'google-project': P }).config);
  let meta: any;
  let tags: any;
  nock(GCE)
    .post(`${V1}/zones/us-central1-a/instances/vm6/setMetadata`, (b) => ((meta = b), true)).query(true)
    .reply(200, op('operation-10', 'us-central1-a', RUNNING_OP, `${LINK}/zones/us-central1-a/instances/vm6`, { operationType: 'setMetadata' }))
    .post(`${V1}/zones/us-central1-a/instances/vm6/setTags`, (b) => ((tags = b), true)).query(true)
    .reply(200, op('operation-11', 'us-central1-a', DONE, `${LINK}/zones/us-central1-a/instances/vm6`, { operationType: 'setTags' }));
  const o1 = await api.setInstanceMetadata('us-central1-a', 'vm6', 'x1y2z3AbCdE=', [{ key: 'ssh-keys', value: 'docker-user:ssh-ed25519 AAAA' }]);
  const o2 = await api.setInstanceTags('us-central1-a', 'vm6', 'FYLDgkTKlA4=', ['web', 'tsmachine']);
  assert.deepEqual(meta, { fingerprint: 'x1y2z3AbCdE=', items: [{ key: 'ssh-keys', value: 'docker-user:ssh-ed25519 AAAA' }] });
  assert.deepEqual(tags, { fingerprint: 'FYLDgkTKlA4=', items: ['web', 'tsmachine'] });
  assert.deepEqual([o1.done, o2.done], [false, true]);
  assert.deepEqual(o1.scope, { zone: 'us-central1-a' });
});

test('google nock: a 409 on insert is "already exists" (the rule is then reused), a 412 keeps its message', async () => {
  const api = realGoogleApi(googleConfigFromFlags({ 'google-project': P }).config);
  const exists = `The resource 'projects/${P}/global/firewalls/tsmachine' already exists`;
  nock(GCE)
    .post(`${V1}/global/firewalls`).query(true)
    .reply(409, { error: { code: 409, message: exists, errors: [{ message: exists, domain: 'global', reason: 'alreadyExists' }] } })
    .post(`${V1}/zones/us-central1-a/instances/vm7/setTags`).query(true)
    .reply(412, { error: { code: 412, message: 'Supplied fingerprint does not match current tags fingerprint.', errors: [{ message: 'Supplied fingerprint does not match current tags fingerprint.', domain: 'global', reason: 'conditionNotMet', location: 'If-Match', locationType: 'header' }] } });
  const rule = { name: 'tsmachine', network: 'global/networks/default', targetTags: ['tsmachine'], sourceRanges: ['0.0.0.0/0'], allowed: [{ protocol: 'tcp' as const, ports: ['22'] }] };
  await assert.rejects(api.insertFirewall(rule), (e: Error) => isAlreadyExists(e) && e.message === `${exists} (HTTP 409)`);
  await assert.rejects(api.setInstanceTags('us-central1-a', 'vm7', 'old', []), (e: Error) => /^Supplied fingerprint does not match/.test(e.message) && !isNotFound(e));
});
