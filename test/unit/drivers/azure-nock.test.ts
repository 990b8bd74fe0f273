/**
 * The real SDK adapter (sdk-api.ts: @azure/arm-resources, arm-network, arm-compute) against
 * Azure Resource Manager answers shaped as in the REST API reference (long-running operations
 * with Azure-AsyncOperation / Location headers and provisioningState), served by nock on
 * https://management.azure.com (the SDK refuses plain http). A stub TokenCredential stands in
 * for @azure/identity, so no sign-in traffic exists; nothing leaves the process.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nock from 'nock';
import type { TokenCredential } from '@azure/core-auth';
import { azureConfigFromFlags } from '../../../src/drivers/azure/config';
import { createAzureSdkApi } from '../../../src/drivers/azure/sdk-api';
import { isCredentialError, isNotFound } from '../../../src/drivers/azure/errors';

const HOST = 'https://management.azure.com';
const SUB = '6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const RG = `/subscriptions/${SUB}/resourceGroups/tsmachine-web1`;
const NET = `${RG}/providers/Microsoft.Network`;
const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/web1`;

let tokenRequests = 0;
const scopesAsked = new Set<string>();
const credential: TokenCredential = {
  async getToken(scopes) {
    tokenRequests++;
    for (const s of [scopes].flat()) scopesAsked.add(s);
    return { token: 'fake-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

function api(flags: Record<string, unknown> = {}) {
  const { config, problems } = azureConfigFromFlags({ 'azure-subscription-id': SUB, ...flags } as never);
  assert.deepEqual(problems, []);
  return createAzureSdkApi(config, { credential, pollIntervalMs: 1, maxRetries: 0 });
}

/** Every request must carry the bearer token and an api-version. */
function arm(host = HOST) {
  return nock(host, { reqheaders: { authorization: 'Bearer fake-arm-token' } });
}
const anyVersion = (q: Record<string, unknown>) => typeof q['api-version'] === 'string' && /^\d{4}-\d{2}-\d{2}/.test(q['api-version'] as string);

before(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
after(() => nock.enableNetConnect());

test('nock: vmLocations reads Microsoft.Compute virtualMachines locations with the bearer token', async () => {
  const scope = arm()
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute`)
    .query(anyVersion)
    .reply(200, {
      id: `/subscriptions/${SUB}/providers/Microsoft.Compute`,
      namespace: 'Microsoft.Compute',
      registrationState: 'Registered',
      resourceTypes: [
        { resourceType: 'availabilitySets', locations: ['East US'], apiVersions: ['2024-07-01'] },
        { resourceType: 'virtualMachines', locations: ['East US', 'West US 2', 'West Europe'], apiVersions: ['2024-07-01'], capabilities: 'CrossResourceGroupResourceMove' },
      ],
    });
  assert.deepEqual(await api().vmLocations(), ['East US', 'West US 2', 'West Europe']);
  assert.ok(scope.isDone());
  assert.ok(tokenRequests > 0);
});

test('nock: vmSizes and imageVersions parse the list shapes', async () => {
  const scope = arm()
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus2/vmSizes`)
    .query(anyVersion)
    .reply(200, {
      value: [
        { name: 'Standard_B1s', numberOfCores: 1, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 4096, memoryInMB: 1024, maxDataDiskCount: 2 },
        { name: 'Standard_B2s', numberOfCores: 2, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 8192, memoryInMB: 4096, maxDataDiskCount: 4 },
      ],
    })
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus2/publishers/canonical/artifacttypes/vmimage/offers/ubuntu-24_04-lts/skus/server/versions`)
    .query(anyVersion)
    .reply(200, [
      { location: 'westus2', name: '24.04.202409120', id: `/Subscriptions/${SUB}/Providers/Microsoft.Compute/Locations/westus2/Publishers/canonical/ArtifactTypes/VMImage/Offers/ubuntu-24_04-lts/Skus/server/Versions/24.04.202409120` },
      { location: 'westus2', name: '24.04.202501140', id: `/Subscriptions/${SUB}/Providers/Microsoft.Compute/Locations/westus2/Publishers/canonical/ArtifactTypes/VMImage/Offers/ubuntu-24_04-lts/Skus/server/Versions/24.04.202501140` },
    ]);
  const a = api();
  assert.deepEqual(await a.vmSizes('westus2'), ['Standard_B1s', 'Standard_B2s']);
  assert.deepEqual(await a.imageVersions('westus2', { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server' }), ['24.04.202409120', '24.04.202501140']);
  assert.ok(scope.isDone());
});

test('nock: ARM 404 and 401 answers surface as errors the driver classifies', async () => {
  arm()
    .get(`${NET}/networkInterfaces/web1-nic`)
    .query(anyVersion)
    .reply(404, { error: { code: 'ResourceNotFound', message: "The Resource 'Microsoft.Network/networkInterfaces/web1-nic' under resource group 'tsmachine-web1' was not found." } })
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute`)
    .query(anyVersion)
    .reply(401, { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } });
  const a = api();
  const nf = await a.getNic('tsmachine-web1', 'web1-nic').then(() => undefined, (e: unknown) => e);
  assert.ok(isNotFound(nf), String(nf));
  const auth = await a.vmLocations().then(() => undefined, (e: unknown) => e);
  assert.ok(isCredentialError(auth) && !isNotFound(auth), String(auth));
});

