import { test } from 'node:test';
import assert from 'node:assert/strict';
import { macForIpv4, MAC_TAG } from '../../../src/core/mac';

test('macForIpv4: locally administered unicast, the tag, then the address bytes', () => {
  assert.equal(macForIpv4(MAC_TAG.bridge, '172.18.0.1'), '02:62:ac:12:00:01');
  assert.equal(macForIpv4(MAC_TAG.machine, '10.213.0.3'), '02:74:0a:d5:00:03');
  assert.notEqual(macForIpv4(MAC_TAG.bridge, '10.213.0.1'), macForIpv4(MAC_TAG.machine, '10.213.0.1'));
  const first = parseInt(macForIpv4(MAC_TAG.bridge, '255.255.255.255').slice(0, 2), 16);
  assert.equal(first & 0b11, 0b10, 'locally administered, not multicast');
});

test('macForIpv4 refuses what is not an IPv4 address', () => {
  for (const bad of ['10.0.0', '10.0.0.256', 'a.b.c.d', '', '1.2.3.4.5']) assert.throws(() => macForIpv4(MAC_TAG.bridge, bad), /not an IPv4 address/);
});
