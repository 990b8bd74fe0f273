import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, release, addressOf, IpamError, type Pool } from '../../../src/agent/network/ipam';
import { parseCidr, parseIp, formatIp, overlaps, macFor, formatCidr } from '../../../src/agent/network/ipv4';
import { pickSubnet } from '../../../src/agent/network/network-manager';
import { portRequests, clashes } from '../../../src/agent/network/ports';
import { splitRule } from '../../../src/agent/network/host-net';

const pool = (cidr: string, gw?: string): Pool => {
  const subnet = parseCidr(cidr)!;
  return { subnet, gateway: gw ? parseIp(gw)! : subnet.base + 1, used: new Map() };
};

test('IPv4 parsing and formatting', () => {
  assert.equal(formatIp(parseIp('172.18.0.2')!), '172.18.0.2');
  assert.equal(parseIp('256.1.1.1'), undefined);
  assert.equal(parseIp('1.2.3'), undefined);
  assert.equal(parseCidr('10.0.0.1/24'), undefined, 'host bits set');
  assert.equal(formatCidr(parseCidr('10.0.0.1/24', true)!), '10.0.0.0/24');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.ok(overlaps(parseCidr('10.0.0.0/8')!, parseCidr('10.1.2.0/24')!));
  assert.ok(!overlaps(parseCidr('172.17.0.0/16')!, parseCidr('172.18.0.0/16')!));
  assert.equal(macFor(parseIp('172.17.0.2')!), '02:42:ac:11:00:02');
});

test('allocation goes in order, skips the gateway, and wraps around to freed addresses', () => {
  const p = pool('10.0.0.0/29'); // hosts .1-.6, gateway .1
  const got = ['a', 'b', 'c', 'd', 'e'].map((o) => allocate(p, o));
  assert.deepEqual(got, ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  assert.throws(() => allocate(p, 'f'), IpamError);
  release(p, 'b');
  assert.equal(addressOf(p, 'b'), undefined);
  assert.equal(allocate(p, 'f'), '10.0.0.3');
  assert.equal(addressOf(p, 'f'), '10.0.0.3');
});

test('a freed address is not handed out again at once (dockerd order)', () => {
  const p = pool('10.0.0.0/24');
  allocate(p, 'a');
  assert.equal(allocate(p, 'b'), '10.0.0.3');
  release(p, 'b');
  assert.equal(allocate(p, 'c'), '10.0.0.4');
});

test('a wanted address must be a free host address of the subnet', () => {
  const p = pool('10.0.0.0/24', '10.0.0.254');
  assert.equal(allocate(p, 'a'), '10.0.0.1', 'the gateway need not be .1');
  assert.equal(allocate(p, 'b', '10.0.0.77'), '10.0.0.77');
  assert.throws(() => allocate(p, 'c', '10.0.0.77'), /already in use/);
  assert.throws(() => allocate(p, 'c', '10.0.0.254'), /already in use/);
  assert.throws(() => allocate(p, 'c', '10.0.1.5'), /not a host address/);
  assert.throws(() => allocate(p, 'c', '10.0.0.255'), /not a host address/);
  assert.throws(() => allocate(p, 'c', 'x'), /invalid IPv4/);
});

test('the default pool avoids routes and other networks', () => {
  assert.equal(pickSubnet([]), '172.17.0.0/16');
  assert.equal(pickSubnet(['172.17.0.0/16', '172.18.5.0/24']), '172.19.0.0/16');
  assert.equal(pickSubnet(['172.16.0.0/12']), '192.168.0.0/20');
  assert.equal(pickSubnet(['172.16.0.0/12', '192.168.0.0/16']), undefined);
});

test('port requests from bindings, ranges and -P', () => {
  const r = portRequests({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '90/tcp': [{ HostIp: '', HostPort: '9000-9010' }] }, true, { '80/tcp': {}, '7000/tcp': {} });
  assert.deepEqual(r.map((x) => [x.key, x.hostIp, x.hostFrom, x.hostTo]), [
    ['80/tcp', '', 8080, 8080], ['53/udp', '127.0.0.1', 0, 0], ['90/tcp', '', 9000, 9010], ['7000/tcp', '', 0, 0],
  ]);
  assert.throws(() => portRequests({ '80/tcp': [{ HostIp: '', HostPort: 'abc' }] }, false, {}), /invalid port/);
  assert.throws(() => portRequests({ '99999/tcp': [] }, false, {}), /invalid port/);
  assert.throws(() => portRequests({ '80/tcp': [{ HostIp: 'nope', HostPort: '1' }] }, false, {}), /invalid IP/);
  assert.ok(clashes({ proto: 'tcp', ip: '0.0.0.0', port: 80 }, { proto: 'tcp', ip: '127.0.0.1', port: 80 }));
  assert.ok(!clashes({ proto: 'tcp', ip: '10.0.0.1', port: 80 }, { proto: 'tcp', ip: '127.0.0.1', port: 80 }));
  assert.ok(!clashes({ proto: 'udp', ip: '0.0.0.0', port: 80 }, { proto: 'tcp', ip: '0.0.0.0', port: 80 }));
});

test('iptables -S lines split with their quoted comments', () => {
  assert.deepEqual(splitRule('-A TSA-DNAT -p tcp -m comment --comment "tsa-ctr:abc def" -j DNAT'), ['-A', 'TSA-DNAT', '-p', 'tcp', '-m', 'comment', '--comment', 'tsa-ctr:abc def', '-j', 'DNAT']);
});

test('--bridge names the default bridge; none disables it; bad names are refused', async () => {
  const { parseAgentFlags } = await import('../../../src/agent/config/flags');
  assert.equal(parseAgentFlags([]).bridge, 'tsa0');
  assert.equal(parseAgentFlags(['--bridge=none']).bridge, 'none');
  assert.equal(parseAgentFlags(['-b', 'br0']).bridge, 'br0');
  assert.throws(() => parseAgentFlags(['--bridge', 'much-too-long-name']), /at most 15 characters/);
});
