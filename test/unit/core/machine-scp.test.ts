import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCopyArg } from '../../../src/core/machine-scp';

test('parseCopyArg: machine:path, local paths, and paths with colons after a slash', () => {
  assert.deepEqual(parseCopyArg('dev:/etc/hosts'), { machine: 'dev', path: '/etc/hosts' });
  assert.deepEqual(parseCopyArg('dev:rel/x'), { machine: 'dev', path: 'rel/x' });
  assert.deepEqual(parseCopyArg('dev:'), { machine: 'dev', path: '.' });
  assert.deepEqual(parseCopyArg('./a:b'), { path: './a:b' });
  assert.deepEqual(parseCopyArg('/tmp/x'), { path: '/tmp/x' });
});
