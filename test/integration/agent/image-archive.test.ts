// docker save / load (both directions with skopeo's docker-archive and the classic Docker
// layout), commit (with -c), diff, export, images filters, rmi and prune, system df.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AgentHarness } from './harness';
import { OciLayout, busyboxTar, tarOf, skopeo } from '../../helpers/registry-images';
import { lines } from './registry-fixture';
import { tarArchive } from '../../unit/agent/tar-fixture';

let h: AgentHarness;

before(async () => {
  h = await AgentHarness.create();
  await h.start();
  assert.equal((await h.importBusybox('bb:1', ['--change', 'CMD ["echo","bb one"]', '--change', 'LABEL tier=base'])).code, 0);
});

after(async () => {
  assert.deepEqual(await h.cleanup(), [], 'nothing may be left behind');
});

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const inspect = async (name: string) => JSON.parse((await h.docker(['image', 'inspect', name])).stdout)[0];
function tar(args: string[], cwd: string): Buffer {
  const r = spawnSync('tar', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

test('docker save writes an OCI layout + docker-archive that skopeo reads; docker load restores it', async () => {
  const id = (await inspect('bb:1')).Id;
  const file = join(h.base, 'bb.tar');
  const r = await h.docker(['save', '-o', file, 'bb:1']);
  assert.equal(r.code, 0, r.stderr);
  const names = tar(['-tf', file], h.base).toString().split('\n');
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories', `blobs/sha256/${id.slice(7)}`]) assert.ok(names.includes(n), `${n} in ${names}`);
  const sk = JSON.parse(await skopeo(['inspect', `docker-archive:${file}`]));
  assert.deepEqual(sk.Layers, (await inspect('bb:1')).RootFS.Layers, 'skopeo sees the uncompressed layers by diff ID');
  const oci = JSON.parse(await skopeo(['inspect', `oci-archive:${file}:1`]));
  assert.equal(oci.Labels.tier, 'base');
  assert.equal((await h.docker(['rmi', 'bb:1'])).code, 0);
  const load = await h.docker(['load', '-i', file]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout.trim(), 'Loaded image: bb:1');
  assert.equal((await inspect('bb:1')).Id, id);
  assert.equal((await h.docker(['run', '--rm', 'bb:1'])).stdout, 'bb one\n');
  const gz = join(h.base, 'bb.tar.gz');
  writeFileSync(gz, gzipSync(readFileSync(file)));
  const again = await h.docker(['load', '-i', gz]);
  assert.equal(again.code, 0, again.stderr);
});

test('docker load reads skopeo\'s docker-archive and the classic Docker layout (<id>/layer.tar, symlinked repeats)', async () => {
  const dir = join(h.base, 'oci-load');
  const oci = new OciLayout(dir);
  const base = busyboxTar();
  const extra = tarOf({ 'hello.txt': 'from skopeo\n' });
  const im = oci.addImage({ layers: [{ tar: base, compression: 'gzip' }, { tar: extra, compression: 'gzip' }], cmd: ['cat', '/hello.txt'] });
  oci.tag(im, 'x');
  const file = join(h.base, 'skopeo.tar');
  await skopeo(['copy', '-q', `oci:${dir}:x`, `docker-archive:${file}:skop/hello:2`]);
  const r = await h.docker(['load', '-i', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'Loaded image: skop/hello:2');
  assert.equal((await inspect('skop/hello:2')).Id, im.configDigest);
  assert.equal((await h.docker(['run', '--rm', 'skop/hello:2'])).stdout, 'from skopeo\n');

  const classic = join(h.base, 'classic');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['cat', '/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [sha(base), sha(extra), sha(extra)] }, history: [] }));
  for (const [i, t] of [base, extra].entries()) {
    mkdirSync(join(classic, `l${i}`), { recursive: true });
    writeFileSync(join(classic, `l${i}`, 'layer.tar'), t);
    writeFileSync(join(classic, `l${i}`, 'VERSION'), '1.0');
    writeFileSync(join(classic, `l${i}`, 'json'), '{}');
  }
  mkdirSync(join(classic, 'l2'));
  symlinkSync('../l1/layer.tar', join(classic, 'l2', 'layer.tar'));
  writeFileSync(join(classic, `${sha(config).slice(7)}.json`), config);
  writeFileSync(join(classic, 'manifest.json'), JSON.stringify([{ Config: `${sha(config).slice(7)}.json`, RepoTags: ['classic:1'], Layers: ['l0/layer.tar', 'l1/layer.tar', 'l2/layer.tar'] }]));
  const c = await h.docker(['load'], { input: tar(['-c', '.'], classic) });
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout.trim(), 'Loaded image: classic:1');
  assert.equal((await h.docker(['run', '--rm', 'classic:1'])).stdout, 'from skopeo\n');
  const bad = join(h.base, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['bad:1'], Layers: ['l.tar'] }]));
  writeFileSync(join(bad, 'c.json'), JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha(Buffer.from('x'))] } }));
  writeFileSync(join(bad, 'l.tar'), extra);
  const refused = await h.docker(['load'], { input: tar(['-c', '.'], bad) });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /layer l\.tar hashes to sha256:[0-9a-f]{64}, but the image config says/);
  assert.equal((await h.docker(['image', 'inspect', 'bad:1'])).code, 1);
  // A layer that climbs out of its folder: refused as it unpacks, nothing loaded.
  const escaping = tarArchive([{ name: '../../escape.txt', data: 'x' }]);
  writeFileSync(join(bad, 'c.json'), JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha(escaping)] } }));
  writeFileSync(join(bad, 'l.tar'), escaping);
  const unsafe = await h.docker(['load'], { input: tar(['-c', '.'], bad) });
  assert.notEqual(unsafe.code, 0);
  assert.match(unsafe.stderr, /invalid archive: layer sha256:[0-9a-f]{64} is not a safe layer archive: path "\.\.\/\.\.\/escape\.txt" escapes the root/);
  assert.equal((await h.docker(['image', 'inspect', 'bad:1'])).code, 1);
});

