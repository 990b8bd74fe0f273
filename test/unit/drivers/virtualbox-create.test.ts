/** virtualbox create and remove over the fake VBoxManage: what is made, reused, recorded and deleted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTsmError } from '../../../src/core/errors';
import { vboxTestMachine } from '../../helpers/fakes/vboxmanage-fake-harness';

test('create builds the VM like docker-machine and records each thing it made', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  await m.driver.preCreateCheck();
  await m.driver.create();
  const s = m.fake.state();
  const vm = s.vms[0];
  const c = m.ctx.config;
  assert.equal(s.vms.length, 1);
  assert.equal(vm.name, 'vbox1');
  assert.deepEqual(c.resources, { vm: { uuid: vm.uuid, name: 'vbox1' }, disk: join(m.ctx.dir, 'disk.vdi'), hostOnlyIf: { name: 'vboxnet0', created: true }, dhcpServer: { ifName: 'vboxnet0' } });
  assert.deepEqual(JSON.parse(readFileSync(m.ctx.configPath, 'utf8')), JSON.parse(JSON.stringify(c)), 'saved as made');
  assert.equal(vm.cfgFile, join(m.ctx.dir, 'vbox1', 'vbox1.vbox'));
  assert.deepEqual([vm.memory, vm.cpus, vm.state], [1024, 1, 'running']);
  assert.deepEqual(vm.natpf, [`ssh,tcp,127.0.0.1,${c.sshPort},,22`]);
  assert.equal(vm.nics['1'].attachment, 'nat');
  assert.deepEqual([vm.nics['2'].attachment, vm.nics['2'].hostOnlyAdapter, vm.nics['2'].type, vm.nics['2'].promisc], ['hostonly', 'vboxnet0', '82540EM', 'deny']);
  assert.deepEqual(vm.attachments.map((a) => [a.type, a.medium]), [['dvddrive', join(m.ctx.dir, 'boot.iso')], ['hdd', join(m.ctx.dir, 'disk.vdi')]]);
  assert.equal(readFileSync(join(m.ctx.dir, 'boot.iso'), 'utf8'), 'an ISO image');
  assert.equal(vm.guestProps['/tsmachine/SSHAuthorizedKeys'], m.ctx.sshPublicKey.trim());
  assert.deepEqual(s.hostOnlyIfs.map((h) => [h.name, h.ip, h.netmask]), [['vboxnet0', '192.168.56.1', '255.255.255.0']]);
  assert.deepEqual(s.dhcpServers.map((d) => [d.networkName, d.ip, d.lowerIp, d.upperIp, d.enabled]), [['HostInterfaceNetworking-vboxnet0', '192.168.56.100', '192.168.56.101', '192.168.56.254', true]]);
  assert.equal(c.ip, '192.168.56.101');
  assert.equal(await m.driver.ip(), '192.168.56.101');
  assert.deepEqual(await m.driver.addresses(), ['192.168.56.101']);
  assert.deepEqual(await m.driver.sshEndpoint(), { host: '127.0.0.1', port: c.sshPort, user: 'docker', privateKeyPath: m.ctx.sshKeyPath });
  const vmCalls = s.calls.filter((a) => ['modifyvm', 'storagectl', 'storageattach', 'startvm', 'showvminfo'].includes(a[0]));
  assert.ok(vmCalls.every((a) => a[1] === vm.uuid), 'the VM is addressed by its UUID, never by name');
  assert.deepEqual(m.ctx.events.filter((e) => e.kind === 'done').map((e) => (e as { step: string }).step), ['network', 'vm', 'boot']);
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), []);
  assert.ok(!existsSync(join(m.ctx.dir, 'disk.vdi')) && !existsSync(vm.cfgFile));
});

test('an existing host-only interface for the CIDR and its DHCP server are reused, and survive remove', async (t) => {
  const m = vboxTestMachine({
    fake: {
      setup(s) {
        s.hostOnlyIfs.push({ name: 'vboxnet0', guid: 'g0', ip: '192.168.56.1', netmask: '255.255.255.0', mac: '0a:00:27:00:00:00', status: 'Up' });
        s.dhcpServers.push({ networkName: 'HostInterfaceNetworking-vboxnet0', ip: '192.168.56.100', netmask: '255.255.255.0', lowerIp: '192.168.56.101', upperIp: '192.168.56.254', enabled: true, leases: {} });
      },
    },
  });
  t.after(() => m.cleanup());
  await m.driver.preCreateCheck();
  await m.driver.create();
  assert.deepEqual(m.ctx.config.resources.hostOnlyIf, { name: 'vboxnet0', created: false });
  assert.equal(m.ctx.config.resources.dhcpServer, undefined);
  await m.driver.remove();
  const calls = m.fake.calls();
  assert.ok(!calls.some((c) => /^(hostonlyif (create|ipconfig|remove)|dhcpserver (add|modify|remove))/.test(c)), calls.join('\n'));
  assert.deepEqual(m.fake.liveResources(), ['dhcpserver:HostInterfaceNetworking-vboxnet0', 'hostonlyif:vboxnet0']);
});

test('a disabled DHCP server on a reused interface is reconfigured (as docker-machine did), not recorded', async (t) => {
  const m = vboxTestMachine({
    fake: {
      setup(s) {
        s.hostOnlyIfs.push({ name: 'vboxnet3', guid: 'g3', ip: '192.168.56.1', netmask: '255.255.255.0', mac: '0a:00:27:00:00:03', status: 'Up' });
        s.dhcpServers.push({ networkName: 'HostInterfaceNetworking-vboxnet3', ip: '192.168.56.2', netmask: '255.255.255.0', lowerIp: '10.0.0.1', upperIp: '10.0.0.9', enabled: false, leases: {} });
      },
    },
  });
  t.after(() => m.cleanup());
  await m.driver.create();
  const d = m.fake.state().dhcpServers[0];
  assert.deepEqual([d.enabled, d.lowerIp, d.upperIp], [true, '192.168.56.101', '192.168.56.254']);
  assert.equal(m.ctx.config.resources.dhcpServer, undefined);
  assert.equal(await m.driver.ip(), '192.168.56.101');
});

test('a host-only interface this machine created stays while another VM uses it', async (t) => {
  const a = vboxTestMachine({ name: 'a' });
  const b = vboxTestMachine({ name: 'b', sharedFake: a.fake });
  t.after(() => (b.cleanup(), a.cleanup()));
  await a.driver.create();
  await b.driver.create();
  assert.deepEqual(b.ctx.config.resources.hostOnlyIf, { name: 'vboxnet0', created: false });
  assert.equal(await b.driver.ip(), '192.168.56.102');
  await a.driver.remove();
  assert.deepEqual(a.fake.liveResources().filter((r) => !r.startsWith('vm:b') && !r.includes('/b/') && !r.includes('machines/b')), [
    'dhcpserver:HostInterfaceNetworking-vboxnet0',
    'hostonlyif:vboxnet0',
  ]);
  assert.ok(a.ctx.events.some((e) => e.kind === 'info' && /Keeping host-only interface vboxnet0: VM b uses it/.test(e.message)));
  assert.equal(await b.driver.state(), 'Running');
  await b.driver.remove();
  assert.deepEqual(a.fake.liveResources(), ['dhcpserver:HostInterfaceNetworking-vboxnet0', 'hostonlyif:vboxnet0'], 'b did not make it: b does not delete it');
});

test('without Guest Additions the address comes from the DHCP server\'s lease', async (t) => {
  const m = vboxTestMachine({ fake: { setup: (s) => void (s.behaviour.guestAdditions = false) } });
  t.after(() => m.cleanup());
  await m.driver.create();
  assert.equal(m.ctx.config.ip, '192.168.56.101');
  const mac = m.fake.state().vms[0].nics['2'].mac.toLowerCase().replace(/(..)(?!$)/g, '$1:');
  assert.ok(m.fake.calls().includes(`dhcpserver findlease --interface vboxnet0 --mac-address ${mac}`));
  assert.ok(m.ctx.events.some((e) => e.kind === 'info' && /dhcp-lease/.test(e.message)));
});

test('no address ever (no DHCP server): create fails with a bounded wait that names what it waited for', async (t) => {
  const m = vboxTestMachine({ flags: { 'virtualbox-hostonly-no-dhcp': true }, timeouts: { ipMs: 30 } });
  t.after(() => m.cleanup());
  await assert.rejects(m.driver.create(), (e: Error) => isTsmError(e, 'TIMEOUT') && /an address for VirtualBox VM "vbox1" on 192\.168\.56\.0\/24/.test(e.message));
  assert.equal(m.fake.state().dhcpServers.length, 0);
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), []);
});

test('remove lists every resource it could not delete, keeps them recorded, and a retry finishes', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  await m.driver.create();
  const uuid = m.ctx.config.resources.vm!.uuid;
  m.fake.failOn('unregistervm');
  await assert.rejects(m.driver.remove(), (e: Error) => {
    assert.ok(isTsmError(e, 'DRIVER_ERROR'));
    assert.match(e.message, new RegExp(`VM ${uuid} \\("vbox1"\\)`));
    assert.match(e.message, /disk .*disk\.vdi: kept/);
    assert.match(e.message, /host-only interface vboxnet0: kept/);
    return true;
  });
  assert.equal(m.ctx.config.resources.vm?.uuid, uuid);
  assert.equal(JSON.parse(readFileSync(m.ctx.configPath, 'utf8')).resources.vm.uuid, uuid);
  m.fake.failOn('hostonlyif remove');
  await assert.rejects(m.driver.remove(), /host-only interface vboxnet0: .*injected/);
  assert.deepEqual(m.ctx.config.resources, { hostOnlyIf: { name: 'vboxnet0', created: true } });
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), []);
  assert.deepEqual(m.ctx.config.resources, {});
});

test('remove succeeds when the VM was already deleted outside tsmachine', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  await m.driver.create();
  await m.fake.exec('VBoxManage', ['controlvm', 'vbox1', 'poweroff']);
  await m.fake.exec('VBoxManage', ['unregistervm', 'vbox1', '--delete']);
  assert.equal(await m.driver.state(), 'Error');
  await m.driver.remove();
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), []);
});

test('a disk created but never attached is deleted by remove', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  m.fake.onCall('createmedium', () => m.fake.failOn('storageattach'));
  await assert.rejects(m.driver.create(), /storageattach/);
  assert.ok(existsSync(join(m.ctx.dir, 'disk.vdi')));
  await m.driver.remove();
  assert.ok(m.fake.calls().includes(`closemedium disk ${join(m.ctx.dir, 'disk.vdi')} --delete`));
  assert.ok(!existsSync(join(m.ctx.dir, 'disk.vdi')));
  assert.deepEqual(m.fake.liveResources(), []);
});

test('a VM of the same name made outside tsmachine is refused before anything is created, and never touched', async (t) => {
  const m = vboxTestMachine({ name: 'foreign-1' });
  t.after(() => m.cleanup());
  m.fake.createForeignResource();
  await assert.rejects(m.driver.preCreateCheck(), (e: Error) => isTsmError(e, 'PRECREATE_FAILED') && /VM named "foreign-1" already exists/.test(e.message));
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), ['vm:foreign-1']);
});
