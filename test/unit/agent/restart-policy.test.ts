import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDecision, startOnBoot, type RestartInput } from '../../../src/agent/containers/restart-policy';

const base: RestartInput = { policy: { Name: 'always' }, exitCode: 0, manuallyStopped: false, restartCount: 0, ranMs: 50, previousDelayMs: 0 };

test('always and unless-stopped restart unless stopped by hand', () => {
  assert.deepEqual(restartDecision(base), { restart: true, delayMs: 100 });
  assert.equal(restartDecision({ ...base, policy: { Name: 'unless-stopped' }, exitCode: 3 }).restart, true);
  assert.equal(restartDecision({ ...base, manuallyStopped: true }).restart, false);
  assert.equal(restartDecision({ ...base, policy: { Name: 'no' } }).restart, false);
  assert.equal(restartDecision({ ...base, policy: undefined }).restart, false);
});

test('on-failure: only non-zero exits, up to the retry count', () => {
  const p = { Name: 'on-failure', MaximumRetryCount: 2 };
  assert.equal(restartDecision({ ...base, policy: p, exitCode: 0 }).restart, false);
  assert.equal(restartDecision({ ...base, policy: p, exitCode: 1, restartCount: 1 }).restart, true);
  assert.equal(restartDecision({ ...base, policy: p, exitCode: 1, restartCount: 2 }).restart, false);
  assert.equal(restartDecision({ ...base, policy: { Name: 'on-failure' }, exitCode: 1, restartCount: 99 }).restart, true, '0 means no limit');
});

test('backoff doubles up to a minute and resets after a long run', () => {
  assert.equal(restartDecision({ ...base, previousDelayMs: 100 }).delayMs, 200);
  assert.equal(restartDecision({ ...base, previousDelayMs: 40_000 }).delayMs, 60_000);
  assert.equal(restartDecision({ ...base, previousDelayMs: 40_000, ranMs: 10_000 }).delayMs, 100);
});

test('which containers start with the agent', () => {
  assert.equal(startOnBoot({ Name: 'always' }, false), true);
  assert.equal(startOnBoot({ Name: 'unless-stopped' }, true), false);
  assert.equal(startOnBoot({ Name: 'on-failure' }, false), false);
  assert.equal(startOnBoot(undefined, false), false);
});