test('docker load reads an OCI image layout without manifest.json: names from its annotations, this platform from an index, attestations skipped', async () => {
  const dir = join(h.base, 'oci-only');
  const oci = new OciLayout(dir);
  const withFile = (arch: string) => Buffer.concat([busyboxTar().subarray(0, -1024), tarOf({ platform: `${arch}\n` })]);
  const single = oci.addImage({ layers: [{ tar: busyboxTar(), compression: 'gzip' }], cmd: ['echo', 'single'] });
  oci.tag(single, 'example.com/team/ociload:1');
  const amd = oci.addImage({ layers: [{ tar: withFile('amd64'), compression: 'gzip' }], architecture: 'amd64' });
  const arm = oci.addImage({ layers: [{ tar: withFile('arm64'), compression: 'zstd' }], architecture: 'arm64', variant: 'v8' });
  oci.addIndex([amd, arm, oci.addAttestation(amd)], 'ociload:multi');
  const bare = oci.addImage({ layers: [{ tar: busyboxTar(), compression: 'none' }], cmd: ['echo', 'bare'] });
  oci.tag(bare, 'latest');
  const r = await h.docker(['load'], { input: tar(['-cf', '-', '.'], dir) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['Loaded image: example.com/team/ociload:1', 'Loaded image: ociload:multi', `Loaded image ID: ${bare.configDigest}`]);
  assert.equal((await h.docker(['run', '--rm', 'example.com/team/ociload:1'])).stdout, 'single\n');
  assert.equal((await h.docker(['run', '--rm', 'ociload:multi', 'cat', '/platform'])).stdout, 'amd64\n', 'this host\'s platform from the index');
  assert.equal((await h.docker(['run', '--rm', bare.configDigest])).stdout, 'bare\n');
  // A blob that is not what its name says is refused, and nothing is tagged.
  const evil = new OciLayout(join(h.base, 'oci-evil'));
  const e = evil.addImage({ layers: [{ tar: busyboxTar(), compression: 'gzip' }] });
  evil.tag(e, 'example.com/evil:1');
  writeFileSync(join(evil.dir, 'blobs/sha256', e.configDigest.slice(7)), '{"rootfs":{"type":"layers","diff_ids":[]}}');
  const bad = await h.docker(['load'], { input: tar(['-cf', '-', '.'], evil.dir) });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid archive: the config blobs\/sha256\/[0-9a-f]{64} does not match its digest/);
  assert.equal((await h.docker(['images', '-q', 'example.com/evil'])).stdout, '');
  for (const t of ['example.com/team/ociload:1', 'ociload:multi', bare.configDigest]) await h.docker(['rmi', t]);
});

