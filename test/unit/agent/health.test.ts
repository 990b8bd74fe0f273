import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyResult, healthSuffix, initialHealth, mergeHealthcheck, probeOf, validateHealthcheck, type HealthLogEntry } from '../../../src/agent/health/healthcheck';

const entry = (code: number, out = ''): HealthLogEntry => ({ Start: 's', End: 'e', ExitCode: code, Output: out });

test('probe results: failures count up to Retries, success resets, start period spares a starting container', () => {
  let s = initialHealth();
  s = applyResult(s, entry(1), 3, true);
  assert.deepEqual([s.Status, s.FailingStreak], ['starting', 0], 'not counted in the start period');
  s = applyResult(s, entry(1), 3, false);
  s = applyResult(s, entry(1), 3, false);
  assert.deepEqual([s.Status, s.FailingStreak], ['starting', 2]);
  s = applyResult(s, entry(1), 3, false);
  assert.deepEqual([s.Status, s.FailingStreak], ['unhealthy', 3]);
  s = applyResult(s, entry(0, 'ok'), 3, false);
  assert.deepEqual([s.Status, s.FailingStreak], ['healthy', 0]);
  assert.equal(s.Log.length, 5, 'last 5 kept');
  s = applyResult(s, entry(1), 3, true);
  assert.deepEqual([s.Status, s.FailingStreak], ['healthy', 1], 'the start period only spares a starting container');
  assert.equal(applyResult(s, entry(0, 'x'.repeat(10_000)), 3, false).Log.at(-1)!.Output.length, 4096);
  assert.equal(healthSuffix(initialHealth()), ' (health: starting)');
  assert.equal(healthSuffix(s), ' (healthy)');
  assert.equal(healthSuffix(undefined), '');
});

test('probe forms, defaults, NONE', () => {
  assert.deepEqual(probeOf({ Test: ['CMD-SHELL', 'curl -f x'] }), { argv: ['/bin/sh', '-c', 'curl -f x'], intervalMs: 30000, timeoutMs: 30000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3 });
  assert.deepEqual(probeOf({ Test: ['CMD', 'true'], Interval: 2e9, Retries: 1 })!.argv, ['true']);
  assert.equal(probeOf({ Test: ['NONE'] }), undefined);
  assert.equal(probeOf(undefined), undefined);
});

test('merge with the image healthcheck and dockerd\'s checks', () => {
  const image = { Test: ['CMD', 'check'], Interval: 5e9, Retries: 4 };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image)!.Test, ['NONE']);
  const m = mergeHealthcheck({ Retries: 9 }, image)!;
  assert.deepEqual([m.Test, m.Interval, m.Retries], [['CMD', 'check'], 5e9, 9]);
  assert.throws(() => validateHealthcheck({ Test: ['CMD'] }), /CMD needs a command/);
  assert.throws(() => validateHealthcheck({ Test: ['BOGUS', 'x'] }), /must be NONE, CMD or CMD-SHELL/);
  assert.throws(() => validateHealthcheck({ Interval: 10 }), /Interval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Retries: -1 }), /Retries in Healthcheck cannot be negative/);
  validateHealthcheck({ Test: ['CMD-SHELL', 'true'], Interval: 1e6 });
});
