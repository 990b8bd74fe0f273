import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostExec } from '../../../src/core/exec';
import { octalMode, shJoin, shQuote, sudoWrap } from '../../../src/provision/shell-quote';

test('shQuote leaves safe words bare and quotes the rest so sh reads them back verbatim', async () => {
  assert.equal(shQuote('/etc/tsagent/ca.pem'), '/etc/tsagent/ca.pem');
  assert.equal(shQuote(''), "''");
  const nasty = ['it\'s', 'a b', '$(reboot)', '`id`', 'x"y', 'new\nline', '*', 'semi;colon', '\\'];
  const r = await hostExec('sh', ['-c', `printf '%s\\0' ${shJoin(nasty)}`]);
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), nasty);
});

test('sudoWrap runs the command through sudo -n sh -c, one quoted word', async () => {
  const cmd = "echo 'a b' | tr a-z A-Z > /tmp/x";
  const wrapped = sudoWrap(cmd);
  assert.match(wrapped, /^sudo -n -- sh -c '/);
  // Replace sudo by a program that prints its argv to check the quoting round-trips.
  const r = await hostExec('sh', ['-c', `sudo() { printf '%s\\n' "$@"; }; ${wrapped}`]);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), ['-n', '--', 'sh', '-c', cmd]);
});

test('octalMode renders chmod modes and rejects nonsense', () => {
  assert.equal(octalMode(0o600), '0600');
  assert.equal(octalMode(0o755), '0755');
  assert.equal(octalMode(0), '0000');
  assert.throws(() => octalMode(-1), RangeError);
  assert.throws(() => octalMode(1.5), RangeError);
});
