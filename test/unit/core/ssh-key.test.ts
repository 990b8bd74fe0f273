// The machine's SSH key: OpenSSH must load every key we write. ssh2's own generator dropped a
// leading zero byte of the key (about one key in 256), which `ssh` refused with "error in
// libcrypto" and failed a local create in CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { generateEd25519Key, generateMachineKey } from '../../../src/core/ssh-key';

/** The raw 32-byte public key of an authorized_keys line. */
const rawPublic = (line: string) => Buffer.from(line.split(' ')[1], 'base64').subarray(-32);

test('ed25519 keys load in OpenSSH (ssh-keygen -y gives the same public key) and in ssh2, also with leading zero bytes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-sshkey-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'k');
  const keys = [];
  // Keys whose public half starts with a zero byte are the ones a careless encoder breaks.
  for (let i = 0; keys.filter((k) => rawPublic(k.public)[0] === 0).length < 2 && i < 5000; i++) keys.push(generateEd25519Key(`c${i}`));
  const zero = keys.filter((k) => rawPublic(k.public)[0] === 0);
  assert.equal(zero.length, 2, 'found keys with a leading zero byte');
  for (const k of [...keys.slice(0, 20), ...zero]) {
    writeFileSync(file, k.private, { mode: 0o600 });
    const r = spawnSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split(' ').slice(0, 2).join(' '), k.public.split(' ').slice(0, 2).join(' '));
    const parsed = utils.parseKey(k.private);
    assert.ok(!(parsed instanceof Error), String(parsed));
    assert.deepEqual((parsed as { getPublicSSH(): Buffer }).getPublicSSH(), Buffer.from(k.public.split(' ')[1], 'base64'));
    const sig = (parsed as { sign(d: Buffer): Buffer }).sign(Buffer.from('data'));
    assert.equal(sig.length, 64);
  }
  assert.match(zero[0].public, / c\d+$/, 'the comment ends the public line');
});

test('generateMachineKey writes id_ed25519 and id_ed25519.pub, both 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-sshkey-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pub = await generateMachineKey(dir, 'docker@host1');
  assert.equal(readFileSync(join(dir, 'id_ed25519.pub'), 'utf8'), `${pub}\n`);
  assert.equal(statSync(join(dir, 'id_ed25519')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'id_ed25519.pub')).mode & 0o777, 0o600);
  const r = spawnSync('ssh-keygen', ['-l', '-f', join(dir, 'id_ed25519')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^256 SHA256:\S+ docker@host1 \(ED25519\)/);
});
