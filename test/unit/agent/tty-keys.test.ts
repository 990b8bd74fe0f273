import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDetachKeys, DetachScanner, DetachKeysError } from '../../../src/agent/tty/detach-keys';
import { parseWindowSize } from '../../../src/agent/tty/window-size';

test('parseDetachKeys: docker syntax, default when empty', () => {
  assert.deepEqual(parseDetachKeys(''), [0x10, 0x11]);
  assert.deepEqual(parseDetachKeys(undefined), [0x10, 0x11]);
  assert.deepEqual(parseDetachKeys('ctrl-a,d'), [1, 0x64]);
  assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_'), [0, 27, 28, 29, 30, 31]);
  assert.deepEqual(parseDetachKeys('x'), [0x78]);
  assert.deepEqual(parseDetachKeys('CTRL-Z'), [26]);
});

test('parseDetachKeys: bad keys name the key and the syntax', () => {
  for (const bad of ['ctrl-1', 'ctrl-ab', 'abc', 'ctrl-p,,ctrl-q', 'é']) {
    assert.throws(() => parseDetachKeys(bad), (e: unknown) => e instanceof DetachKeysError && e.code === 'DETACH_KEYS_INVALID' && /ctrl-p,ctrl-q/.test(e.message), bad);
  }
});

test('DetachScanner passes input through and stops at the sequence', () => {
  const s = new DetachScanner([0x10, 0x11]);
  assert.equal(s.push(Buffer.from('ls\r')).toString(), 'ls\r');
  assert.equal(s.detached, false);
  assert.equal(s.push(Buffer.from('a\x10')).toString(), 'a');
  assert.equal(s.push(Buffer.from('\x11rest')).toString(), '');
  assert.equal(s.detached, true);
  assert.equal(s.push(Buffer.from('more')).length, 0);
});

test('DetachScanner gives back a held prefix when the sequence breaks', () => {
  const s = new DetachScanner([0x10, 0x11]);
  assert.equal(s.push(Buffer.from('\x10')).toString(), '');
  assert.equal(s.push(Buffer.from('x')).toString(), '\x10x');
  assert.equal(s.push(Buffer.from('\x10\x10\x11')).toString(), '\x10');
  assert.equal(s.detached, true);
  const t = new DetachScanner([0x10, 0x11]);
  t.push(Buffer.from('ab\x10'));
  assert.equal(t.flush().toString(), '\x10');
  const one = new DetachScanner([0x78]);
  assert.equal(one.push(Buffer.from('abxc')).toString(), 'ab');
  assert.equal(one.detached, true);
  const none = new DetachScanner([]);
  assert.equal(none.push(Buffer.from('\x10\x11')).toString(), '\x10\x11');
});

test('parseWindowSize: both values, integers 0..1000', () => {
  assert.deepEqual(parseWindowSize(24, 80), { height: 24, width: 80 });
  assert.match(parseWindowSize(undefined, 80) as string, /h is missing/);
  assert.match(parseWindowSize(24, 1001) as string, /w=1001 is out of range/);
  assert.match(parseWindowSize(-1, 10) as string, /h=-1/);
});
