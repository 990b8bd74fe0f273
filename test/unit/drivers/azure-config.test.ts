import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { azureConfigFromFlags } from '../../../src/drivers/azure/config';
import { azureFlags } from '../../../src/drivers/azure/flags';
import { compareVersions, cidrContains, parsePortRange } from '../../../src/drivers/azure/config-parse';
import { nsgRules } from '../../../src/drivers/azure/names';

const SUB = '00000000-1111-2222-3333-444444444444';

test('azure flags keep docker-machine names and environment variables', () => {
  const byName = new Map(azureFlags.map((f) => [f.name, f]));
  const expected: Array<[string, string | undefined, unknown]> = [
    ['azure-subscription-id', 'AZURE_SUBSCRIPTION_ID', undefined],
    ['azure-tenant-id', 'AZURE_TENANT_ID', undefined],
    ['azure-client-id', 'AZURE_CLIENT_ID', undefined],
    ['azure-client-secret', 'AZURE_CLIENT_SECRET', undefined],
    ['azure-environment', 'AZURE_ENVIRONMENT', 'AzurePublicCloud'],
    ['azure-location', 'AZURE_LOCATION', 'westus2'],
    ['azure-resource-group', 'AZURE_RESOURCE_GROUP', undefined],
    ['azure-size', 'AZURE_SIZE', 'Standard_B2s'],
    ['azure-image', 'AZURE_IMAGE', 'canonical:ubuntu-24_04-lts:server:latest'],
    ['azure-ssh-user', 'AZURE_SSH_USER', 'azureuser'],
    ['azure-vnet', 'AZURE_VNET', 'tsmachine-vnet'],
    ['azure-subnet', 'AZURE_SUBNET', 'tsmachine-subnet'],
    ['azure-subnet-prefix', 'AZURE_SUBNET_PREFIX', '192.168.0.0/16'],
    ['azure-dns', 'AZURE_DNS_LABEL', undefined],
    ['azure-endpoint', 'AZURE_ENDPOINT', undefined],
  ];
  for (const [name, env, def] of expected) {
    const f = byName.get(name);
    assert.ok(f, `flag --${name}`);
    assert.equal(f.env, env, name);
    assert.equal(f.default, def, name);
  }
  assert.equal(byName.get('azure-open-port')?.type, 'string[]');
  assert.ok(azureFlags.every((f) => f.name.startsWith('azure-')));
});

test('azure defaults make a valid config with only a subscription', () => {
  const { config, problems } = azureConfigFromFlags({ 'azure-subscription-id': SUB });
  assert.deepEqual(problems, []);
  assert.equal(config.location, 'westus2');
  assert.equal(config.size, 'Standard_B2s');
  assert.equal(config.image, 'canonical:ubuntu-24_04-lts:server:latest');
  assert.equal(config.sshUser, 'azureuser');
  assert.equal(config.vnet, 'tsmachine-vnet');
  assert.equal(config.vnetGroup, undefined);
  assert.equal(config.resourceGroup, undefined, 'no group: one group per machine');
  assert.equal(config.storageType, 'StandardSSD_LRS');
  assert.equal(config.diskSizeGb, 30);
  assert.equal(config.usePrivateIp, false);
  assert.deepEqual(config.resources, {});
});

test('azure config reports every problem at once, each naming its flag', () => {
  const { problems } = azureConfigFromFlags({
    'azure-subscription-id': 'not-a-guid',
    'azure-environment': 'AzureGermanCloud',
    'azure-endpoint': 'http://management.example',
    'azure-location': 'West US 2',
    'azure-size': 'Standard B2s',
    'azure-image': 'ubuntu',
    'azure-ssh-user': 'root',
    'azure-storage-type': 'Ultra',
    'azure-disk-size': 10,
    'azure-subnet-prefix': '192.168.0.0/33',
    'azure-private-ip-address': '10.0.0.300',
    'azure-dns': 'Bad_Label',
    'azure-open-port': ['8080', 'http', '70000'],
    'azure-resource-group': 'bad/group',
    'azure-client-secret': 's3cret',
  });
  const fields = new Set(problems.map((p) => p.field));
  for (const f of [
    '--azure-subscription-id', '--azure-environment', '--azure-endpoint', '--azure-location', '--azure-size', '--azure-image',
    '--azure-ssh-user', '--azure-storage-type', '--azure-disk-size', '--azure-subnet-prefix', '--azure-private-ip-address',
    '--azure-dns', '--azure-open-port', '--azure-resource-group', '--azure-client-secret',
  ]) {
    assert.ok(fields.has(f), `a problem names ${f}: ${JSON.stringify(problems)}`);
  }
  assert.equal(problems.filter((p) => p.field === '--azure-open-port').length, 2, 'each bad port reported');
  assert.ok(!JSON.stringify(problems).includes('s3cret'), 'the secret never reaches a message');
});

test('azure config: missing subscription says where to set it', () => {
  const { problems } = azureConfigFromFlags({});
  const p = problems.find((x) => x.field === '--azure-subscription-id');
  assert.match(p?.suggestion ?? '', /AZURE_SUBSCRIPTION_ID/);
});

