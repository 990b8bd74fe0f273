import { test } from 'node:test';
import assert from 'node:assert/strict';
import { virtualboxConfigFromFlags } from '../../../src/drivers/virtualbox/config';
import { virtualboxFlags } from '../../../src/drivers/virtualbox/flags';
import { planHostOnly } from '../../../src/drivers/virtualbox/network-plan';
import { definition } from '../../../src/drivers/virtualbox';

test('virtualbox flags keep docker-machine\'s names and environment variables', () => {
  const env = Object.fromEntries(virtualboxFlags.map((f) => [f.name, f.env]));
  assert.equal(env['virtualbox-memory'], 'VIRTUALBOX_MEMORY_SIZE');
  assert.equal(env['virtualbox-cpu-count'], 'VIRTUALBOX_CPU_COUNT');
  assert.equal(env['virtualbox-disk-size'], 'VIRTUALBOX_DISK_SIZE');
  assert.equal(env['virtualbox-boot2docker-url'], 'VIRTUALBOX_BOOT2DOCKER_URL');
  assert.equal(env['virtualbox-hostonly-cidr'], 'VIRTUALBOX_HOSTONLY_CIDR');
  assert.equal(env['virtualbox-hostonly-nictype'], 'VIRTUALBOX_HOSTONLY_NIC_TYPE');
  assert.equal(env['virtualbox-hostonly-nicpromisc'], 'VIRTUALBOX_HOSTONLY_NIC_PROMISC');
  assert.equal(env['virtualbox-hostonly-no-dhcp'], 'VIRTUALBOX_HOSTONLY_NO_DHCP');
  assert.equal(env['virtualbox-no-vtx-check'], 'VIRTUALBOX_NO_VTX_CHECK');
  assert.equal(env['virtualbox-share-folder'], 'VIRTUALBOX_SHARE_FOLDER');
  const def = Object.fromEntries(virtualboxFlags.map((f) => [f.name, f.default]));
  assert.deepEqual([def['virtualbox-memory'], def['virtualbox-cpu-count'], def['virtualbox-disk-size']], [1024, 1, 20000]);
  assert.equal(def['virtualbox-hostonly-cidr'], '192.168.56.1/24');
  assert.equal(def['virtualbox-ui-type'], 'headless');
  assert.ok(virtualboxFlags.every((f) => f.name.startsWith('virtualbox-') && f.env?.startsWith('VIRTUALBOX_')));
  assert.equal(definition.flags, virtualboxFlags);
});

test('virtualbox config from defaults: docker user, DNS proxy on, nothing created yet', () => {
  const { config, problems } = virtualboxConfigFromFlags({});
  assert.deepEqual(problems, []);
  assert.equal(config.memoryMb, 1024);
  assert.equal(config.cpus, 1);
  assert.equal(config.diskSizeMb, 20000);
  assert.equal(config.bootImage, undefined);
  assert.equal(config.hostOnlyCidr, '192.168.56.1/24');
  assert.equal(config.hostOnlyNicType, '82540EM');
  assert.equal(config.hostOnlyPromisc, 'deny');
  assert.equal(config.uiType, 'headless');
  assert.equal(config.dnsProxy, true);
  assert.equal(config.sshUser, 'docker');
  assert.deepEqual(config.resources, {});
});

test('virtualbox config takes flag values given as strings (env) and resolves a relative image path', () => {
  const { config, problems } = virtualboxConfigFromFlags({
    'virtualbox-memory': '2048',
    'virtualbox-cpu-count': '-1',
    'virtualbox-no-dns-proxy': 'true',
    'virtualbox-hostonly-no-dhcp': true,
    'virtualbox-nat-nictype': 'VIRTIO',
    'virtualbox-boot2docker-url': 'images/tsos.iso',
    'virtualbox-share-folder': 'C:\\Users\\me\\src:src',
  });
  assert.deepEqual(problems, []);
  assert.equal(config.memoryMb, 2048);
  assert.equal(config.cpus, -1);
  assert.equal(config.dnsProxy, false);
  assert.equal(config.hostOnlyNoDhcp, true);
  assert.equal(config.natNicType, 'virtio');
  assert.equal(config.bootImage, `${process.cwd()}/images/tsos.iso`);
  assert.deepEqual(config.shareFolder, { dir: 'C:\\Users\\me\\src', name: 'src' });
  assert.equal(virtualboxConfigFromFlags({ 'virtualbox-boot2docker-url': 'https://example.com/tsos.iso' }).config.bootImage, 'https://example.com/tsos.iso');
});

test('virtualbox config reports every bad flag at once, each naming its flag', () => {
  const { problems } = virtualboxConfigFromFlags({
    'virtualbox-memory': '12',
    'virtualbox-cpu-count': 64,
    'virtualbox-disk-size': 'big',
    'virtualbox-hostonly-cidr': '192.168.56.0/24',
    'virtualbox-hostonly-nictype': 'e1000',
    'virtualbox-hostonly-nicpromisc': 'maybe',
    'virtualbox-ui-type': 'vnc',
    'virtualbox-share-folder': 'nocolon',
    'virtualbox-boot2docker-url': 'ftp://example.com/x.iso',
  });
  assert.deepEqual(problems.map((p) => p.field).sort(), [
    '--virtualbox-boot2docker-url',
    '--virtualbox-cpu-count',
    '--virtualbox-disk-size',
    '--virtualbox-hostonly-cidr',
    '--virtualbox-hostonly-nicpromisc',
    '--virtualbox-hostonly-nictype',
    '--virtualbox-memory',
    '--virtualbox-share-folder',
    '--virtualbox-ui-type',
  ]);
  assert.ok(problems.every((p) => p.message.length > 0));
});

test('host-only plan: VirtualBox\'s DHCP layout, and CIDRs that cannot work', () => {
  assert.deepEqual(planHostOnly('192.168.56.1/24'), {
    hostIp: '192.168.56.1',
    netmask: '255.255.255.0',
    prefix: 24,
    network: '192.168.56.0/24',
    dhcp: { serverIp: '192.168.56.100', lowerIp: '192.168.56.101', upperIp: '192.168.56.254' },
  });
  const small = planHostOnly('10.0.0.1/28');
  assert.ok(typeof small !== 'string');
  assert.deepEqual(small.dhcp, { serverIp: '10.0.0.8', lowerIp: '10.0.0.9', upperIp: '10.0.0.14' });
  assert.match(planHostOnly('192.168.56.0/24') as string, /network address.*192\.168\.56\.1\/24/);
  assert.match(planHostOnly('192.168.56.255/24') as string, /broadcast/);
  assert.match(planHostOnly('192.168.56.150/24') as string, /DHCP range/);
  assert.match(planHostOnly('192.168.56.1/30') as string, /out of range/);
  assert.match(planHostOnly('vboxnet0') as string, /not an IPv4 address/);
});
