import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definition } from '../../../src/drivers/local';
import { localFlags } from '../../../src/drivers/local/flags';
import { namesFor } from '../../../src/drivers/local/config';

const fields = (values: Record<string, unknown>) => definition.configFromFlags(values as never).problems.map((p) => p.field);

test('defaults: bridge tsm0, subnet 10.213.0.0/24, no NAT, no limits', () => {
  const { config, problems } = definition.configFromFlags({});
  assert.deepEqual(problems, []);
  assert.deepEqual(config, { bridge: 'tsm0', subnet: '10.213.0.0/24', nat: false, resources: {} });
});

test('every flag is --local-* with a TSMACHINE_LOCAL_* variable', () => {
  assert.deepEqual(localFlags.map((f) => f.name).sort(), ['local-bridge', 'local-cpus', 'local-memory', 'local-nat', 'local-subnet']);
  for (const f of localFlags) assert.equal(f.env, `TSMACHINE_${f.name.toUpperCase().replace(/-/g, '_')}`);
});

test('valid values are kept, canonical', () => {
  const { config, problems } = definition.configFromFlags({ 'local-bridge': 'br-test.1', 'local-subnet': '10.50.0.0/16', 'local-nat': 'true', 'local-memory': 512, 'local-cpus': '1.5' });
  assert.deepEqual(problems, []);
  assert.deepEqual(config, { bridge: 'br-test.1', subnet: '10.50.0.0/16', nat: true, memoryMb: 512, cpus: 1.5, resources: {} });
});

test('every bad flag is reported at once, each naming its flag', () => {
  const problems = definition.configFromFlags({ 'local-bridge': 'a-name-that-is-too-long', 'local-subnet': '10.0.0.5/24', 'local-nat': 'maybe', 'local-memory': 10, 'local-cpus': '-1' }).problems;
  assert.deepEqual(problems.map((p) => p.field).sort(), ['--local-bridge', '--local-cpus', '--local-memory', '--local-nat', '--local-subnet']);
  for (const p of problems) assert.ok(p.suggestion, `${p.field} has a suggestion`);
  assert.match(problems.find((p) => p.field === '--local-subnet')!.message, /host bits set .*10\.0\.0\.0\/24/);
});

test('bridge names: interface name rules', () => {
  assert.deepEqual(fields({ 'local-bridge': 'tsm0' }), []);
  assert.deepEqual(fields({ 'local-bridge': 'has space' }), ['--local-bridge']);
  assert.deepEqual(fields({ 'local-bridge': 'a/b' }), ['--local-bridge']);
  assert.deepEqual(fields({ 'local-bridge': '123456789012345' }), []);
  assert.deepEqual(fields({ 'local-bridge': '1234567890123456' }), ['--local-bridge']);
});

test('subnets: IPv4 CIDR with a prefix from /8 to /29', () => {
  for (const ok of ['10.213.0.0/24', '192.168.77.0/29', '10.0.0.0/8']) assert.deepEqual(fields({ 'local-subnet': ok }), [], ok);
  for (const bad of ['10.213.0.0/30', '10.0.0.0/7', '10.213.0.256/24', 'fd00::/64', 'tsm0', '10.213.0/24', '10.213.0.0/', '010.1.0.0/24']) {
    assert.deepEqual(fields({ 'local-subnet': bad }), ['--local-subnet'], bad);
  }
});

test('memory and cpus: positive numbers in range; empty means unlimited', () => {
  assert.deepEqual(fields({ 'local-memory': 64, 'local-cpus': '0.25' }), []);
  assert.deepEqual(fields({ 'local-memory': '', 'local-cpus': '' }), []);
  assert.deepEqual(fields({ 'local-memory': 63 }), ['--local-memory']);
  assert.deepEqual(fields({ 'local-memory': '1.5' }), ['--local-memory']);
  assert.deepEqual(fields({ 'local-cpus': '0' }), ['--local-cpus']);
  assert.deepEqual(fields({ 'local-cpus': 'two' }), ['--local-cpus']);
  assert.deepEqual(fields({ 'local-cpus': '1e3' }), ['--local-cpus']);
});

test('names derived from the id fit the 15-byte interface limit', () => {
  const n = namesFor('0123456789');
  assert.deepEqual(n, { netns: 'tsm-0123456789', veth: 'tsmh0123456789', cgroup: 'tsmachine/0123456789' });
  assert.ok(n.veth.length <= 15);
});
