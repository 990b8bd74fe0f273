import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, readFileIfExists } from '../../../src/core/atomic-write';
import { tempDir } from './helpers';

test('writeFileAtomic replaces the content, mode 0600 by default or the given one', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'a.json');
  await writeFileAtomic(f, 'one');
  await fs.chmod(f, 0o644);
  await writeFileAtomic(f, 'two');
  assert.equal(await fs.readFile(f, 'utf8'), 'two');
  assert.equal(statSync(f).mode & 0o777, 0o600);
  await writeFileAtomic(join(dir, 'b'), Buffer.from([1, 2]), 0o640);
  assert.equal(statSync(join(dir, 'b')).mode & 0o777, 0o640);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['a.json', 'b']);
});

test('writeFileAtomic: a failed rename keeps the old file and leaves no temp file', async (t) => {
  const dir = tempDir(t);
  const target = join(dir, 'target');
  await fs.mkdir(target); // rename of a file over a non-empty folder fails (EISDIR)
  await fs.writeFile(join(target, 'keep'), 'x');
  await assert.rejects(writeFileAtomic(target, 'data'), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(await fs.readdir(dir), ['target']);
  assert.equal(await fs.readFile(join(target, 'keep'), 'utf8'), 'x');
});

test('writeFileAtomic: a failed write leaves no temp file', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'f');
  await fs.writeFile(f, 'old');
  // An invalid data type makes the write throw after the temp file was created.
  await assert.rejects(writeFileAtomic(f, 42 as unknown as string));
  assert.deepEqual(await fs.readdir(dir), ['f']);
  assert.equal(await fs.readFile(f, 'utf8'), 'old');
});

test('readFileIfExists: undefined for a missing file, errors otherwise', async (t) => {
  const dir = tempDir(t);
  assert.equal(await readFileIfExists(join(dir, 'none')), undefined);
  await assert.rejects(readFileIfExists(dir), /EISDIR/);
});
