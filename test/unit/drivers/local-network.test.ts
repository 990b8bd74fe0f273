import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv4, gatewayOf, machineRange, overlaps, parseCidr, parseIpv4, type Ipv4Subnet } from '../../../src/drivers/local/ipv4';
import { machineMac, natRules, subnetProblems, type HostNetworks } from '../../../src/drivers/local/network';

test('ipv4: parse and format round-trip; bad addresses are undefined', () => {
  assert.equal(formatIpv4(parseIpv4('10.213.0.1')!), '10.213.0.1');
  assert.equal(parseIpv4('255.255.255.255'), 2 ** 32 - 1);
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.1.1.1', '', 'a.b.c.d']) assert.equal(parseIpv4(bad), undefined, bad);
});

test('ipv4: subnets, gateway, machine range and overlap', () => {
  const net = parseCidr('10.213.0.0/24') as Ipv4Subnet;
  assert.equal(formatIpv4(gatewayOf(net)), '10.213.0.1');
  const r = machineRange(net);
  assert.deepEqual([formatIpv4(r.first), formatIpv4(r.last)], ['10.213.0.2', '10.213.0.254']);
  assert.ok(overlaps(net, parseCidr('10.0.0.0/8') as Ipv4Subnet));
  assert.ok(overlaps(net, parseCidr('10.213.0.77') as Ipv4Subnet));
  assert.ok(!overlaps(net, parseCidr('10.213.1.0/24') as Ipv4Subnet));
});

const free: HostNetworks = { others: [{ subnet: '192.0.2.0/24', what: 'route via eth0' }] };

test('collision: a free subnet on a host without the bridge has no problem', () => {
  assert.deepEqual(subnetProblems('tsm0', '10.213.0.0/24', free), []);
});

test('collision: a route or address overlapping the subnet is refused, naming it', () => {
  const host: HostNetworks = { others: [{ subnet: '10.0.0.0/8', what: 'route via wg0' }, { subnet: '10.213.0.5/32', what: 'address of eth1' }] };
  const problems = subnetProblems('tsm0', '10.213.0.0/24', host);
  assert.equal(problems.length, 2);
  assert.ok(problems.every((p) => p.field === '--local-subnet' && p.suggestion));
  assert.match(problems[0].message, /10\.0\.0\.0\/8 \(route via wg0\)/);
});

test('collision: an existing bridge must carry exactly the gateway address', () => {
  assert.deepEqual(subnetProblems('tsm0', '10.213.0.0/24', { ...free, bridge: { kind: 'bridge', addrs: ['10.213.0.1/24'] } }), []);
  const other = subnetProblems('tsm0', '10.213.0.0/24', { ...free, bridge: { kind: 'bridge', addrs: ['10.99.0.1/24'] } });
  assert.deepEqual(other.map((p) => p.field), ['--local-subnet']);
  assert.match(other[0].message, /already exists with 10\.99\.0\.1\/24/);
  const notBridge = subnetProblems('eth0', '10.213.0.0/24', { ...free, bridge: { kind: 'veth', addrs: [] } });
  assert.deepEqual(notBridge.map((p) => p.field), ['--local-bridge']);
});

test('NAT rules are per machine: accept ahead of the bridge DROP, return traffic, masquerade', () => {
  const rules = natRules('tsm0', '10.213.0.7');
  assert.deepEqual(rules.map(([t, c]) => `${t}/${c}`), ['filter/FORWARD', 'filter/FORWARD', 'nat/POSTROUTING']);
  for (const [, , rule] of rules) assert.ok(rule.join(' ').includes('10.213.0.7/32'));
});

test('a machine\'s MAC is derived from its IP: locally administered, unicast, one per address', () => {
  assert.equal(machineMac('10.213.0.3'), '02:74:0a:d5:00:03');
  assert.equal(machineMac('192.168.255.254'), '02:74:c0:a8:ff:fe');
  assert.notEqual(machineMac('10.213.0.3'), machineMac('10.213.0.4'));
});
