import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseGetfattr } from '../../../src/agent/layers/xattrs';
import { tarTree } from '../../../src/agent/layers/fs-tar';
import { tarHeader, TAR_END } from '../../../src/agent/layers/tar-writer';
import { readTar } from '../../../src/agent/layers/tar-reader';

async function entries(stream: AsyncIterable<Buffer>) {
  const out: Record<string, Record<string, string>> = {};
  for await (const e of readTar(stream)) {
    out[e.header.name] = Object.fromEntries(Object.entries(e.header.xattrs).map(([k, v]) => [k, v.toString('hex')]));
    for await (const _ of e.body) void _;
  }
  return out;
}

test('binary xattr values survive the tar writer and reader byte for byte', async () => {
  const value = Buffer.from([0, 1, 0x0a, 0x3d, 0xff, 0x20, 0]);
  async function* one() { yield tarHeader({ name: 'f', type: 'file', mode: 0o644, size: 0, xattrs: { 'security.capability': value, 'user.a': Buffer.from('x=y\n') } }); yield TAR_END; }
  assert.deepEqual(await entries(one()), { f: { 'security.capability': value.toString('hex'), 'user.a': Buffer.from('x=y\n').toString('hex') } });
});

test('parseGetfattr: names with getfattr escapes, hex values; overlay and SELinux attributes left out', () => {
  const text = [
    '# file: /r/a\\040b\\\\c',
    'user.x=0x6869',
    'security.selinux=0x00',
    '',
    '# file: /r/upper',
    'trusted.overlay.opaque=0x79',
    '',
    '# file: /r/caf\\303\\251',
    'security.capability=0x0100000200200000000000000000000000000000',
    '',
  ].join('\n');
  const m = parseGetfattr(text);
  assert.deepEqual([...m.keys()], ['/r/a b\\c', '/r/café']);
  assert.deepEqual(m.get('/r/a b\\c'), { 'user.x': Buffer.from('hi') });
  assert.equal(m.get('/r/café')!['security.capability'].length, 20);
});

test('tarTree records the tree\'s extended attributes (commit, export, cp), not overlayfs\'s', { skip: process.getuid?.() !== 0 ? 'trusted.* needs root' : false }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tsa-xattr-tree-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'ping'), 'x');
  mkdirSync(join(root, 'dir with space'));
  symlinkSync('ping', join(root, 'link'));
  const set = (name: string, value: string, p: string) => assert.equal(spawnSync('setfattr', ['-n', name, '-v', value, join(root, p)]).status, 0);
  set('security.capability', '0x0100000200200000000000000000000000000000', 'ping');
  set('user.note', 'hello', 'dir with space');
  set('trusted.overlay.opaque', 'y', 'dir with space');
  const got = await entries(tarTree(root));
  assert.deepEqual(got.ping, { 'security.capability': '0100000200200000000000000000000000000000' });
  assert.deepEqual(got['dir with space/'], { 'user.note': Buffer.from('hello').toString('hex') });
  assert.deepEqual(got.link, {});
});
