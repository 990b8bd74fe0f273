import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { digitaloceanConfigFromFlags } from '../../../src/drivers/digitalocean/config';
import { digitaloceanFlags } from '../../../src/drivers/digitalocean/flags';
import { firewallPorts, firewallSpec } from '../../../src/drivers/digitalocean/firewall';
import { md5Fingerprint } from '../../../src/drivers/digitalocean/precreate';

const valid = { 'digitalocean-access-token': 'dop_v1_fake' };

test('digitalocean flags keep docker-machine names and environment variables, with refreshed defaults', () => {
  const byName = new Map(digitaloceanFlags.map((f) => [f.name, f]));
  assert.equal(byName.get('digitalocean-access-token')?.env, 'DIGITALOCEAN_ACCESS_TOKEN');
  assert.equal(byName.get('digitalocean-region')?.default, 'nyc3');
  assert.equal(byName.get('digitalocean-size')?.default, 's-1vcpu-1gb');
  assert.equal(byName.get('digitalocean-image')?.default, 'ubuntu-24-04-x64');
  assert.equal(byName.get('digitalocean-ssh-user')?.default, 'root');
  assert.equal(byName.get('digitalocean-ssh-key-fingerprint')?.env, 'DIGITALOCEAN_SSH_KEY_FINGERPRINT');
  assert.equal(byName.get('digitalocean-userdata')?.env, 'DIGITALOCEAN_USERDATA');
  assert.equal(byName.get('digitalocean-open-port')?.type, 'string[]');
  for (const f of digitaloceanFlags) assert.match(f.name, /^digitalocean-/);
});

test('digitalocean config: defaults from the token alone', () => {
  const { config, problems } = digitaloceanConfigFromFlags(valid);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    { region: config.region, size: config.size, image: config.image, user: config.sshUser, port: config.sshPort, api: config.apiUrl, firewall: config.firewall },
    { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', user: 'root', port: 22, api: 'https://api.digitalocean.com', firewall: false },
  );
  assert.deepEqual(config.resources, {});
});

test('digitalocean config: every problem at once, each naming its flag', () => {
  const { problems } = digitaloceanConfigFromFlags({
    'digitalocean-region': 'NYC 3',
    'digitalocean-tags': 'ok,not ok',
    'digitalocean-ssh-port': 0,
    'digitalocean-ssh-key-fingerprint': 'abc',
    'digitalocean-open-port': ['http'],
    'digitalocean-ipv6': 'perhaps',
    'digitalocean-api-url': 'ftp://x',
  });
  assert.deepEqual(problems.map((p) => p.field).sort(), [
    '--digitalocean-access-token',
    '--digitalocean-api-url',
    '--digitalocean-ipv6',
    '--digitalocean-open-port',
    '--digitalocean-region',
    '--digitalocean-ssh-key-fingerprint',
    '--digitalocean-ssh-key-path',
    '--digitalocean-ssh-port',
    '--digitalocean-tags',
  ]);
  const keyOnly = digitaloceanConfigFromFlags({ ...valid, 'digitalocean-ssh-key-path': 'id_ed25519' });
  assert.deepEqual(keyOnly.problems.map((p) => p.field), ['--digitalocean-ssh-key-fingerprint']);
});

test('digitalocean config: API URL with or without /v2, relative paths made absolute, env booleans', () => {
  const { config, problems } = digitaloceanConfigFromFlags({
    ...valid,
    'digitalocean-api-url': 'http://127.0.0.1:9999/v2/',
    'digitalocean-userdata': 'cloud-init.yaml',
    'digitalocean-ssh-key-fingerprint': '3B:16:BF:E4:8B:00:8B:B8:59:8C:A9:D3:F0:19:45:FA',
    'digitalocean-ssh-key-path': 'keys/id',
    'digitalocean-backups': 'true',
  });
  assert.deepEqual(problems, []);
  assert.equal(config.apiUrl, 'http://127.0.0.1:9999');
  assert.equal(config.userDataPath, join(process.cwd(), 'cloud-init.yaml'));
  assert.equal(config.sshKeyPath, join(process.cwd(), 'keys/id'));
  assert.equal(config.sshKeyFingerprint, '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa');
  assert.equal(config.backups, true);
});

test('digitalocean firewall plan: 22, 2376, swarm ports with --swarm, open ports, the SSH port', () => {
  const { config } = digitaloceanConfigFromFlags({ ...valid, swarm: true, 'digitalocean-open-port': ['80', '22'], 'digitalocean-ssh-port': 2222 });
  assert.deepEqual(firewallPorts(config).map((p) => `${p.port}/${p.protocol}`), ['22/tcp', '2376/tcp', '2222/tcp', '2377/tcp', '7946/tcp', '7946/udp', '4789/udp', '80/tcp']);
  const spec = firewallSpec(config, 'web1', 42);
  assert.equal(spec.name, 'tsmachine-web1');
  assert.deepEqual(spec.dropletIds, [42]);
  assert.deepEqual(spec.inbound[0], { protocol: 'tcp', ports: '22' });
});

test('digitalocean: MD5 fingerprints as the control panel shows them', () => {
  // The blob of "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI..." hashed: colon-separated lowercase hex pairs.
  const fp = md5Fingerprint('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoodGoodGoodGoodGoodGoodGoodGoodGoodGoodGood me@host');
  assert.match(fp, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  assert.equal(fp, md5Fingerprint('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoodGoodGoodGoodGoodGoodGoodGoodGoodGoodGood other-comment'));
});

test('digitalocean: loading the driver and building it does not load digitalocean-js or axios', () => {
  const script = `
    const { definition } = require('./dist/src/drivers/digitalocean');
    const { config } = definition.configFromFlags({ 'digitalocean-access-token': 't' });
    definition.create({ name: 'x', dir: '/nonexistent', storePath: '/nonexistent', config, save: async () => {}, sshKeyPath: '', sshPublicKey: '', exec: undefined, progress: () => {} });
    process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('digitalocean-js') || k.includes('axios'))));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..', '..', '..'), encoding: 'utf8' });
  assert.equal(out, 'false');
});
