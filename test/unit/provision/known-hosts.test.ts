import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostExec } from '../../../src/core/exec';
import {
  addKnownHost,
  algorithmsForKeyType,
  findHostKeys,
  fingerprint,
  formatKnownHostsLine,
  hostKeyFromBlob,
  knownHostsName,
  readKnownHosts,
} from '../../../src/provision/known-hosts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsm-kh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A real ed25519 public key from ssh-keygen: [type, base64]. */
async function realKey(dir: string, name: string): Promise<{ type: string; base64: string; line: string }> {
  await hostExec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  const line = (await readFile(join(dir, `${name}.pub`), 'utf8')).trim();
  const [type, base64] = line.split(' ');
  return { type, base64, line };
}

test('knownHostsName follows OpenSSH: bare host on 22, [host]:port otherwise', () => {
  assert.equal(knownHostsName('10.0.0.2', 22), '10.0.0.2');
  assert.equal(knownHostsName('10.0.0.2', 2222), '[10.0.0.2]:2222');
});

test('hostKeyFromBlob reads the algorithm; fingerprint equals ssh-keygen -l', async (t) => {
  const dir = await tempDir(t);
  const k = await realKey(dir, 'k1');
  const parsed = hostKeyFromBlob(Buffer.from(k.base64, 'base64'));
  assert.deepEqual(parsed, { type: 'ssh-ed25519', base64: k.base64 });
  const { stdout } = await hostExec('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k1.pub')]);
  assert.equal(fingerprint(parsed), stdout.split(' ')[1]);
  assert.throws(() => hostKeyFromBlob(Buffer.from([0, 0, 0, 9, 1])), /malformed/);
});

test('findHostKeys matches by port, patterns, negation and ignores markers/comments', () => {
  const text = [
    '# comment',
    '[127.0.0.1]:2222 ssh-ed25519 AAAA1',
    '127.0.0.1 ssh-ed25519 AAAA22',
    'host.example,10.1.2.3 ssh-rsa AAAArsa',
    '*.lab,!bad.lab ecdsa-sha2-nistp256 AAAAlab',
    '@revoked [127.0.0.1]:2222 ssh-ed25519 AAAArevoked',
    'garbage',
  ].join('\n');
  assert.deepEqual(findHostKeys(text, '127.0.0.1', 2222), [{ type: 'ssh-ed25519', base64: 'AAAA1' }]);
  assert.deepEqual(findHostKeys(text, '127.0.0.1', 22), [{ type: 'ssh-ed25519', base64: 'AAAA22' }]);
  assert.deepEqual(findHostKeys(text, '10.1.2.3', 22).map((k) => k.base64), ['AAAArsa']);
  assert.deepEqual(findHostKeys(text, 'a.lab', 22).map((k) => k.base64), ['AAAAlab']);
  assert.deepEqual(findHostKeys(text, 'bad.lab', 22), []);
  assert.deepEqual(findHostKeys(text, '127.0.0.1', 2223), []);
});

test('findHostKeys reads entries hashed by ssh-keygen -H', async (t) => {
  const dir = await tempDir(t);
  const k = await realKey(dir, 'k2');
  const file = join(dir, 'known_hosts');
  await writeFile(file, `${formatKnownHostsLine('192.168.7.9', 2200, k)}\n`);
  await hostExec('ssh-keygen', ['-H', '-f', file]);
  const text = await readFile(file, 'utf8');
  assert.match(text, /^\|1\|/, 'ssh-keygen hashed the entry');
  assert.deepEqual(findHostKeys(text, '192.168.7.9', 2200), [{ type: 'ssh-ed25519', base64: k.base64 }]);
  assert.deepEqual(findHostKeys(text, '192.168.7.9', 22), []);
});

test('addKnownHost creates a 0600 file, appends, and ssh-keygen -F finds the entries', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'sub', 'known_hosts');
  assert.equal(await readKnownHosts(file), '');
  const a = await realKey(dir, 'a');
  const b = await realKey(dir, 'b');
  await addKnownHost(file, '127.0.0.1', 2222, a);
  await writeFile(file, (await readFile(file, 'utf8')).trimEnd()); // no trailing newline
  await addKnownHost(file, '10.0.0.5', 22, b);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(await readFile(file, 'utf8'), `[127.0.0.1]:2222 ssh-ed25519 ${a.base64}\n10.0.0.5 ssh-ed25519 ${b.base64}\n`);
  const found = await hostExec('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file]);
  assert.match(found.stdout, new RegExp(a.base64.replace(/[+/]/g, '\\$&')));
});

test('algorithmsForKeyType allows the RSA SHA-2 signatures for an ssh-rsa key', () => {
  assert.deepEqual(algorithmsForKeyType('ssh-rsa'), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.deepEqual(algorithmsForKeyType('ssh-ed25519'), ['ssh-ed25519']);
});
