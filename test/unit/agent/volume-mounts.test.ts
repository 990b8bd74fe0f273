import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync, lstatSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBind, parseApiMount, parseTmpfs, parseVolumesFrom, collectMountPoints, sortForMounting } from '../../../src/agent/volumes/mount-spec';
import { resolveInContainer, hostPath, goFileMode, type ContainerFs } from '../../../src/agent/volumes/container-fs';
import { validateLocalOptions } from '../../../src/agent/volumes/volume-store';
import { ApiError } from '../../../src/agent/http/api-error';

const is400 = (re: RegExp) => (e: unknown) => e instanceof ApiError && e.status === 400 && re.test(e.message);

test('-v specs: anonymous, named, bind, modes', () => {
  assert.deepEqual(parseBind('/data'), { Type: 'volume', Name: '', Source: '', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Anonymous: true });
  const named = parseBind('cache:/var/cache/:ro');
  assert.equal(named.Type, 'volume');
  assert.equal(named.Name, 'cache');
  assert.equal(named.Destination, '/var/cache');
  assert.equal(named.RW, false);
  assert.equal(parseBind('cache:/c:nocopy').CopyData, false);
  assert.equal(parseBind('cache:/c').Mode, 'z');
  const bind = parseBind('/srv/x/../y:/y:rw,rslave');
  assert.deepEqual([bind.Type, bind.Source, bind.RW, bind.Propagation, bind.CreateSource], ['bind', '/srv/y', true, 'rslave', true]);
  assert.throws(() => parseBind('a:b:c:d'), is400(/invalid volume specification/));
  assert.throws(() => parseBind('vol:rel'), is400(/must be absolute/));
  assert.throws(() => parseBind('vol:/'), is400(/destination can't be '\/'/));
  assert.throws(() => parseBind('/h:/c:ro,rw'), is400(/exclude/));
  assert.throws(() => parseBind('/h:/c:bogus'), is400(/invalid mode: bogus/));
  assert.throws(() => parseBind('bad$name:/c'), is400(/invalid characters/));
  assert.throws(() => parseBind('v:/c'), is400(/volume name is too short/));
});

test('--mount specs: bind refuses a missing source later, volume options, tmpfs size and mode', () => {
  const b = parseApiMount({ Type: 'bind', Source: '/h', Target: '/c', ReadOnly: true });
  assert.deepEqual([b.RW, b.CreateSource, b.Propagation], [false, false, 'rprivate']);
  const v = parseApiMount({ Type: 'volume', Target: '/v', VolumeOptions: { NoCopy: true } });
  assert.deepEqual([v.Anonymous, v.CopyData], [true, false]);
  const t = parseApiMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 } });
  assert.deepEqual(t.TmpfsOptions, ['noexec', 'nosuid', 'nodev', 'size=1024', 'mode=1777']);
  assert.throws(() => parseApiMount({ Type: 'bind', Target: '/c' }), is400(/Source must not be empty/));
  assert.throws(() => parseApiMount({ Type: 'tmpfs', Source: 'x', Target: '/c' }), is400(/Source must not be specified/));
  assert.throws(() => parseApiMount({ Type: 'npipe', Target: '/c' }), is400(/mount type unknown/));
  assert.throws(() => parseApiMount({ Type: 'volume', Target: '/c', VolumeOptions: { DriverConfig: { Name: 'nfs' } } }), is400(/driver "nfs" not found/));
  assert.deepEqual(parseTmpfs('/run', 'size=1m').TmpfsOptions, ['noexec', 'nosuid', 'nodev', 'size=1m']);
  assert.deepEqual(parseVolumesFrom('web:ro'), { ref: 'web', mode: 'ro' });
  assert.throws(() => parseVolumesFrom('web:rx'), is400(/volumes-from/));
});

test('collectMountPoints: duplicates refused, image volumes fill in, mount order by depth', () => {
  assert.throws(() => collectMountPoints({ binds: ['aa:/d', '/h:/d'], mounts: [], tmpfs: {}, imageVolumes: [], from: [] }), is400(/Duplicate mount point: \/d/));
  const list = collectMountPoints({ binds: ['named:/data'], mounts: [{ Type: 'tmpfs', Target: '/data/tmp' }], tmpfs: {}, imageVolumes: ['/data', '/logs/'], from: [] });
  assert.deepEqual(list.map((m) => [m.Destination, m.Name || m.Type]), [['/data', 'named'], ['/data/tmp', 'tmpfs'], ['/logs', 'volume']]);
  assert.throws(() => collectMountPoints({ binds: [], mounts: [], tmpfs: {}, imageVolumes: ['v:/data'], from: [] }), is400(/must be absolute/));
  assert.deepEqual(sortForMounting([{ Destination: '/a/b/c' }, { Destination: '/a' }, { Destination: '/a/b' }]).map((m) => m.Destination), ['/a', '/a/b', '/a/b/c']);
});

test('local driver options', () => {
  validateLocalOptions({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  assert.throws(() => validateLocalOptions({ size: '1' }), is400(/invalid option: "size"/));
  assert.throws(() => validateLocalOptions({ type: 'tmpfs' }), is400(/missing required option: "device"/));
});

test('resolveInContainer follows symlinks inside the container, across mapped mounts, never out', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'volfs-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'root');
  const vol = join(base, 'vol');
  const outside = join(base, 'outside');
  for (const d of [root, vol, outside, join(root, 'etc'), join(root, 'data')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(vol, 'in-volume'), 'v');
  symlinkSync(outside, join(root, 'abs'));
  symlinkSync('../../../../..', join(root, 'up'));
  symlinkSync('/data/in-volume', join(root, 'to-vol'));
  symlinkSync('/etc', join(vol, 'etc-from-vol'));
  const fs: ContainerFs = { root, mounts: [{ dst: '/data', src: vol }], release: async () => undefined };
  assert.deepEqual(await resolveInContainer(fs, '/abs/x', true), { ctr: `${outside}/x`, host: `${root}${outside}/x` });
  assert.deepEqual(await resolveInContainer(fs, '/up/up/data/in-volume', true), { ctr: '/data/in-volume', host: `${vol}/in-volume` });
  assert.deepEqual(await resolveInContainer(fs, '/to-vol', true), { ctr: '/data/in-volume', host: `${vol}/in-volume` });
  assert.deepEqual(await resolveInContainer(fs, '/to-vol', false), { ctr: '/to-vol', host: `${root}/to-vol` });
  assert.deepEqual(await resolveInContainer(fs, '/data/etc-from-vol/passwd', true), { ctr: '/etc/passwd', host: `${root}/etc/passwd` });
  assert.equal(hostPath(fs, '/'), root);
  assert.equal(hostPath(fs, '/database'), `${root}/database`, 'a prefix that is not a path component does not match');
});

test('goFileMode encodes Go os.FileMode bits', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'volmode-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  writeFileSync(join(base, 'f'), '');
  symlinkSync('f', join(base, 'l'));
  assert.equal(goFileMode(statSync(base)) >>> 0, (2 ** 31 + (statSync(base).mode & 0o777)) >>> 0);
  assert.equal(goFileMode(lstatSync(join(base, 'l'))) & 2 ** 27, 2 ** 27);
  assert.equal(goFileMode(statSync(join(base, 'f'))), statSync(join(base, 'f')).mode & 0o777);
});