test('nock: createPublicIp sends a Standard static IPv4 and follows Azure-AsyncOperation to the final resource', async () => {
  let body: any;
  const op = `${HOST}/subscriptions/${SUB}/providers/Microsoft.Network/locations/westus2/operations/8d7f6e5c-pip?api-version=2025-05-01`;
  const pip = (state: string, extra = {}) => ({
    name: 'web1-ip',
    id: `${NET}/publicIPAddresses/web1-ip`,
    location: 'westus2',
    type: 'Microsoft.Network/publicIPAddresses',
    sku: { name: 'Standard', tier: 'Regional' },
    properties: { provisioningState: state, publicIPAddressVersion: 'IPv4', publicIPAllocationMethod: 'Static', idleTimeoutInMinutes: 4, ipTags: [], ...extra },
  });
  const scope = arm()
    .put(`${NET}/publicIPAddresses/web1-ip`, (b) => ((body = b), true))
    .query(anyVersion)
    .reply(201, pip('Updating'), { 'Azure-AsyncOperation': op, 'Retry-After': '0' })
    .get('/subscriptions/' + SUB + '/providers/Microsoft.Network/locations/westus2/operations/8d7f6e5c-pip')
    .query(true)
    .reply(200, { status: 'InProgress' }, { 'Retry-After': '0' })
    .get('/subscriptions/' + SUB + '/providers/Microsoft.Network/locations/westus2/operations/8d7f6e5c-pip')
    .query(true)
    .reply(200, { status: 'Succeeded' })
    .get(`${NET}/publicIPAddresses/web1-ip`)
    .query(anyVersion)
    .reply(200, pip('Succeeded', { ipAddress: '20.57.130.12', dnsSettings: { domainNameLabel: 'web1dns', fqdn: 'web1dns.westus2.cloudapp.azure.com' } }));
  const r = await api().createPublicIp('tsmachine-web1', 'web1-ip', { location: 'westus2', dnsLabel: 'web1dns', tags: { 'tsmachine-machine': 'web1' } }, { signal: new AbortController().signal });
  assert.equal(r.ipAddress, '20.57.130.12');
  assert.equal(r.fqdn, 'web1dns.westus2.cloudapp.azure.com');
  assert.deepEqual(body.sku, { name: 'Standard', tier: 'Regional' });
  assert.equal(body.properties.publicIPAllocationMethod, 'Static');
  assert.equal(body.properties.publicIPAddressVersion, 'IPv4');
  assert.equal(body.properties.dnsSettings.domainNameLabel, 'web1dns');
  assert.ok(scope.isDone());
});

