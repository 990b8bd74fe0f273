import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractUpload, type UploadTarget } from '../../../src/agent/volumes/upload-extract';
import { PathEscapeError } from '../../../src/agent/layers/path-scope';
import { ApiError } from '../../../src/agent/http/api-error';
import { tarArchive, chunks, type FixtureEntry } from './tar-fixture';

function setup(t: { after: (fn: () => void) => void }) {
  const base = mkdtempSync(join(tmpdir(), 'volup-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dirs = { root: join(base, 'root'), vol: join(base, 'vol'), ro: join(base, 'ro'), outside: join(base, 'outside') };
  for (const d of Object.values(dirs)) mkdirSync(d);
  mkdirSync(join(dirs.root, 'data'));
  const mounts: UploadTarget[] = [{ dst: '/data', src: dirs.vol, rw: true }, { dst: '/ro', src: dirs.ro, rw: false }];
  const run = (entries: FixtureEntry[], opts = { noOverwriteDirNonDir: true }) => extractUpload(chunks(tarArchive(entries), 300), '/', dirs.root, mounts, opts);
  return { ...dirs, run };
}

test('members are routed to the mount they fall in; links stay inside their target', async (t) => {
  const d = setup(t);
  await d.run([
    { name: 'top.txt', data: 'top' },
    { name: 'data/', type: '5' },
    { name: 'data/in-vol.txt', data: 'vol' },
    { name: 'data/l', type: '2', linkname: d.outside },
    { name: 'data/l/through.txt', data: 'x' },
    { name: `/${d.outside}/abs.txt`, data: 'abs' },
  ]);
  assert.equal(readFileSync(join(d.root, 'top.txt'), 'utf8'), 'top');
  assert.equal(readFileSync(join(d.vol, 'in-vol.txt'), 'utf8'), 'vol');
  assert.equal(existsSync(join(d.root, 'data/in-vol.txt')), false, 'not written under the mount point in the rootfs');
  assert.equal(readFileSync(join(d.vol, d.outside, 'through.txt'), 'utf8'), 'x', 'a symlink is followed inside the volume');
  assert.equal(readFileSync(join(d.root, d.outside, 'abs.txt'), 'utf8'), 'abs');
  assert.deepEqual(readdirSync(d.outside), []);
});

test('escapes, read-only mounts and dir/non-dir overwrites are refused', async (t) => {
  const d = setup(t);
  await assert.rejects(d.run([{ name: '../../outside/x', data: 'x' }]), PathEscapeError);
  await assert.rejects(d.run([{ name: 'data/../../../outside/y', data: 'y' }]), PathEscapeError);
  await assert.rejects(d.run([{ name: 'ro/z', data: 'z' }]), (e: unknown) => e instanceof ApiError && e.status === 400 && /read-only/.test(e.message));
  await assert.rejects(d.run([{ name: 'hl', type: '1', linkname: '../outside/x' }]), PathEscapeError);
  mkdirSync(join(d.root, 'adir'));
  await assert.rejects(d.run([{ name: 'adir', data: 'file' }]), /cannot overwrite directory/);
  assert.deepEqual(readdirSync(d.outside), []);
  assert.deepEqual(readdirSync(d.ro), []);
});