test('azure config: [group:]vnet, no public IP implies the private IP, ports and private address checks', () => {
  const { config, problems } = azureConfigFromFlags({
    'azure-subscription-id': SUB,
    'azure-vnet': 'net-rg:shared-vnet',
    'azure-no-public-ip': true,
    'azure-open-port': ['8080', '53/udp', '8000-8100/TCP'],
    'azure-private-ip-address': '192.168.4.10',
    'azure-client-secret': 'x',
    'azure-client-id': 'app',
    'azure-tenant-id': 'contoso.onmicrosoft.com',
    swarm: true,
  });
  assert.deepEqual(problems, []);
  assert.equal(config.vnetGroup, 'net-rg');
  assert.equal(config.vnet, 'shared-vnet');
  assert.equal(config.usePrivateIp, true);
  assert.equal(config.swarm, true);
  assert.deepEqual(config.openPorts, [
    { from: 8080, to: 8080, protocol: 'Tcp' },
    { from: 53, to: 53, protocol: 'Udp' },
    { from: 8000, to: 8100, protocol: 'Tcp' },
  ]);
  const outside = azureConfigFromFlags({ 'azure-subscription-id': SUB, 'azure-private-ip-address': '10.1.2.3' });
  assert.ok(outside.problems.some((p) => p.field === '--azure-private-ip-address' && /outside/.test(p.message)));
  const dnsNoIp = azureConfigFromFlags({ 'azure-subscription-id': SUB, 'azure-no-public-ip': true, 'azure-dns': 'myhost' });
  assert.ok(dnsNoIp.problems.some((p) => p.field === '--azure-dns'));
});

test('azure NSG rules: 22 and 2376 always, swarm ports only with --swarm, open ports after, unique priorities', () => {
  const base = azureConfigFromFlags({ 'azure-subscription-id': SUB }).config;
  assert.deepEqual(nsgRules(base).map((r) => `${r.port}/${r.protocol}`), ['22/Tcp', '2376/Tcp']);
  const swarm = azureConfigFromFlags({ 'azure-subscription-id': SUB, swarm: true, 'azure-open-port': ['80', '22', '60000-60010/udp'] }).config;
  const rules = nsgRules(swarm);
  assert.deepEqual(rules.map((r) => `${r.port}/${r.protocol}`), ['22/Tcp', '2376/Tcp', '2377/Tcp', '7946/Tcp', '7946/Udp', '4789/Udp', '80/Tcp', '60000-60010/Udp']);
  assert.equal(new Set(rules.map((r) => r.priority)).size, rules.length);
  assert.equal(new Set(rules.map((r) => r.name)).size, rules.length);
  const port = azureConfigFromFlags({ 'azure-subscription-id': SUB, 'engine-port': 12376 }).config;
  assert.deepEqual(nsgRules(port).map((r) => r.port), ['22', '12376']);
});

test('azure parse helpers: ports, CIDR membership, image versions order numerically', () => {
  assert.equal(parsePortRange('0'), undefined);
  assert.equal(parsePortRange('9-8'), undefined);
  assert.deepEqual(parsePortRange('65535/udp'), { from: 65535, to: 65535, protocol: 'Udp' });
  assert.ok(cidrContains('192.168.0.0/16', '192.168.255.254'));
  assert.ok(!cidrContains('192.168.0.0/16', '192.169.0.1'));
  const sorted = ['24.04.202501140', '24.04.99', '24.04.202412090'].sort(compareVersions);
  assert.deepEqual(sorted, ['24.04.99', '24.04.202412090', '24.04.202501140']);
});

test('loading the azure flags and definition, and reading a machine\'s addresses, loads no Azure SDK', () => {
  const root = join(__dirname, '..', '..', '..');
  const script = `
    require(${JSON.stringify(join(root, 'src/drivers/azure/flags'))});
    const d = require(${JSON.stringify(join(root, 'src/drivers/azure'))}).definition;
    const { config } = d.configFromFlags({ 'azure-subscription-id': '${SUB}' });
    config.addresses = { publicIp: '20.1.2.3', privateIp: '192.168.0.4' };
    const drv = d.create({ name: 'm', dir: '/nonexistent', storePath: '/nonexistent', config, save: async () => {},
      sshKeyPath: '/nonexistent/id', sshPublicKey: 'ssh-ed25519 AAAA', exec: undefined, progress: () => {} });
    (async () => {
      const ip = await drv.ip();
      const loaded = Object.keys(require.cache).filter((k) => k.includes('@azure'));
      console.log(JSON.stringify({ ip, addresses: await drv.addresses(), loaded }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ip, '20.1.2.3');
  assert.deepEqual(out.addresses, ['20.1.2.3', '192.168.0.4']);
  assert.deepEqual(out.loaded, []);
});

test('the first Azure call of a driver built by the definition loads the SDK adapter once', async () => {
  const { lazyAzureApi } = await import('../../../src/drivers/azure/lazy-api');
  let built = 0;
  const api = lazyAzureApi(() => {
    built++;
    return { vmLocations: async () => ['West US 2'], vmSizes: async (l: string) => [l] } as never;
  });
  assert.equal(built, 0);
  assert.deepEqual(await api.vmLocations(), ['West US 2']);
  assert.deepEqual(await api.vmSizes('westus2'), ['westus2']);
  assert.equal(built, 1);
});