test('nock: createNic associates the NSG, the subnet and the public IP, with a static private IP when asked', async () => {
  let body: any;
  const nic = {
    name: 'web1-nic',
    id: `${NET}/networkInterfaces/web1-nic`,
    location: 'westus2',
    properties: {
      provisioningState: 'Succeeded',
      ipConfigurations: [{ name: 'ipconfig1', id: `${NET}/networkInterfaces/web1-nic/ipConfigurations/ipconfig1`, properties: { privateIPAddress: '192.168.0.10', privateIPAllocationMethod: 'Static', primary: true } }],
    },
  };
  const scope = arm()
    .put(`${NET}/networkInterfaces/web1-nic`, (b) => ((body = b), true))
    .query(anyVersion)
    .reply(200, nic);
  const r = await api().createNic(
    'tsmachine-web1',
    'web1-nic',
    {
      location: 'westus2',
      subnetId: `${NET}/virtualNetworks/tsmachine-vnet/subnets/tsmachine-subnet`,
      nsgId: `${NET}/networkSecurityGroups/web1-nsg`,
      publicIpId: `${NET}/publicIPAddresses/web1-ip`,
      privateIp: '192.168.0.10',
      tags: {},
    },
    { signal: new AbortController().signal },
  );
  assert.equal(r.privateIp, '192.168.0.10');
  assert.equal(body.properties.networkSecurityGroup.id, `${NET}/networkSecurityGroups/web1-nsg`);
  const ipc = body.properties.ipConfigurations[0].properties;
  assert.equal(ipc.subnet.id, `${NET}/virtualNetworks/tsmachine-vnet/subnets/tsmachine-subnet`);
  assert.equal(ipc.publicIPAddress.id, `${NET}/publicIPAddresses/web1-ip`);
  assert.equal(ipc.privateIPAllocationMethod, 'Static');
  assert.ok(scope.isDone());
});

test('nock: createNsg sends inbound allow rules with unique priorities', async () => {
  let body: any;
  const scope = arm()
    .put(`${NET}/networkSecurityGroups/web1-nsg`, (b) => ((body = b), true))
    .query(anyVersion)
    .reply(200, { name: 'web1-nsg', id: `${NET}/networkSecurityGroups/web1-nsg`, location: 'westus2', properties: { provisioningState: 'Succeeded' } });
  const rules = [
    { name: 'tsmachine-tcp-22', priority: 300, protocol: 'Tcp' as const, port: '22' },
    { name: 'tsmachine-udp-4789', priority: 310, protocol: 'Udp' as const, port: '4789' },
  ];
  await api().createNsg('tsmachine-web1', 'web1-nsg', { location: 'westus2', rules, tags: {} }, { signal: new AbortController().signal });
  const sent = body.properties.securityRules.map((r: any) => [r.name, r.properties.priority, r.properties.protocol, r.properties.destinationPortRange, r.properties.access, r.properties.direction]);
  assert.deepEqual(sent, [
    ['tsmachine-tcp-22', 300, 'Tcp', '22', 'Allow', 'Inbound'],
    ['tsmachine-udp-4789', 310, 'Udp', '4789', 'Allow', 'Inbound'],
  ]);
  assert.ok(scope.isDone());
});

const vmBody = (state: string) => ({
  name: 'web1',
  id: VM,
  type: 'Microsoft.Compute/virtualMachines',
  location: 'westus2',
  tags: { 'tsmachine-machine': 'web1' },
  properties: {
    vmId: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
    hardwareProfile: { vmSize: 'Standard_B2s' },
    storageProfile: {
      imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: '24.04.202501140', exactVersion: '24.04.202501140' },
      osDisk: { osType: 'Linux', name: 'web1-osdisk', createOption: 'FromImage', caching: 'ReadWrite', managedDisk: { storageAccountType: 'StandardSSD_LRS' }, deleteOption: 'Delete', diskSizeGB: 30 },
      dataDisks: [],
    },
    osProfile: { computerName: 'web1', adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true }, secrets: [] },
    networkProfile: { networkInterfaces: [{ id: `${NET}/networkInterfaces/web1-nic`, properties: { primary: true } }] },
    provisioningState: state,
  },
});

