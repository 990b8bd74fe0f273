/** VBoxManage output parsers over output as VirtualBox prints it (shapes from its manual and sources). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseCreatedHostOnlyIf,
  parseCreatedVm,
  parseDhcpServers,
  parseGuestProperty,
  parseHostOnlyIfs,
  parseLease,
  parseMachineReadable,
  parseMediumUuid,
  parseVersion,
  parseVmList,
  versionAtLeast,
  vmInfoFrom,
} from '../../../src/drivers/virtualbox/vbox-parse';
import { classifyVBoxError, vboxErrorText, VBoxManageError } from '../../../src/drivers/virtualbox/vbox-error';
import { VBoxManageCli, vboxManageEnv, vboxManagePath } from '../../../src/drivers/virtualbox/api';
import type { Exec } from '../../../src/core/exec';
import { vmStateOf, vtxFailureInLog } from '../../../src/drivers/virtualbox/vm-state';

test('list vms: "name" {uuid} lines, names with spaces and quotes', () => {
  const out = '"default" {2d1a2e2e-6a43-4a76-9b2c-0a1f4d1b2c3d}\n"my "odd" vm" {AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}\n';
  assert.deepEqual(parseVmList(out), [
    { name: 'default', uuid: '2d1a2e2e-6a43-4a76-9b2c-0a1f4d1b2c3d' },
    { name: 'my "odd" vm', uuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' },
  ]);
  assert.deepEqual(parseVmList(''), []);
});

test('showvminfo --machinereadable: quoted and bare keys and values, escapes, NICs and forwards', () => {
  const out = [
    'name="dev \\"one\\""',
    'UUID="5C0F2E0B-1111-2222-3333-444455556666"',
    'CfgFile="C:\\\\VMs\\\\dev\\\\dev.vbox"',
    'memory=1024',
    'cpus=2',
    'VMState="running"',
    '"SATA-0-0"="/home/u/boot2docker.iso"',
    '"SATA-ImageUUID-1-0"="12345-abcdefg"',
    'natnet1="nat"',
    'macaddress1="080027D3F1A2"',
    'cableconnected1="on"',
    'nic1="nat"',
    'nictype1="82540EM"',
    'Forwarding(0)="ssh,tcp,127.0.0.1,52345,,22"',
    'hostonlyadapter2="vboxnet0"',
    'macaddress2="0800274E7C11"',
    'nic2="hostonly"',
    'nic3="none"',
  ].join('\n');
  const kv = parseMachineReadable(out);
  assert.equal(kv.name, 'dev "one"');
  assert.equal(kv.CfgFile, 'C:\\VMs\\dev\\dev.vbox');
  assert.equal(kv.memory, '1024');
  assert.equal(kv['SATA-0-0'], '/home/u/boot2docker.iso');
  const info = vmInfoFrom(kv);
  assert.equal(info.uuid, '5c0f2e0b-1111-2222-3333-444455556666');
  assert.equal(info.state, 'running');
  assert.deepEqual(info.nics, [
    { index: 1, attachment: 'nat', mac: '080027D3F1A2', hostOnlyAdapter: undefined },
    { index: 2, attachment: 'hostonly', mac: '0800274E7C11', hostOnlyAdapter: 'vboxnet0' },
    { index: 3, attachment: 'none', mac: undefined, hostOnlyAdapter: undefined },
  ]);
  assert.deepEqual(info.forwards, [{ name: 'ssh', protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 52345, guestIp: '', guestPort: 22 }]);
});

test('list hostonlyifs: blocks with or without blank lines between them', () => {
  const withBlanks = `Name:            vboxnet0
GUID:            786f6276-656e-4074-8000-0a0027000000
DHCP:            Disabled
IPAddress:       192.168.56.1
NetworkMask:     255.255.255.0
IPV6Address:     fe80::800:27ff:fe00:0
IPV6NetworkMaskPrefixLength: 64
HardwareAddress: 0a:00:27:00:00:00
MediumType:      Ethernet
Wireless:        No
Status:          Up
VBoxNetworkName: HostInterfaceNetworking-vboxnet0

Name:            vboxnet1
GUID:            786f6276-656e-4174-8000-0a0027000001
DHCP:            Disabled
IPAddress:       169.254.37.187
NetworkMask:     255.255.255.0
Status:          Down
VBoxNetworkName: HostInterfaceNetworking-vboxnet1
`;
  const ifs = parseHostOnlyIfs(withBlanks);
  assert.equal(ifs.length, 2);
  assert.deepEqual(ifs[0], { name: 'vboxnet0', guid: '786f6276-656e-4074-8000-0a0027000000', dhcp: false, ip: '192.168.56.1', netmask: '255.255.255.0', status: 'Up', networkName: 'HostInterfaceNetworking-vboxnet0' });
  assert.equal(ifs[1].status, 'Down');
  const packed = 'Name:            vboxnet0\nVBoxNetworkName: HostInterfaceNetworking-vboxnet0\nName:            vboxnet1\nVBoxNetworkName: HostInterfaceNetworking-vboxnet1';
  assert.deepEqual(parseHostOnlyIfs(packed).map((n) => n.name), ['vboxnet0', 'vboxnet1']);
});

test('list dhcpservers: 6.1+ layout (Dhcpd IP, nested configuration) and the older one', () => {
  const modern = `NetworkName:    HostInterfaceNetworking-vboxnet0
Dhcpd IP:       192.168.56.100
LowerIPAddress: 192.168.56.101
UpperIPAddress: 192.168.56.254
NetworkMask:    255.255.255.0
Enabled:        Yes
Global Configuration:
    minLeaseTime:     default
    defaultLeaseTime: default
    maxLeaseTime:     default
    Forced options:   None
    Suppressed opts.: None
        1/legacy: 255.255.255.0
Groups:               None
Individual Configs:   None

NetworkName:    DN01_NatNetwork
Dhcpd IP:       10.0.2.2
LowerIPAddress: 10.0.2.10
UpperIPAddress: 10.0.2.14
NetworkMask:    255.255.255.0
Enabled:        No
`;
  assert.deepEqual(parseDhcpServers(modern), [
    { networkName: 'HostInterfaceNetworking-vboxnet0', ip: '192.168.56.100', netmask: '255.255.255.0', lowerIp: '192.168.56.101', upperIp: '192.168.56.254', enabled: true },
    { networkName: 'DN01_NatNetwork', ip: '10.0.2.2', netmask: '255.255.255.0', lowerIp: '10.0.2.10', upperIp: '10.0.2.14', enabled: false },
  ]);
  const old = 'NetworkName:    HostInterfaceNetworking-vboxnet1\nIP:             192.168.99.7\nNetworkMask:    255.255.255.0\nlowerIPAddress: 192.168.99.100\nupperIPAddress: 192.168.99.254\nEnabled:        No\n';
  assert.deepEqual(parseDhcpServers(old)[0], { networkName: 'HostInterfaceNetworking-vboxnet1', ip: '192.168.99.7', netmask: '255.255.255.0', lowerIp: '192.168.99.100', upperIp: '192.168.99.254', enabled: false });
});

test('guestproperty get, findlease, createvm, createmedium and hostonlyif create outputs', () => {
  assert.equal(parseGuestProperty('Value: 192.168.56.101\n'), '192.168.56.101');
  assert.equal(parseGuestProperty('No value set!\n'), undefined);
  const lease = 'IP Address:  192.168.56.101\nMAC Address: 08:00:27:4e:7c:11\nState:       acked\nIssued:      2024-05-01T10:00:00Z (1714557600)\nExpire:      2024-05-01T10:20:00Z (1714558800)\nTTL:         1200 sec, currently 1100 sec left\n';
  assert.deepEqual(parseLease(lease), { ip: '192.168.56.101', state: 'acked' });
  assert.equal(parseLease(''), undefined);
  assert.deepEqual(parseCreatedVm("Virtual machine 'rh9-node1' is created and registered.\nUUID: 253cc2ba-935b-482c-83d3-14bc4ed72c22\nSettings file: '/home/a/vm/rh9-node1/rh9-node1.vbox'\n"), {
    uuid: '253cc2ba-935b-482c-83d3-14bc4ed72c22',
    settingsFile: '/home/a/vm/rh9-node1/rh9-node1.vbox',
  });
  assert.equal(parseMediumUuid('0%...10%...100%\nMedium created. UUID: 4973AF85-5e20-43c2-b630-73084cc5191f\n'), '4973af85-5e20-43c2-b630-73084cc5191f');
  assert.equal(parseCreatedHostOnlyIf("0%...100%\nInterface 'vboxnet2' was successfully created\n"), 'vboxnet2');
});

test('--version, with kernel-module warnings first', () => {
  const v = parseVersion('WARNING: The vboxdrv kernel module is not loaded. Either there is no module\n         available for the current kernel (6.8.0) or it failed to\n         load.\n7.0.14r161095\n');
  assert.deepEqual(v, { major: 7, minor: 0, patch: 14, text: '7.0.14r161095' });
  assert.ok(versionAtLeast(v!, 6, 1, 28));
  assert.ok(!versionAtLeast(parseVersion('6.1.26r145957')!, 6, 1, 28));
  assert.ok(!versionAtLeast(parseVersion('5.2.44r139111')!, 6, 1));
  assert.equal(parseVersion('garbage'), undefined);
});

test('VBoxManage errors are classified from their error lines; Details/Context are dropped from messages', () => {
  const notFound = "VBoxManage: error: Could not find a registered machine named 'x'\nVBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports\nVBoxManage: error: Context: \"FindMachine(Bstr(a->argv[0]).raw(), machine.asOutParam())\" at line 2621 of file VBoxManageInfo.cpp\n";
  assert.equal(classifyVBoxError(notFound), 'vm-not-found');
  assert.equal(vboxErrorText(notFound), "Could not find a registered machine named 'x'");
  assert.equal(classifyVBoxError("VBoxManage: error: Machine 'x' is not currently running"), 'not-running');
  assert.equal(classifyVBoxError("VBoxManage: error: Could not find file for the medium '/a.vdi' (VERR_FILE_NOT_FOUND)"), 'file-not-found');
  assert.equal(classifyVBoxError("VBoxManage: error: Failed to create the VirtualBox object!\nVBoxManage: error: Code E_ACCESSDENIED (0x80070005) - Access denied"), 'access-denied');
  assert.equal(classifyVBoxError('VBoxManage: error: Failed to create the VirtualBox object!\nVBoxManage: error: Code NS_ERROR_FACTORY_NOT_REGISTERED (0x80040154)'), 'no-service');
  assert.equal(classifyVBoxError("VBoxManage: error: Failed to find DHCP server for network 'HostInterfaceNetworking-vboxnet9'"), 'dhcp-not-found');
  assert.equal(classifyVBoxError('VBoxManage: error: something else'), 'failed');
});

test('VMState maps to docker-machine states; VBox.log VT-x failures are recognised', () => {
  assert.deepEqual(['running', 'poweroff', 'aborted', 'saved', 'paused', 'starting', 'stopping', 'stuck', 'weird', undefined].map(vmStateOf), [
    'Running', 'Stopped', 'Stopped', 'Saved', 'Paused', 'Starting', 'Stopping', 'Error', 'None', 'None',
  ]);
  assert.ok(vtxFailureInLog('00:00:01.2 Power up failed (vrc=VERR_VMX_NO_VMX, rc=NS_ERROR_FAILURE (0X80004005))'));
  assert.ok(!vtxFailureInLog('00:00:01.2 HM: Falling back to raw-mode: VT-x is disabled in the BIOS for all CPU modes'));
});

test('the adapter runs VBoxManage without a shell, asks for English messages, and fails on error lines even with exit 0', async () => {
  const seen: Array<{ file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }> = [];
  let answer = { code: 0, stdout: '"a b" {2d1a2e2e-6a43-4a76-9b2c-0a1f4d1b2c3d}\n', stderr: '' };
  const exec: Exec = async (file, args, opts) => {
    seen.push({ file, args, env: opts?.env });
    return answer;
  };
  const api = new VBoxManageCli(exec, '/opt/vbox/VBoxManage', vboxManageEnv({ LC_ALL: 'de_DE.UTF-8', PATH: '/bin' }));
  assert.deepEqual(await api.listVms(), [{ name: 'a b', uuid: '2d1a2e2e-6a43-4a76-9b2c-0a1f4d1b2c3d' }]);
  assert.deepEqual(seen[0].args, ['list', 'vms']);
  assert.equal(seen[0].file, '/opt/vbox/VBoxManage');
  assert.deepEqual(seen[0].env, { PATH: '/bin', LC_MESSAGES: 'C', LC_CTYPE: 'de_DE.UTF-8' });
  answer = { code: 0, stdout: '', stderr: 'VBoxManage: error: VT-x is not available (VERR_VMX_NO_VMX)\n' };
  await assert.rejects(api.startVm('x', 'headless'), (e: Error) => e instanceof VBoxManageError && /VBoxManage startvm x failed: VT-x is not available/.test(e.message));
  assert.equal(vboxManagePath({ TSMACHINE_VBOXMANAGE: '/x/VBoxManage' }, 'linux'), '/x/VBoxManage');
  assert.equal(vboxManagePath({}, 'linux'), 'VBoxManage');
  assert.match(vboxManagePath({ VBOX_MSI_INSTALL_PATH: 'D:\\VirtualBox' }, 'win32'), /VBoxManage\.exe$/);
});
