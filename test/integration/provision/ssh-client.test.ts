/**
 * SshClient against a real OpenSSH sshd on loopback, run in a throwaway root (sandbox) so
 * nothing a test writes outlives it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { hostExec } from '../../../src/core/exec';
import { isTsmError } from '../../../src/core/errors';
import { SshClient, waitForSsh } from '../../../src/provision/ssh-client';
import { detectOs } from '../../../src/provision/os-release';
import { detectInitSystem } from '../../../src/provision/init-system';
import { fingerprint } from '../../../src/provision/known-hosts';
import { startSshd, type Sshd } from '../../helpers/sshd';

let sshd: Sshd;
let ssh: SshClient;
let knownHosts: string;

before(async () => {
  sshd = await startSshd({ sandbox: true });
  knownHosts = join(sshd.dir, 'client', 'known_hosts');
  ssh = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: knownHosts });
});
after(async () => {
  ssh?.close();
  await sshd?.stop();
});

/** SSH wire encodings, to build key files by hand. */
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const str = (d: Buffer | string) => { const b = Buffer.from(d); return Buffer.concat([u32(b.length), b]); };

/** Runs the OpenSSH client with only the given known_hosts file; resolves with its exit code. */
async function opensshTrue(file: string): Promise<{ code: number; stderr: string }> {
  const r = await hostExec('ssh', [
    '-F', '/dev/null', '-o', `UserKnownHostsFile=${file}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
    '-i', sshd.clientKeyPath, '-p', String(sshd.port), 'root@127.0.0.1', 'true',
  ], { allowFailure: true });
  return { code: r.code, stderr: r.stderr };
}

test('first contact pins the host key in OpenSSH known_hosts format (0600)', async () => {
  const [type, base64] = (await sshd.hostPublicKey()).split(' ');
  assert.equal(await readFile(knownHosts, 'utf8'), `[127.0.0.1]:${sshd.port} ${type} ${base64}\n`);
  assert.equal((await stat(knownHosts)).mode & 0o777, 0o600);
});

test('OpenSSH ssh with StrictHostKeyChecking=yes accepts the file we wrote (and rejects an empty one)', async () => {
  const ok = await opensshTrue(knownHosts);
  assert.equal(ok.code, 0, ok.stderr);
  const empty = join(sshd.dir, 'empty_known_hosts');
  await writeFile(empty, '');
  assert.equal((await opensshTrue(empty)).code, 255, 'the check is real: an unknown key is refused');
});

test('a second connect verifies the pinned key and leaves the file unchanged', async () => {
  const before = await readFile(knownHosts, 'utf8');
  const again = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: knownHosts });
  assert.equal((await again.exec('echo ok')).stdout, 'ok\n');
  again.close();
  assert.equal(await readFile(knownHosts, 'utf8'), before);
});

test('exec returns exit codes, stdout, stderr, feeds input, and reports signals as 128+n', async () => {
  assert.deepEqual(await ssh.exec('echo out; echo err >&2; exit 7'), { code: 7, stdout: 'out\n', stderr: 'err\n' });
  assert.deepEqual(await ssh.exec('tr a-z A-Z', { input: 'hello' }), { code: 0, stdout: 'HELLO', stderr: '' });
  assert.equal((await ssh.exec('cat')).code, 0, 'stdin is closed when there is no input');
  const killed = await ssh.exec('kill -TERM $$');
  assert.equal(killed.code, 128 + 15);
});

test('run throws PROVISION_FAILED with the command, exit code and the stderr tail', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `line${i}`).join(' ');
  await assert.rejects(ssh.run(`for l in ${lines}; do echo $l >&2; done; exit 3`), (e) => {
    assert.ok(isTsmError(e, 'PROVISION_FAILED'));
    assert.match(e.message, /root@127\.0\.0\.1:\d+ \(exit code 3\): for l in line0/);
    assert.match(e.message, /line39$/);
    assert.doesNotMatch(e.message, /\nline0\n/, 'only the tail');
    assert.ok(e.suggestion);
    return true;
  });
  await assert.rejects(ssh.run('exit 1', { label: 'write the secret' }), /exit code 1\): write the secret/);
});

test('putFile writes content with the mode, binary-safe, via a temp file renamed over the target', async () => {
  const dir = (await ssh.run('mktemp -d /var/tmp/tsm-put-XXXXXX')).stdout.trim();
  const secret = `${dir}/sub/key.pem`;
  await ssh.putFile(secret, 'PRIVATE\n', { mode: 0o600, mkdir: true });
  assert.equal((await ssh.run(`stat -c '%a %U %s' ${secret}`)).stdout, '600 root 8\n');
  assert.equal((await ssh.getFile(secret)).toString(), 'PRIVATE\n');
  const bin = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7) % 256));
  await ssh.putFile(`${dir}/bin`, bin, { mode: 0o755 });
  assert.ok((await ssh.getFile(`${dir}/bin`)).equals(bin));
  assert.equal((await ssh.run(`stat -c %a ${dir}/bin`)).stdout, '755\n');
  await ssh.putFile(`${dir}/ro`, 'r', { mode: 0o444 });
  assert.equal((await ssh.run(`stat -c %a ${dir}/ro`)).stdout, '444\n');
  assert.equal((await ssh.run(`ls -A ${dir} ${dir}/sub | grep -c '[.]tsm-' || true`)).stdout.trim(), '0', 'no temp files left');
  await assert.rejects(ssh.putFile(`${dir}/missing/x`, 'x', { mode: 0o600 }), (e) => isTsmError(e, 'PROVISION_FAILED') && /write .*missing\/x/.test(e.message));
  await assert.rejects(ssh.getFile(`${dir}/nope`), (e) => isTsmError(e, 'PROVISION_FAILED'));
});

test('putFile is atomic: a concurrent reader sees only the old or the new content, temp files 0600', async () => {
  const dir = (await ssh.run('mktemp -d /var/tmp/tsm-atomic-XXXXXX')).stdout.trim();
  const target = `${dir}/f`;
  const oldBody = Buffer.alloc(4 << 20, 'a');
  const newBody = Buffer.alloc(4 << 20, 'b');
  await ssh.putFile(target, oldBody, { mode: 0o600 });
  // Reader: hashes the target and records the modes of temp files until told to stop.
  const reader = ssh.exec(
    `while [ ! -e ${dir}/stop ]; do md5sum < ${target} | cut -d' ' -f1; for t in ${dir}/f.tsm-*; do m=$(stat -c %a "$t" 2>/dev/null) && echo "tmpmode=$m"; done; done`,
  );
  const second = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: knownHosts });
  try {
    for (let i = 0; i < 3; i++) await second.putFile(target, i % 2 === 0 ? newBody : oldBody, { mode: 0o600 });
    await second.putFile(target, newBody, { mode: 0o600 });
  } finally {
    await second.run(`touch ${dir}/stop`);
    second.close();
  }
  const out = (await reader).stdout.trim().split('\n');
  const md5 = async (b: Buffer) => (await hostExec('md5sum', [], { input: b })).stdout.split(' ')[0];
  const allowed = new Set([await md5(oldBody), await md5(newBody)]);
  const hashes = out.filter((l) => !l.startsWith('tmpmode='));
  assert.ok(hashes.length > 3, `the reader read ${hashes.length} times`);
  assert.deepEqual(hashes.filter((h) => !allowed.has(h)), [], 'never a partial file');
  const modes = out.filter((l) => l.startsWith('tmpmode='));
  assert.equal(new Set(hashes).size, 2, 'the reader saw both versions');
  assert.ok(modes.length > 0, 'the reader saw temp files while they were written');
  assert.deepEqual([...new Set(modes)].filter((m) => m !== 'tmpmode=600'), []);
});

test('shell: PTY with the asked size, window-change on resize, resolves with the exit code', async () => {
  const stdin = new PassThrough();
  const stdout = Object.assign(new PassThrough(), { columns: 100, rows: 30 });
  let seen = '';
  stdout.on('data', (d: Buffer) => (seen += d.toString()));
  const done = ssh.shell({ stdin, stdout, term: 'xterm', rows: 30, cols: 100 });
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 100 && !re.test(seen); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(seen, re);
  };
  stdin.write('echo "size=$(stty size) term=$TERM tty=$(tty)"\n');
  await waitFor(/size=30 100 term=xterm tty=\/dev\/pts\//);
  stdout.columns = 120;
  stdout.rows = 40;
  stdout.emit('resize');
  await new Promise((r) => setTimeout(r, 200));
  stdin.write('echo "size=$(stty size)"; exit 5\n');
  assert.equal(await done, 5);
  assert.match(seen, /size=40 120/);
});

test('execStream passes stdout/stderr through, feeds stdin, returns the exit code', async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: '', err: '' };
  stdout.on('data', (d: Buffer) => (chunks.out += d.toString()));
  stderr.on('data', (d: Buffer) => (chunks.err += d.toString()));
  const stdin = new PassThrough();
  const code = ssh.execStream('cat; echo E >&2; exit 4', { stdin, stdout, stderr });
  stdin.end('piped\n');
  assert.equal(await code, 4);
  assert.deepEqual(chunks, { out: 'piped\n', err: 'E\n' });
  assert.equal(stdout.writableEnded, false, 'local streams are not ended');
});

test('os-release and init detection on this Debian sandbox', async () => {
  const os = await detectOs(ssh);
  const local = await readFile('/etc/os-release', 'utf8');
  assert.equal(os.family, 'debian');
  assert.equal(os.id, 'debian');
  assert.equal(os.prettyName, /PRETTY_NAME="(.*)"/.exec(local)![1]);
  assert.equal(await detectInitSystem(ssh), 'none', 'no systemd running here');
});

test('connection errors are SSH_ERROR naming the endpoint, with what to check', async () => {
  await assert.rejects(SshClient.connect({ ...sshd.endpoint(), port: 1, knownHostsPath: knownHosts }), (e) => {
    assert.ok(isTsmError(e, 'SSH_ERROR'));
    assert.match(e.message, /root@127\.0\.0\.1:1 failed: connection refused/);
    return true;
  });
  await assert.rejects(SshClient.connect({ ...sshd.endpoint('nobody-here'), knownHostsPath: knownHosts }), (e) => {
    assert.ok(isTsmError(e, 'SSH_ERROR'));
    assert.match(e.message, /nobody-here@127\.0\.0\.1:\d+ failed: permission denied \(publickey\)/);
    assert.match(e.suggestion!, /authorized_keys/);
    return true;
  });
  await assert.rejects(SshClient.connect({ ...sshd.endpoint(), privateKeyPath: '/nonexistent/key' }), (e) => isTsmError(e, 'SSH_ERROR') && /\/nonexistent\/key/.test(e.message));
});

test('waitForSsh reports every reason on timeout and honours abort', async () => {
  const t0 = Date.now();
  await assert.rejects(waitForSsh({ ...sshd.endpoint(), port: 1, knownHostsPath: knownHosts }, { timeoutMs: 1500, intervalMs: 200 }), (e) => {
    assert.ok(isTsmError(e, 'TIMEOUT'));
    assert.match(e.message, /SSH on root@127\.0\.0\.1:1: .*connection refused/);
    // Every distinct failure is listed with its count, not only the last one.
    assert.match(e.message, /the attempts failed with:\n {2}([2-9]|\d{2,})× .*connection refused/);
    assert.ok(e.suggestion);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  await assert.rejects(waitForSsh({ ...sshd.endpoint(), port: 1 }, { timeoutMs: 60_000, signal: ac.signal }), (e) => isTsmError(e, 'ABORTED'));
});

test('a private key that cannot sign fails at once with SSH_KEY_INVALID, also in waitForSsh', async () => {
  // What ssh2's key generator wrote for about one key in 256: a 31-byte ed25519 key (its
  // leading zero byte dropped). OpenSSH and ssh2 refuse it; retrying can never help.
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), ...['none', 'none', ''].map(str), u32(1), str(Buffer.concat([str('ssh-ed25519'), str(Buffer.alloc(31, 7))])),
    str(Buffer.concat([u32(1), u32(1), str('ssh-ed25519'), str(Buffer.alloc(31, 7)), str(Buffer.alloc(63, 9)), str('c'), Buffer.from([1, 2, 3, 4])]))]);
  const broken = join(sshd.dir, 'client', 'broken_key');
  await writeFile(broken, `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
  const check = (e: unknown) => {
    assert.ok(isTsmError(e, 'SSH_KEY_INVALID'), String(e));
    assert.ok(e.message.includes(broken), e.message);
    assert.match(e.suggestion!, /ssh-keygen -t ed25519/);
    return true;
  };
  await assert.rejects(SshClient.connect({ ...sshd.endpoint(), privateKeyPath: broken, knownHostsPath: knownHosts }), check);
  const t0 = Date.now();
  await assert.rejects(waitForSsh({ ...sshd.endpoint(), privateKeyPath: broken, knownHostsPath: knownHosts }, { timeoutMs: 30_000 }), check);
  assert.ok(Date.now() - t0 < 5000, 'no retries with a broken key');
  await writeFile(broken, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtest only-a-public-key\n');
  await assert.rejects(SshClient.connect({ ...sshd.endpoint(), privateKeyPath: broken, knownHostsPath: knownHosts }), (e) => isTsmError(e, 'SSH_KEY_INVALID'));
});

test('waitForSsh connects once sshd comes up', async () => {
  ssh.close();
  await sshd.restart(); // fresh sandbox, same host key
  const client = await waitForSsh({ ...sshd.endpoint(), knownHostsPath: knownHosts }, { timeoutMs: 10_000 });
  assert.equal((await client.exec('echo up')).stdout, 'up\n');
  ssh = client;
});

test('a new host key fails with SSH_HOST_KEY_MISMATCH naming host and fingerprints; waitForSsh fails at once', async () => {
  const [type, oldB64] = (await readFile(knownHosts, 'utf8')).trim().split(' ').slice(1);
  ssh.close();
  await sshd.regenerateHostKey();
  await sshd.restart();
  const [, newB64] = (await sshd.hostPublicKey()).split(' ');
  const check = (e: unknown) => {
    assert.ok(isTsmError(e, 'SSH_HOST_KEY_MISMATCH'), String(e));
    assert.ok(e.message.includes(`[127.0.0.1]:${sshd.port}`));
    assert.ok(e.message.includes(fingerprint({ type, base64: oldB64 })), e.message);
    assert.ok(e.message.includes(fingerprint({ type, base64: newB64 })), e.message);
    assert.ok(e.suggestion!.includes(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f '${knownHosts}'`), e.suggestion);
    return true;
  };
  await assert.rejects(SshClient.connect({ ...sshd.endpoint(), knownHostsPath: knownHosts }), check);
  const t0 = Date.now();
  await assert.rejects(waitForSsh({ ...sshd.endpoint(), knownHostsPath: knownHosts }, { timeoutMs: 30_000 }), check);
  assert.ok(Date.now() - t0 < 5000, 'no retries on a changed key');
  assert.equal((await opensshTrue(knownHosts)).code, 255, 'OpenSSH refuses it too');
  // The suggested fix works.
  await hostExec('ssh-keygen', ['-R', `[127.0.0.1]:${sshd.port}`, '-f', knownHosts]);
  ssh = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: knownHosts });
  assert.match(await readFile(knownHosts, 'utf8'), new RegExp(newB64.replace(/[+/]/g, '\\$&')));
});
