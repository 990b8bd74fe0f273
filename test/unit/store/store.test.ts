import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, statSync } from 'node:fs';
import { join } from 'node:path';
import { Store, defaultStoreRoot } from '../../../src/core/store';
import { isTsmError } from '../../../src/core/errors';
import { tempDir, sampleRecord } from './helpers';

const mode = (p: string) => statSync(p).mode & 0o777;

test('defaultStoreRoot: TSMACHINE_STORAGE_PATH wins, else ~/.tsmachine', () => {
  assert.equal(defaultStoreRoot({ TSMACHINE_STORAGE_PATH: '/srv/tsm' }, '/home/u'), '/srv/tsm');
  assert.equal(defaultStoreRoot({}, '/home/u'), '/home/u/.tsmachine');
  assert.equal(defaultStoreRoot({ TSMACHINE_STORAGE_PATH: '' }, '/home/u'), '/home/u/.tsmachine');
});

test('reserve, save, load, exists, list; folders 0700 and files 0600', async (t) => {
  const store = new Store(join(tempDir(t), 'store'));
  assert.deepEqual(await store.list(), []);
  const dir = await store.reserve('dev');
  assert.equal(dir, store.machineDir('dev'));
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(store.root), 0o700);
  assert.equal(await store.exists('dev'), false, 'a reserved folder without record is not a machine');
  assert.deepEqual(await store.list(), []);
  await store.save(sampleRecord('dev'));
  await store.reserve('b.2');
  await store.save(sampleRecord('b.2'));
  assert.equal(await store.exists('dev'), true);
  assert.deepEqual(await store.list(), ['b.2', 'dev']);
  assert.deepEqual(await store.load('dev'), sampleRecord('dev'));
  assert.equal(mode(join(dir, 'machine.json')), 0o600);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['machine.json'], 'no temp files left behind');
});

test('reserve refuses a name in use with MACHINE_EXISTS and a suggestion', async (t) => {
  const store = new Store(tempDir(t));
  await store.reserve('dev');
  await assert.rejects(store.reserve('dev'), (e) => isTsmError(e, 'MACHINE_EXISTS') && /tsmachine rm dev/.test(e.suggestion ?? ''));
});

test('invalid names are refused before touching the filesystem', async (t) => {
  const store = new Store(tempDir(t));
  for (const bad of ['../x', 'a/b', '.hidden', '', '-x']) {
    await assert.rejects(store.reserve(bad), (e) => isTsmError(e, 'INVALID_NAME'), bad);
    await assert.rejects(store.load(bad), (e) => isTsmError(e, 'INVALID_NAME'), bad);
  }
});

test('load: MACHINE_NOT_FOUND with the ls suggestion', async (t) => {
  const store = new Store(tempDir(t));
  await assert.rejects(store.load('nope'), (e) => isTsmError(e, 'MACHINE_NOT_FOUND') && e.suggestion === 'run "tsmachine ls" to see your machines');
});

test('load: STORE_CORRUPT names the file for bad JSON and for a bad field', async (t) => {
  const store = new Store(tempDir(t));
  await store.reserve('dev');
  const file = store.machineFile('dev', 'machine.json');
  await fs.writeFile(file, '{"version": 1, "name": ');
  await assert.rejects(store.load('dev'), (e) => isTsmError(e, 'STORE_CORRUPT') && e.message.includes(file));
  const rec: Record<string, unknown> = { ...sampleRecord('dev'), engine: { kind: 'tsagent' } };
  await fs.writeFile(file, JSON.stringify(rec));
  await assert.rejects(store.load('dev'), (e) => isTsmError(e, 'STORE_CORRUPT') && e.message.includes('engine.port'));
  await fs.writeFile(file, JSON.stringify({ ...sampleRecord('dev'), version: 'one' }));
  await assert.rejects(store.load('dev'), (e) => isTsmError(e, 'STORE_CORRUPT') && e.message.includes('version'));
});

test('load: STORE_VERSION when written by a newer tsmachine', async (t) => {
  const store = new Store(tempDir(t));
  await store.reserve('dev');
  await fs.writeFile(store.machineFile('dev', 'machine.json'), JSON.stringify({ ...sampleRecord('dev'), version: 99 }));
  await assert.rejects(store.load('dev'), (e) => isTsmError(e, 'STORE_VERSION') && /upgrade/.test(e.suggestion ?? ''));
});

test('listBroken: old folders without record, corrupt and newer records; young or locked folders are skipped', async (t) => {
  const store = new Store(tempDir(t));
  await store.reserve('ok');
  await store.save(sampleRecord('ok'));
  await store.reserve('half');
  await store.reserve('young');
  await store.reserve('busy');
  await store.reserve('bad');
  await fs.writeFile(store.machineFile('bad', 'machine.json'), 'nope');
  await store.reserve('future');
  await fs.writeFile(store.machineFile('future', 'machine.json'), JSON.stringify({ ...sampleRecord('future'), version: 7 }));
  const old = new Date(Date.now() - 3600_000);
  for (const n of ['half', 'busy']) await fs.utimes(store.machineDir(n), old, old);
  const broken = await store.withLock('busy', () => store.listBroken());
  assert.deepEqual(
    broken.map((b) => [b.name, b.problem]),
    [['bad', 'corrupt'], ['future', 'version'], ['half', 'no-record']],
  );
  assert.deepEqual(await store.list(), ['bad', 'future', 'ok']);
});

test('remove deletes the folder, twice is fine, and the name can be reserved again', async (t) => {
  const store = new Store(tempDir(t));
  await store.reserve('dev');
  await store.save(sampleRecord('dev'));
  await store.writeMachineFile('dev', 'id_ed25519', 'KEY');
  await store.remove('dev');
  await store.remove('dev');
  assert.equal(await store.exists('dev'), false);
  assert.deepEqual(await fs.readdir(store.machinesDir), []);
  await store.reserve('dev');
});

test('resolve and relative: paths inside the store are stored relative, outside ones absolute', async (t) => {
  const root = tempDir(t);
  const store = new Store(root);
  const key = join(root, 'machines', 'dev', 'id_ed25519');
  assert.equal(store.relative(key), 'machines/dev/id_ed25519');
  assert.equal(store.resolve('machines/dev/id_ed25519'), key);
  assert.equal(store.relative('/etc/ssh/key'), '/etc/ssh/key');
  assert.equal(store.resolve('/etc/ssh/key'), '/etc/ssh/key');
  assert.equal(store.relative(join(root, '..', 'elsewhere')), join(root, '..', 'elsewhere'));
  const moved = new Store(join(root, 'moved'));
  assert.equal(moved.resolve(store.relative(key)), join(root, 'moved', 'machines', 'dev', 'id_ed25519'));
});