test('nock: createVm sends an SSH-key-only Linux VM with the resolved image and follows the compute LRO', async () => {
  let body: any;
  const opPath = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus2/operations/3c2b1a09-vm`;
  const scope = arm()
    .put(VM, (b) => ((body = b), true))
    .query(anyVersion)
    .reply(201, vmBody('Creating'), { 'Azure-AsyncOperation': `${HOST}${opPath}?p=571046f6&api-version=2024-07-01`, 'Retry-After': '0' })
    .get(opPath)
    .query(true)
    .reply(200, { startTime: '2025-01-20T10:00:00.000+00:00', status: 'InProgress', name: '3c2b1a09-vm' })
    .get(opPath)
    .query(true)
    .reply(200, { startTime: '2025-01-20T10:00:00.000+00:00', endTime: '2025-01-20T10:00:40.000+00:00', status: 'Succeeded', name: '3c2b1a09-vm' })
    .get(VM)
    .query(anyVersion)
    .reply(200, vmBody('Succeeded'));
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFakeKeyFakeKeyFakeKeyFakeKeyFake tsmachine-web1';
  const r = await api().createVm(
    'tsmachine-web1',
    'web1',
    {
      location: 'westus2',
      size: 'Standard_B2s',
      image: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: '24.04.202501140' },
      computerName: 'web1',
      adminUser: 'azureuser',
      sshPublicKey: key,
      nicId: `${NET}/networkInterfaces/web1-nic`,
      osDiskName: 'web1-osdisk',
      storageType: 'StandardSSD_LRS',
      diskSizeGb: 30,
      tags: { 'tsmachine-machine': 'web1' },
    },
    { signal: new AbortController().signal },
  );
  assert.equal(r.provisioningState, 'Succeeded');
  assert.equal(r.id, VM);
  const p = body.properties;
  assert.equal(p.hardwareProfile.vmSize, 'Standard_B2s');
  assert.deepEqual(p.storageProfile.imageReference, { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: '24.04.202501140' });
  assert.equal(p.storageProfile.osDisk.name, 'web1-osdisk');
  assert.equal(p.storageProfile.osDisk.managedDisk.storageAccountType, 'StandardSSD_LRS');
  assert.equal(p.storageProfile.osDisk.deleteOption, 'Delete');
  assert.equal(p.osProfile.adminPassword, undefined, 'no password');
  assert.equal(p.osProfile.linuxConfiguration.disablePasswordAuthentication, true);
  assert.deepEqual(p.osProfile.linuxConfiguration.ssh.publicKeys, [{ path: '/home/azureuser/.ssh/authorized_keys', keyData: key }]);
  assert.equal(p.networkProfile.networkInterfaces[0].id, `${NET}/networkInterfaces/web1-nic`);
  assert.ok(scope.isDone());
});

test('nock: vmStatus reads provisioning and power state from the instance view', async () => {
  arm()
    .get(`${VM}/instanceView`)
    .query(anyVersion)
    .reply(200, {
      computerName: 'web1',
      osName: 'ubuntu',
      osVersion: '24.04',
      vmAgent: { vmAgentVersion: '2.12.0.2', statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Ready' }] },
      statuses: [
        { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', time: '2025-01-20T10:00:40.000+00:00' },
        { code: 'PowerState/deallocated', level: 'Info', displayStatus: 'VM deallocated' },
      ],
    });
  assert.deepEqual(await api().vmStatus('tsmachine-web1', 'web1'), { provisioning: 'succeeded', power: 'deallocated' });
});

test('nock: deallocate and a hard power-off (skipShutdown=true) are POSTs followed to completion', async () => {
  const op = (id: string) => `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus2/operations/${id}`;
  let powerOffQuery: Record<string, unknown> = {};
  const scope = arm()
    .post(`${VM}/deallocate`)
    .query(anyVersion)
    .reply(202, '', { 'Azure-AsyncOperation': `${HOST}${op('dealloc-1')}?api-version=2024-07-01`, Location: `${HOST}${op('dealloc-1')}?monitor=true&api-version=2024-07-01`, 'Retry-After': '0' })
    .post(`${VM}/powerOff`)
    .query((q) => ((powerOffQuery = q), anyVersion(q)))
    .reply(202, '', { 'Azure-AsyncOperation': `${HOST}${op('off-1')}?api-version=2024-07-01`, Location: `${HOST}${op('off-1')}?monitor=true&api-version=2024-07-01`, 'Retry-After': '0' })
    .get(op('dealloc-1'))
    .query(true)
    .times(2)
    .reply(200, { startTime: '2025-01-20T10:00:00Z', endTime: '2025-01-20T10:01:00Z', status: 'Succeeded', name: 'dealloc-1' })
    .get(op('off-1'))
    .query(true)
    .times(2)
    .reply(200, { startTime: '2025-01-20T10:00:00Z', endTime: '2025-01-20T10:00:10Z', status: 'Succeeded', name: 'off-1' });
  const a = api();
  const o = { signal: new AbortController().signal };
  await a.deallocateVm('tsmachine-web1', 'web1', o);
  await a.powerOffVm('tsmachine-web1', 'web1', o);
  assert.equal(String(powerOffQuery.skipShutdown), 'true');
  assert.equal(scope.pendingMocks().filter((m) => m.startsWith('POST')).length, 0, 'both POSTs were made');
});

test('nock: deleteResourceGroup follows the Location header until 200', async () => {
  const loc = `/subscriptions/${SUB}/operationresults/eyJqb2JJZCI6IlJFU09VUkNFR1JPVVBERUxFVElPTkpPQi1UU01BQ0hJTkU?api-version=2025-04-01`;
  const scope = arm()
    .delete(`/subscriptions/${SUB}/resourcegroups/tsmachine-web1`)
    .query(anyVersion)
    .reply(202, '', { Location: `${HOST}${loc}`, 'Retry-After': '0' })
    .get(loc)
    .reply(202, '', { Location: `${HOST}${loc}`, 'Retry-After': '0' })
    .get(loc)
    .reply(200);
  await api().deleteResourceGroup('tsmachine-web1', { signal: new AbortController().signal });
  assert.ok(scope.isDone());
});

test('nock: listGroupResources follows nextLink', async () => {
  const scope = arm()
    .get(`${RG}/resources`)
    .query(anyVersion)
    .reply(200, {
      value: [{ id: VM, name: 'web1', type: 'Microsoft.Compute/virtualMachines', location: 'westus2' }],
      nextLink: `${HOST}${RG}/resources?api-version=2025-04-01&%24skiptoken=page2`,
    })
    .get(`${RG}/resources`)
    .query((q) => q.$skiptoken === 'page2')
    .reply(200, { value: [{ id: `${NET}/networkInterfaces/web1-nic`, name: 'web1-nic', type: 'Microsoft.Network/networkInterfaces', location: 'westus2' }] });
  const members = await api().listGroupResources('tsmachine-web1');
  assert.deepEqual(members.map((m) => `${m.type}/${m.name}`), ['Microsoft.Compute/virtualMachines/web1', 'Microsoft.Network/networkInterfaces/web1-nic']);
  assert.ok(scope.isDone());
});

test('nock: an operation that stays InProgress ends when the signal fires', async () => {
  const opPath = `/subscriptions/${SUB}/providers/Microsoft.Network/locations/westus2/operations/slow-vnet`;
  arm()
    .put(`${NET}/virtualNetworks/tsmachine-vnet`)
    .query(anyVersion)
    .reply(201, { name: 'tsmachine-vnet', id: `${NET}/virtualNetworks/tsmachine-vnet`, location: 'westus2', properties: { provisioningState: 'Updating', addressSpace: { addressPrefixes: ['192.168.0.0/16'] } } }, {
      'Azure-AsyncOperation': `${HOST}${opPath}?api-version=2025-05-01`,
      'Retry-After': '0',
    })
    .get(opPath)
    .query(true)
    .times(1000)
    .reply(200, { status: 'InProgress' }, { 'Retry-After': '0' });
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('Ctrl-C')), 80);
  const t0 = Date.now();
  await assert.rejects(api().createVnet('tsmachine-web1', 'tsmachine-vnet', { location: 'westus2', addressPrefix: '192.168.0.0/16', tags: {} }, { signal: ac.signal }));
  assert.ok(Date.now() - t0 < 3000, 'stopped promptly');
});

test('nock: --azure-environment and --azure-endpoint choose the host and the token scope', async () => {
  scopesAsked.clear();
  const china = nock('https://management.chinacloudapi.cn')
    .get(`/subscriptions/${SUB}/resourcegroups/tsmachine-web1`)
    .query(anyVersion)
    .reply(200, { id: RG, name: 'tsmachine-web1', location: 'chinanorth3', properties: { provisioningState: 'Succeeded' } });
  const g = await api({ 'azure-environment': 'AzureChinaCloud' }).getResourceGroup('tsmachine-web1');
  assert.equal(g.provisioningState, 'Succeeded');
  assert.ok(china.isDone());
  assert.deepEqual([...scopesAsked], ['https://management.chinacloudapi.cn/.default']);
  const custom = arm('https://arm.tsmachine.test')
    .get(`/subscriptions/${SUB}/resourceGroups/tsmachine-web1/providers/Microsoft.Compute/virtualMachines/web1`)
    .query(anyVersion)
    .reply(200, vmBody('Succeeded'));
  const vm = await api({ 'azure-endpoint': 'https://arm.tsmachine.test/' }).getVm('tsmachine-web1', 'web1');
  assert.equal(vm.name, 'web1');
  assert.ok(custom.isDone());
});

test('nock: the driver\'s preCreateCheck over the real adapter: regions, sizes, newest image, VM name free (404)', async (t) => {
  const { AzureDriver } = await import('../../../src/drivers/azure/driver');
  const { makeDriverContext } = await import('../../helpers/driver-context');
  const { config } = azureConfigFromFlags({ 'azure-subscription-id': SUB, 'azure-size': 'standard_b2s' });
  const ctx = makeDriverContext({ name: 'web1', config });
  t.after(() => ctx.cleanup());
  const driver = new AzureDriver(ctx, { api: createAzureSdkApi(config, { credential, pollIntervalMs: 1, maxRetries: 0 }) });
  const scope = arm()
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute`)
    .query(anyVersion)
    .reply(200, { namespace: 'Microsoft.Compute', resourceTypes: [{ resourceType: 'virtualMachines', locations: ['West US 2', 'East US'] }] })
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus2/vmSizes`)
    .query(anyVersion)
    .reply(200, { value: [{ name: 'Standard_B2s', numberOfCores: 2, memoryInMB: 4096 }] })
    .get(`/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westus2/publishers/canonical/artifacttypes/vmimage/offers/ubuntu-24_04-lts/skus/server/versions`)
    .query(anyVersion)
    .reply(200, [{ location: 'westus2', name: '24.04.202501140', id: 'x' }])
    .get(VM)
    .query(anyVersion)
    .reply(404, { error: { code: 'ResourceGroupNotFound', message: "Resource group 'tsmachine-web1' could not be found." } });
  await driver.preCreateCheck();
  assert.equal(ctx.config.size, 'Standard_B2s', 'the size takes Azure\'s spelling');
  assert.ok(scope.isDone());
});
