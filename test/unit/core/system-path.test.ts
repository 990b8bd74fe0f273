import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSystemDirs, SYSTEM_DIRS } from '../../../src/core/system-path';

test('withSystemDirs appends the missing system folders after the caller\'s own', () => {
  assert.equal(withSystemDirs('/usr/bin:/bin'), '/usr/bin:/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin');
  assert.equal(withSystemDirs('/opt/x/bin'), ['/opt/x/bin', ...SYSTEM_DIRS].join(':'));
  assert.equal(withSystemDirs(undefined), SYSTEM_DIRS.join(':'));
  const full = SYSTEM_DIRS.join(':');
  assert.equal(withSystemDirs(full), full, 'nothing added twice');
  assert.equal(withSystemDirs('::/usr/sbin:'), ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/sbin', '/bin'].join(':'));
});
