/** Bad input gets a clear error with a remedy, a non-zero exit, and changes nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsm } from '../helpers/cli';

const store = mkdtempSync(join(tmpdir(), 'tsm-bad-'));
test.after(() => rmSync(store, { recursive: true, force: true }));

const machines = () => (existsSync(join(store, 'machines')) ? readdirSync(join(store, 'machines')) : []);

test('a bad machine name is refused before anything is created', async () => {
  const r = await tsm(store, ['create', '-d', 'generic', '--generic-ip-address', '127.0.0.1', '-bad_name']);
  assert.notEqual(r.code, 0);
  const r2 = await tsm(store, ['create', 'bad_name!']);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /"bad_name!" is not a valid machine name/);
  assert.match(r2.stderr, /letters, digits/);
  assert.deepEqual(machines(), []);
});

test('an unknown driver names the valid ones', async () => {
  const r = await tsm(store, ['create', '-d', 'nosuch', 'x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /driver "nosuch" does not exist/);
  assert.match(r.stderr, /local/);
  assert.deepEqual(machines(), []);
});

test('an unknown flag is refused', async () => {
  const r = await tsm(store, ['create', '--no-such-flag', 'x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no-such-flag/);
  assert.deepEqual(machines(), []);
});

test('every driver flag problem is reported at once', async () => {
  const r = await tsm(store, ['create', '-d', 'generic', '--generic-ssh-port', '0', '--generic-engine-port', 'abc', 'g1']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--generic-ip-address: is required/);
  assert.match(r.stderr, /--generic-ssh-port/);
  assert.match(r.stderr, /--generic-engine-port/);
  assert.deepEqual(machines(), []);
});

test('a machine that does not exist is named, with a remedy', async () => {
  for (const cmd of [['status', 'ghost'], ['ip', 'ghost'], ['env', 'ghost'], ['stop', 'ghost'], ['rm', '-y', 'ghost']]) {
    const r = await tsm(store, cmd);
    assert.notEqual(r.code, 0, cmd.join(' '));
    assert.match(r.stderr, /ghost/, cmd.join(' '));
    assert.match(r.stderr, /tsmachine ls/, cmd.join(' '));
  }
});

test('a command without a name uses the machine called default', async () => {
  const r = await tsm(store, ['status']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /"default"/);
});

test('flags of another driver are refused', async () => {
  const r = await tsm(store, ['create', '-d', 'local', '--generic-ip-address', '1.2.3.4', 'x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--generic-ip-address/);
  assert.deepEqual(machines(), []);
});