test('docker diff, commit with -c changes (whiteouts and opaque folders), export', async () => {
  const script = 'echo new > /new.txt; rm /etc/group; rm -rf /usr/sbin; mkdir /usr/sbin; echo only > /usr/sbin/only; mkdir -p /var/cache/app; echo c > /var/cache/app/c';
  const run = await h.docker(['run', '--name', 'changer', 'bb:1', 'sh', '-c', script]);
  assert.equal(run.code, 0, run.stderr);
  const diff = lines((await h.docker(['diff', 'changer'])).stdout);
  for (const l of ['A /new.txt', 'C /etc', 'D /etc/group', 'C /usr/sbin', 'A /usr/sbin/only', 'A /var/cache/app/c']) assert.ok(diff.includes(l), `${l} in\n${diff.join('\n')}`);
  assert.ok(diff.some((l) => /^D \/usr\/sbin\/\w+/.test(l)), 'the replaced folder\'s old entries are deleted');
  assert.deepEqual(diff.filter((l) => /^. \/(etc\/(hostname|hosts|resolv\.conf)|proc|sys|dev)$/.test(l)), [], 'the runtime\'s mount points are not changes (as in Docker, whose init layer holds them)');
  // Only those would have changed /etc: then it is not listed.
  assert.equal((await h.docker(['run', '--name', 'quiet', 'bb:1', 'sh', '-c', 'echo x > /f'])).code, 0);
  assert.deepEqual(lines((await h.docker(['diff', 'quiet'])).stdout), ['A /f']);
  assert.equal((await h.docker(['rm', 'quiet'])).code, 0);
  const commit = await h.docker(['commit', '-c', 'CMD ["cat","/new.txt"]', '-c', 'ENV STAGE=committed', '-m', 'my change', '-a', 'tester', 'changer', 'committed:1']);
  assert.equal(commit.code, 0, commit.stderr);
  const img = await inspect('committed:1');
  assert.equal(img.Id, commit.stdout.trim());
  assert.equal(img.RootFS.Layers.length, 2);
  const committedMembers = tar(['-tf', join(h.dataRoot, 'content', 'sha256', img.RootFS.Layers[1].slice(7))], h.base).toString().split('\n');
  assert.ok(committedMembers.includes('new.txt'), committedMembers.join(','));
  assert.deepEqual(committedMembers.filter((m) => /^(etc\/(hostname|hosts|resolv\.conf)|proc|sys|dev)\/?$/.test(m)), [], 'the commit leaves the runtime\'s mount points out');
  assert.equal(img.Author, 'tester');
  assert.equal(img.Comment, 'my change');
  assert.deepEqual(img.Config.Cmd, ['cat', '/new.txt']);
  assert.ok(img.Config.Env.includes('STAGE=committed'));
  assert.equal(img.Config.Labels.tier, 'base');
  assert.equal((await h.docker(['run', '--rm', 'committed:1'])).stdout, 'new\n');
  const check = await h.docker(['run', '--rm', 'committed:1', 'sh', '-c', 'test -e /etc/group && echo group-back; ls /usr/sbin; echo $STAGE']);
  assert.equal(check.stdout, 'only\ncommitted\n');
  const history = lines((await h.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:1'])).stdout);
  assert.equal(history[0], 'sh -c ' + script + '|my change');
  const exp = join(h.base, 'export.tar');
  assert.equal((await h.docker(['export', '-o', exp, 'changer'])).code, 0);
  const members = tar(['-tf', exp], h.base).toString().split('\n');
  assert.ok(members.includes('new.txt') && members.includes('bin/busybox') && members.includes('usr/sbin/only'), members.slice(0, 20).join(','));
  assert.ok(!members.includes('etc/group'));
  assert.equal((await h.docker(['import', exp, 'exported:1'])).code, 0);
  assert.equal((await h.docker(['run', '--rm', 'exported:1', 'cat', '/new.txt'])).stdout, 'new\n');
});

test('file capabilities and user xattrs a container\'s file has are kept by commit and export', async () => {
  assert.equal((await h.docker(['run', '--name', 'capper', 'bb:1', 'sh', '-c', 'cp /bin/busybox /ping'])).code, 0);
  const upper = JSON.parse((await h.docker(['inspect', 'capper'])).stdout)[0].GraphDriver.Data.UpperDir as string;
  const cap = '0x0100000200200000000000000000000000000000'; // cap_net_raw+ep
  const ok = (argv: string[]) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }); assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`); return r.stdout; };
  ok(['setfattr', '-n', 'security.capability', '-v', cap, join(upper, 'ping')]);
  ok(['setfattr', '-n', 'user.origin', '-v', 'capper', join(upper, 'ping')]);
  const attrsIn = (dir: string) => ok(['getfattr', '-h', '-d', '-m', '-', '-e', 'hex', join(dir, 'ping')]);
  // export: GNU tar reads them back.
  const exp = join(h.base, 'capper.tar');
  assert.equal((await h.docker(['export', '-o', exp, 'capper'])).code, 0);
  const out = join(h.base, 'capper-export');
  mkdirSync(out);
  tar(['--xattrs', '--xattrs-include=*', '-xf', exp, 'ping'], out);
  assert.match(attrsIn(out), new RegExp(`security\\.capability=${cap}`));
  assert.match(attrsIn(out), /user\.origin=0x636170706572/);
  // commit: a container of the new image sees them (its lower layer is the committed one).
  assert.equal((await h.docker(['commit', 'capper', 'capped:1'])).code, 0);
  assert.equal((await h.docker(['create', '--name', 'capped', 'capped:1', 'true'])).code, 0);
  const lower = JSON.parse((await h.docker(['inspect', 'capped'])).stdout)[0].GraphDriver.Data.LowerDir.split(':')[0] as string;
  assert.match(attrsIn(lower), new RegExp(`security\\.capability=${cap}`));
  await h.docker(['rm', '-f', 'capper', 'capped']);
  await h.docker(['rmi', 'capped:1']);
});

test('images filters (dangling, reference, label, before, since), rmi semantics, prune, system df', async () => {
  assert.equal((await h.importBusybox('older:1')).code, 0);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await h.importBusybox('newer:1', ['--change', 'LABEL tier=top'])).code, 0);
  const q = async (f: string) => lines((await h.docker(['images', '--filter', f, '--format', '{{.Repository}}:{{.Tag}}'])).stdout).sort();
  assert.deepEqual(await q('reference=newer'), ['newer:1']);
  assert.deepEqual(await q('reference=*er:1'), ['newer:1', 'older:1']);
  assert.deepEqual(await q('label=tier=top'), ['newer:1']);
  assert.deepEqual(await q('before=newer:1').then((l) => l.includes('older:1') && !l.includes('newer:1')), true);
  assert.deepEqual(await q('since=older:1'), ['newer:1']);
  assert.equal((await h.docker(['tag', 'newer:1', 'newer:2'])).code, 0);
  const untag = await h.docker(['rmi', 'newer:2']);
  assert.equal(untag.stdout.trim(), 'Untagged: newer:2');
  assert.equal((await h.docker(['run', '--name', 'user', 'newer:1', 'true'])).code, 0);
  const refused = await h.docker(['rmi', 'newer:1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /container .* is using its referenced image/);
  assert.equal((await h.docker(['rm', 'user'])).code, 0);
  assert.equal((await h.importBusybox('older:1', ['--change', 'ENV V=2'])).code, 0, 'the tag moves: the old image is dangling');
  const dangling = lines((await h.docker(['images', '-q', '--filter', 'dangling=true'])).stdout);
  assert.equal(dangling.length, 1);
  const prune = await h.docker(['image', 'prune', '-f']);
  assert.equal(prune.code, 0, prune.stderr);
  assert.match(prune.stdout, new RegExp(`deleted: sha256:${dangling[0]}`));
  assert.deepEqual(lines((await h.docker(['images', '-q', '--filter', 'dangling=true'])).stdout), []);
  const df = await h.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
  assert.equal(df.code, 0, df.stderr);
  assert.match(df.stdout, /^Images \d+$/m);
  // system prune: stopped containers, networks, dangling images and the build cache (none here).
  assert.equal((await h.docker(['create', '--name', 'prunable', 'older:1', 'true'])).code, 0);
  const sys = await h.docker(['system', 'prune', '-f']);
  assert.equal(sys.code, 0, sys.stderr);
  assert.match(sys.stdout, /Deleted Containers:\n[0-9a-f]{64}\n/);
  assert.equal((await h.docker(['ps', '-aq', '--filter', 'name=prunable'])).stdout, '');
  const builder = await h.docker(['builder', 'prune', '-f', '--filter', 'bogus=1']);
  assert.notEqual(builder.code, 0, 'an unknown build-cache filter is refused');
});

test('docker events shows image events as dockerd sends them: import, tag, save, untag, delete, load, and a container commit', async () => {
  const since = (Date.now() / 1000).toFixed(3);
  assert.equal((await h.importBusybox('evt:1', ['--change', 'LABEL team=events'])).code, 0);
  const id = JSON.parse((await h.docker(['image', 'inspect', 'evt:1'])).stdout)[0].Id as string;
  assert.equal((await h.docker(['tag', 'evt:1', 'evt:2'])).code, 0);
  const saved = join(h.base, 'evt.tar');
  assert.equal((await h.docker(['save', '-o', saved, 'evt:2'])).code, 0);
  assert.equal((await h.docker(['rmi', 'evt:2'])).code, 0);
  assert.equal((await h.docker(['rmi', 'evt:1'])).code, 0);
  assert.equal((await h.docker(['load', '-i', saved])).code, 0);
  assert.equal((await h.docker(['create', '--name', 'evtc', 'evt:2', 'true'])).code, 0);
  const commit = await h.docker(['commit', 'evtc', 'evt:3']);
  assert.equal(commit.code, 0, commit.stderr);
  const committed = commit.stdout.trim();
  assert.equal((await h.docker(['rm', 'evtc'])).code, 0);
  assert.equal((await h.docker(['rmi', 'evt:3', 'evt:2'])).code, 0);
  const until = (Date.now() / 1000 + 0.001).toFixed(3);
  const r = await h.docker(['events', '--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.team}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [
    `tag ${id} evt:1 events`, `import ${id} ${id} events`,
    `tag ${id} evt:2 events`,
    `save ${id} ${id} events`,
    `untag ${id} evt:2 events`,
    `untag ${id} evt:1 events`, `delete ${id} ${id} <no value>`,
    `load ${id} ${id} events`,
    `tag ${committed} evt:3 events`,
    `untag ${committed} evt:3 events`, `delete ${committed} ${committed} <no value>`,
    `untag ${id} evt:2 events`, `delete ${id} ${id} <no value>`,
  ]);
  const c = await h.docker(['events', '--since', since, '--until', until, '--filter', 'event=commit', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}}']);
  assert.deepEqual(lines(c.stdout), [`container commit evtc ${committed} evt:3`]);
});
