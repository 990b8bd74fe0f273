import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { googleConfigFromFlags, instanceNameFor, regionOf } from '../../../src/drivers/google/config';
import { googleFlags } from '../../../src/drivers/google/flags';
import { extraPorts, instanceTags, machineRule, sharedRule, sharedRuleName } from '../../../src/drivers/google/firewall';
import { endpointOptions } from '../../../src/drivers/google/compute-adapter';

const valid = { 'google-project': 'my-project-123' };

test('google flags keep docker-machine names and environment variables, with refreshed defaults', () => {
  const byName = new Map(googleFlags.map((f) => [f.name, f]));
  assert.equal(byName.get('google-project')?.env, 'GOOGLE_PROJECT');
  assert.equal(byName.get('google-zone')?.default, 'us-central1-a');
  assert.equal(byName.get('google-machine-type')?.default, 'e2-small');
  assert.equal(byName.get('google-username')?.default, 'docker-user');
  assert.equal(byName.get('google-disk-size')?.default, 10);
  assert.equal(byName.get('google-disk-type')?.default, 'pd-balanced');
  assert.equal(byName.get('google-machine-image')?.default, undefined, 'the image is looked up at create time, not pinned');
  assert.equal(byName.get('google-open-port')?.type, 'string[]');
  for (const f of googleFlags) assert.match(f.name, /^google-/);
});

test('google config: defaults from the flags alone', () => {
  const { config, problems } = googleConfigFromFlags(valid);
  assert.deepEqual(problems, []);
  assert.equal(config.zone, 'us-central1-a');
  assert.equal(config.machineType, 'e2-small');
  assert.deepEqual(config.image, { project: 'ubuntu-os-cloud', family: 'ubuntu-2404-lts-amd64' });
  assert.equal(config.username, 'docker-user');
  assert.equal(config.network, 'default');
  assert.equal(config.swarm, false);
  assert.equal(config.scopes.length, 3);
  assert.deepEqual(config.resources, {});
});

test('google config: every problem is reported at once, each naming its flag', () => {
  const { problems } = googleConfigFromFlags({
    'google-zone': 'US Central',
    'google-disk-size': 5,
    'google-tags': 'ok-tag,Bad_Tag',
    'google-open-port': ['80', '70000', 'ssh'],
    'google-preemptible': 'maybe',
    'google-endpoint': 'ftp://example.test',
    'google-machine-image': 'not an image!',
  });
  const fields = problems.map((p) => p.field).sort();
  assert.deepEqual(fields, [
    '--google-disk-size',
    '--google-endpoint',
    '--google-machine-image',
    '--google-open-port',
    '--google-open-port',
    '--google-preemptible',
    '--google-project',
    '--google-tags',
    '--google-zone',
  ]);
});

test('google config: image references by family, by name, by URL and bare name', () => {
  const img = (v: string) => googleConfigFromFlags({ ...valid, 'google-machine-image': v }).config.image;
  assert.deepEqual(img('projects/debian-cloud/global/images/family/debian-12'), { project: 'debian-cloud', family: 'debian-12' });
  assert.deepEqual(img('projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250610'), { project: 'ubuntu-os-cloud', name: 'ubuntu-2404-noble-amd64-v20250610' });
  assert.deepEqual(img('https://www.googleapis.com/compute/v1/projects/cos-cloud/global/images/family/cos-stable'), { project: 'cos-cloud', family: 'cos-stable' });
  assert.deepEqual(img('my-golden-image'), { project: 'my-project-123', name: 'my-golden-image' });
});

test('google config: ports, env strings as booleans, scopes aliases, address conflicts', () => {
  const { config, problems } = googleConfigFromFlags({
    ...valid,
    'google-open-port': ['8080', '53/udp', '8080/tcp'],
    'google-use-internal-ip': 'true',
    'google-scopes': 'cloud-platform',
    swarm: true,
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.openPorts, [{ port: 8080, protocol: 'tcp' }, { port: 53, protocol: 'udp' }]);
  assert.equal(config.useInternalIp, true);
  assert.deepEqual(config.scopes, ['https://www.googleapis.com/auth/cloud-platform']);
  const clash = googleConfigFromFlags({ ...valid, 'google-address': 'my-ip', 'google-use-internal-ip-only': true });
  assert.ok(clash.problems.some((p) => p.field === '--google-address' && /internal-ip-only/.test(p.message)));
});

test('google firewall plan: shared rule for 22/2376, machine rule only for extra ports', () => {
  const plain = googleConfigFromFlags(valid).config;
  assert.deepEqual(sharedRule(plain).allowed, [{ protocol: 'tcp', ports: ['22', '2376'] }]);
  assert.deepEqual(sharedRule(plain).targetTags, ['tsmachine']);
  assert.equal(machineRule(plain, 'vm1'), undefined);
  assert.deepEqual(instanceTags(plain, 'vm1'), ['tsmachine']);

  const swarm = googleConfigFromFlags({ ...valid, swarm: true, 'google-open-port': ['22', '8080'], 'google-tags': 'web' }).config;
  assert.deepEqual(extraPorts(swarm).map((p) => `${p.port}/${p.protocol}`), ['2377/tcp', '7946/tcp', '7946/udp', '4789/udp', '8080/tcp']);
  const own = machineRule(swarm, 'vm1')!;
  assert.equal(own.name, 'tsm-vm1');
  assert.deepEqual(own.allowed, [{ protocol: 'tcp', ports: ['2377', '7946', '8080'] }, { protocol: 'udp', ports: ['7946', '4789'] }]);
  assert.deepEqual(instanceTags(swarm, 'vm1'), ['web', 'tsmachine', 'tsm-vm1']);
  assert.equal(sharedRuleName('default'), 'tsmachine');
  assert.equal(sharedRuleName('projects/p/global/networks/lab'), 'tsmachine-lab');
});

test('google names: instance names are GCE-valid, zones map to regions', () => {
  assert.equal(instanceNameFor('Web.Prod-1'), 'web-prod-1');
  assert.equal(instanceNameFor('1st'), 'tsm-1st');
  assert.equal(instanceNameFor('a'.repeat(80)).length, 63);
  assert.equal(regionOf('europe-west4-b'), 'europe-west4');
});

test('google endpoint override: host, port and protocol given apart', () => {
  assert.deepEqual(endpointOptions('http://127.0.0.1:8080'), { apiEndpoint: '127.0.0.1', port: 8080, protocol: 'http' });
  assert.deepEqual(endpointOptions('https://compute.example.test'), { apiEndpoint: 'compute.example.test', port: 443, protocol: 'https' });
  assert.deepEqual(endpointOptions(undefined), {});
});

test('google: loading the driver and building it does not load @google-cloud/compute', () => {
  const script = `
    const { definition } = require('./dist/src/drivers/google');
    const { config } = definition.configFromFlags({ 'google-project': 'my-project-123' });
    definition.create({ name: 'x', dir: '/nonexistent', storePath: '/nonexistent', config, save: async () => {}, sshKeyPath: '', sshPublicKey: '', exec: undefined, progress: () => {} });
    process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('@google-cloud') || k.includes('google-gax'))));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..', '..', '..'), encoding: 'utf8' });
  assert.equal(out, 'false');
});
