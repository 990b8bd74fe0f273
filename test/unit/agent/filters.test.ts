import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters, containerMatches, validateFilterKeys, CONTAINER_FILTERS } from '../../../src/agent/containers/filters';
import { initialState, type ContainerRecord } from '../../../src/agent/containers/types';
import { ApiError } from '../../../src/agent/http/api-error';

function rec(over: Partial<ContainerRecord> & { labels?: Record<string, string>; status?: 'running' | 'exited' | 'created'; code?: number }): ContainerRecord {
  const state = { ...initialState(), Status: over.status ?? 'created', Running: over.status === 'running', ExitCode: over.code ?? 0 };
  return {
    Id: over.Id ?? 'abc123'.padEnd(64, '0'), Name: over.Name ?? '/web', Created: '2026-01-01T00:00:00Z', Path: 'sh', Args: [],
    Config: { Labels: over.labels ?? {}, Image: 'bb' }, HostConfig: {}, Image: 'sha256:img', Layers: [], State: state, RestartCount: 0, Runtime: { runs: 0 },
  };
}

const none = () => false;

test('parses both label filter shapes', () => {
  assert.deepEqual(parseFilters('{"label":{"a=b":true,"c":true,"off":false}}').get('label'), ['a=b', 'c']);
  assert.deepEqual(parseFilters('{"label":["a=b","c"]}').get('label'), ['a=b', 'c']);
  assert.equal(parseFilters(null).size, 0);
  assert.throws(() => parseFilters('{nope'), ApiError);
  assert.throws(() => parseFilters('["x"]'), ApiError);
  assert.throws(() => validateFilterKeys(parseFilters('{"bogus":["1"]}'), CONTAINER_FILTERS), /invalid filter 'bogus'/);
});

test('label filters: key, key=value, all must match', () => {
  const c = rec({ labels: { 'com.docker.compose.project': 'app', tier: 'web' } });
  assert.ok(containerMatches(c, parseFilters('{"label":{"com.docker.compose.project=app":true}}'), none));
  assert.ok(containerMatches(c, parseFilters('{"label":["tier"]}'), none));
  assert.ok(!containerMatches(c, parseFilters('{"label":["tier=db"]}'), none));
  assert.ok(!containerMatches(c, parseFilters('{"label":["tier=web","missing"]}'), none));
});

test('status, name, id, exited, ancestor', () => {
  const running = rec({ status: 'running', Name: '/api-1' });
  const exited = rec({ status: 'exited', code: 3, Id: 'def'.padEnd(64, '1') });
  assert.ok(containerMatches(running, parseFilters('{"status":["running"]}'), none));
  assert.ok(!containerMatches(exited, parseFilters('{"status":["running"]}'), none));
  assert.ok(containerMatches(exited, parseFilters('{"status":["running","exited"]}'), none));
  assert.throws(() => containerMatches(exited, parseFilters('{"status":["sleeping"]}'), none), /invalid filter/);
  assert.ok(containerMatches(running, parseFilters('{"name":["api"]}'), none));
  assert.ok(containerMatches(running, parseFilters('{"name":["^/api-1$"]}'), none));
  assert.ok(!containerMatches(running, parseFilters('{"name":["web"]}'), none));
  assert.ok(containerMatches(exited, parseFilters('{"id":["def"]}'), none));
  assert.ok(containerMatches(exited, parseFilters('{"exited":["3"]}'), none));
  assert.ok(!containerMatches(exited, parseFilters('{"exited":["0"]}'), none));
  assert.ok(containerMatches(exited, parseFilters('{"ancestor":["bb"]}'), (r) => r === 'bb'));
});
