import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../src/core/store';
import { acquireFileLock, isLockHeld, readLockHolder } from '../../../src/core/file-lock';
import { isTsmError } from '../../../src/core/errors';
import { tempDir, sampleRecord } from './helpers';

const WORKER = join(__dirname, 'fixtures', 'lock-worker.js');

function runWorker(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, done };
}

/** Starts a worker that takes the lock and resolves once it printed "locked". */
async function lockedBy(t: import('node:test').TestContext, mode: 'hold' | 'die', root: string, name: string) {
  const w = runWorker([mode, root, name]);
  t.after(() => {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    w.child.stdout!.on('data', (d) => String(d).includes('locked') && resolve());
    w.done.then((r) => (mode === 'die' ? undefined : reject(new Error(`worker exited ${r.code}: ${r.stderr}`))));
  });
  return w;
}

test('N processes doing load-modify-save under the machine lock never lose an update', async (t) => {
  const root = tempDir(t);
  const store = new Store(root);
  await store.reserve('dev');
  await store.save({ ...sampleRecord('dev'), driver: { name: 'generic', config: { count: 0 } } });
  const N = 6;
  const ITER = 25;
  const workers = Array.from({ length: N }, () => runWorker(['increment', root, 'dev', String(ITER)]));
  t.after(() => workers.forEach((w) => w.child.exitCode === null && w.child.kill('SIGKILL')));
  const results = await Promise.all(workers.map((w) => w.done));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal((await store.load('dev')).driver.config.count, N * ITER);
  assert.equal(await isLockHeld(store.lockPath('dev')), false);
});

test('a held lock times out with MACHINE_LOCKED naming the holder pid', async (t) => {
  const root = tempDir(t);
  const store = new Store(root);
  const w = await lockedBy(t, 'hold', root, 'dev');
  const t0 = Date.now();
  await assert.rejects(store.withLock('dev', async () => 'never', { timeoutMs: 300 }), (e) => {
    return isTsmError(e, 'MACHINE_LOCKED') && e.message.includes(`pid ${w.child.pid}`) && e.message.includes('machine "dev"');
  });
  assert.ok(Date.now() - t0 >= 290);
  assert.equal((await readLockHolder(store.lockPath('dev')))?.pid, w.child.pid);
  // other machines are not affected
  assert.equal(await store.withLock('other', async () => 'ok', { timeoutMs: 300 }), 'ok');
});

test('a lock left by a dead process is broken', async (t) => {
  const root = tempDir(t);
  const store = new Store(root);
  const w = await lockedBy(t, 'die', root, 'dev');
  await w.done;
  assert.ok((await fs.readFile(store.lockPath('dev'), 'utf8')).includes(String(w.child.pid)), 'the lock file was left behind');
  assert.equal(await store.withLock('dev', async () => 'got it', { timeoutMs: 2000 }), 'got it');
  await assert.rejects(fs.access(store.lockPath('dev')), 'released');
});

test('a lock whose pid was reused by another process is broken', async (t) => {
  const root = tempDir(t);
  const path = join(root, 'x.lock');
  // our own (live) pid, but a start time that is not ours: the pid was reused
  await fs.writeFile(path, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '', procStart: '1', token: 'old' }));
  const release = await acquireFileLock(path, { what: 'x', timeoutMs: 1000 });
  assert.notEqual(JSON.parse(await fs.readFile(path, 'utf8')).token, 'old');
  await release();
});

test('a lock held on another host is respected; an old unreadable lock file is broken', async (t) => {
  const root = tempDir(t);
  const path = join(root, 'x.lock');
  await fs.writeFile(path, JSON.stringify({ pid: 1, hostname: 'elsewhere.example', startedAt: 'then', token: 't' }));
  await assert.rejects(acquireFileLock(path, { what: 'x', timeoutMs: 150 }), (e) => isTsmError(e, 'MACHINE_LOCKED') && e.message.includes('elsewhere.example'));
  await fs.writeFile(path, '');
  await assert.rejects(acquireFileLock(path, { what: 'x', timeoutMs: 150 }), (e) => isTsmError(e, 'MACHINE_LOCKED'), 'a fresh empty file may be mid-write');
  const old = new Date(Date.now() - 60_000);
  await fs.utimes(path, old, old);
  const release = await acquireFileLock(path, { what: 'x', timeoutMs: 1000 });
  await release();
  await release();
  assert.deepEqual(await fs.readdir(root), [], 'no lock, breaker or temp files left');
});

test('two acquisitions in one process are serialized', async (t) => {
  const store = new Store(tempDir(t));
  const order: string[] = [];
  const slow = store.withLock('dev', async () => {
    order.push('a-in');
    await new Promise((r) => setTimeout(r, 100));
    order.push('a-out');
  });
  await new Promise((r) => setTimeout(r, 10));
  await store.withLock('dev', async () => void order.push('b'));
  await slow;
  assert.deepEqual(order, ['a-in', 'a-out', 'b']);
});

test('withLock is re-entrant within one call chain (withStoreLock around ensureStoreCerts-like code)', async (t) => {
  const store = new Store(tempDir(t));
  const got = await store.withStoreLock(
    () => store.withStoreLock(async () => store.withLock('dev', () => store.withLock('dev', async () => 'nested'), { timeoutMs: 200 }), { timeoutMs: 200 }),
    { timeoutMs: 200 },
  );
  assert.equal(got, 'nested');
  assert.equal(await isLockHeld(join(store.locksDir, 'store.lock')), false);
  assert.equal(await isLockHeld(store.lockPath('dev')), false);
});
