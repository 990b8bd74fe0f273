import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IpAllocator } from '../../../src/drivers/local/ip-allocator';
import { isTsmError } from '../../../src/core/errors';

const run = promisify(execFile);

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-leases-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const never = () => false;
const holder = (id: string) => ({ id, machine: id, dir: `/store/machines/${id}` });

test('allocates the lowest free address after the gateway, stable per machine, freed on release', async (t) => {
  const a = new IpAllocator(tempDir(t), never);
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m1')), '10.9.0.2');
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m2')), '10.9.0.3');
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m1')), '10.9.0.2', 'a machine keeps its lease');
  await a.release('m1');
  await a.release('m1');
  assert.deepEqual((await a.read()).map((l) => l.id), ['m2']);
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m3')), '10.9.0.2', 'freed address is reused');
  assert.equal(await a.allocate('br1', '10.9.0.0/24', holder('m4')), '10.9.0.2', 'leases are per bridge');
});

test('a wanted address (the one a stopped machine had) is honoured when free', async (t) => {
  const a = new IpAllocator(tempDir(t), never);
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m1'), '10.9.0.77'), '10.9.0.77');
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m2'), '10.9.0.77'), '10.9.0.2');
  assert.equal(await a.allocate('br0', '10.9.0.0/24', holder('m3'), '10.9.0.1'), '10.9.0.3', 'never the gateway');
});

test('a full subnet is a clear error', async (t) => {
  const a = new IpAllocator(tempDir(t), never);
  for (let i = 0; i < 5; i++) await a.allocate('br0', '10.9.0.0/29', holder(`m${i}`));
  await assert.rejects(a.allocate('br0', '10.9.0.0/29', holder('m6')), (e: unknown) => isTsmError(e, 'CREATE_FAILED') && /no free address/.test(e.message));
});

test('a corrupt lease file is reported, not overwritten', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'leases.json'), '{not json');
  await assert.rejects(new IpAllocator(dir, never).allocate('br0', '10.9.0.0/24', holder('m1')), (e: unknown) => isTsmError(e, 'STORE_CORRUPT'));
});

test('a lock left by a dead process is broken', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'lock'), '999999999 1');
  assert.equal(await new IpAllocator(dir, never).allocate('br0', '10.9.0.0/24', holder('m1')), '10.9.0.2');
});

test('a lease whose machine folder and netns are gone is dropped when the allocator meets it', async (t) => {
  const dir = tempDir(t);
  const machineDir = tempDir(t);
  const a = new IpAllocator(dir);
  assert.equal(await a.allocate('br0', '10.9.0.0/24', { id: 'kept', machine: 'kept', dir: machineDir }), '10.9.0.2');
  assert.equal(await a.allocate('br0', '10.9.0.0/24', { id: 'gone', machine: 'gone', dir: join(machineDir, 'deleted') }), '10.9.0.3');
  assert.equal(await a.allocate('br0', '10.9.0.0/24', { id: 'new', machine: 'new', dir: machineDir }), '10.9.0.3', 'the stale lease was reclaimed');
  assert.deepEqual((await a.read()).map((l) => l.id).sort(), ['kept', 'new']);
});

test('concurrent processes never hand out the same address', async (t) => {
  const dir = tempDir(t);
  const worker = join(__dirname, 'fixtures', 'lease-worker.js');
  const outs = await Promise.all(['a', 'b', 'c', 'd'].map((tag) => run(process.execPath, [worker, dir, tag, '10'])));
  const ips = outs.flatMap((o) => o.stdout.trim().split('\n'));
  assert.equal(ips.length, 40);
  assert.equal(new Set(ips).size, 40, 'all distinct');
  assert.equal((await new IpAllocator(dir).read()).length, 40);
});
