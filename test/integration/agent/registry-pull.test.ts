// docker pull / docker run against a real docker-registry (plain HTTP, --insecure-registry),
// with images copied in by skopeo, through a proxy that counts, throttles and cuts downloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { chainIds } from '../../../src/agent/layers/layer-store';
import { join } from 'node:path';
import { AgentHarness, mountsUnder } from './harness';
import { TestRegistry } from '../../helpers/registry';
import { RegistryProxy } from '../../helpers/registry-proxy';
import { OciLayout, busyboxTar, tarOf, skopeoPush } from '../../helpers/registry-images';
import { buildImages, seedRegistry, lines, type BuiltImages } from './registry-fixture';

let h: AgentHarness;
let reg: TestRegistry;
let proxy: RegistryProxy;
let img: BuiltImages;
let P: string;

before(async () => {
  img = buildImages();
  reg = await TestRegistry.start();
  await seedRegistry(img, reg.host);
  proxy = new RegistryProxy(reg.url);
  await proxy.start();
  P = proxy.host;
  h = await AgentHarness.create();
  // Docker Hub names are pulled through the real registry acting as a mirror.
  await skopeoPush(img.layout, 'busybox', `${reg.host}/library/mirrored:1`);
  h.extraArgs = ['--insecure-registry', reg.host, '--insecure-registry', '127.0.0.0/8', '--registry-mirror', `http://${reg.host}`];
  await h.start();
});

after(async () => {
  try {
    const left = await h.cleanup();
    assert.deepEqual(left, [], 'nothing may be left behind');
  } finally {
    await proxy.stop();
    reg.stop();
    img.cleanup();
  }
});

const blobFiles = () => readdirSync(join(h.dataRoot, 'content', 'sha256'));

test('docker pull: Docker v2 schema 2 image, progress messages, RepoDigests, up to date the second time', async () => {
  const r = await h.docker(['pull', `${P}/test/busybox:v2`]);
  assert.equal(r.code, 0, r.stderr + h.log());
  const out = lines(r.stdout);
  const layer = img.busybox.layerDigests[0].slice(7, 19);
  assert.equal(out[0], `v2: Pulling from ${P}/test/busybox`);
  for (const s of ['Pulling fs layer', 'Download complete', 'Pull complete']) assert.ok(out.includes(`${layer}: ${s}`), `${s} in\n${r.stdout}`);
  const digestLine = out.find((l) => l.startsWith('Digest: sha256:'));
  assert.ok(digestLine, r.stdout);
  assert.ok(out.includes(`Status: Downloaded newer image for ${P}/test/busybox:v2`), r.stdout);
  assert.equal(out[out.length - 1], `${P}/test/busybox:v2`);
  const inspect = JSON.parse((await h.docker(['image', 'inspect', `${P}/test/busybox:v2`])).stdout)[0];
  assert.equal(inspect.Id, img.busybox.configDigest, 'image ID = config digest');
  assert.deepEqual(inspect.RootFS.Layers, img.busybox.diffIds);
  assert.deepEqual(inspect.RepoDigests, [`${P}/test/busybox@${digestLine!.slice(8)}`]);
  const manifest = await reg.get('/v2/test/busybox/manifests/v2', { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
  assert.equal(manifest.headers['docker-content-digest'], digestLine!.slice(8));
  assert.equal((await h.docker(['run', '--rm', `${P}/test/busybox:v2`])).stdout, 'hello from the registry\n');
  const again = await h.docker(['pull', `${P}/test/busybox:v2`]);
  assert.ok(lines(again.stdout).includes(`Status: Image is up to date for ${P}/test/busybox:v2`), again.stdout);
  assert.ok(blobFiles().includes(img.busybox.layerDigests[0].slice(7)), 'the compressed blob is kept for pushes');
});

test('OCI image with gzip, zstd and plain-tar layers and whiteouts', async () => {
  const served = JSON.parse((await reg.get('/v2/test/layered/manifests/1', { Accept: 'application/vnd.oci.image.manifest.v1+json' })).body.toString());
  assert.deepEqual(served.layers.map((l: { mediaType: string }) => l.mediaType.split('.').pop()), ['tar+gzip', 'tar+zstd', 'tar']);
  const r = await h.docker(['pull', `${P}/test/layered:1`]);
  assert.equal(r.code, 0, r.stderr);
  const run = await h.docker(['run', '--rm', `${P}/test/layered:1`, 'sh', '-c', 'ls /data; ls /opq; test -e /etc/motd && echo motd-still-there; cat /data/added']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'added\nkeep\nc\nadded\n');
  const inspect = JSON.parse((await h.docker(['image', 'inspect', `${P}/test/layered:1`])).stdout)[0];
  assert.deepEqual(inspect.RootFS.Layers, img.layered.diffIds);
  assert.equal(inspect.Config.Labels.suite, 'registry');
  const again = await h.docker(['pull', `${P}/test/busybox:oci`]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(lines(again.stdout).includes(`${img.busybox.layerDigests[0].slice(7, 19)}: Already exists`), again.stdout);
});

test('multi-platform index: this platform by default, --platform picks another, attestations skipped', async () => {
  const r = await h.docker(['pull', `${P}/test/multi:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lines(r.stdout).includes(`Digest: ${img.index.digest}`), r.stdout);
  assert.equal((await h.docker(['run', '--rm', `${P}/test/multi:1`])).stdout, 'amd64 image\n');
  const arm = await h.docker(['pull', '--platform', 'linux/arm64', `${P}/test/multi:1`]);
  assert.equal(arm.code, 0, arm.stderr);
  const inspect = JSON.parse((await h.docker(['image', 'inspect', `${P}/test/multi:1`])).stdout)[0];
  assert.equal(inspect.Architecture, 'arm64');
  assert.equal(inspect.Id, img.arm64.configDigest);
  const none = await h.docker(['pull', '--platform', 'linux/s390x', `${P}/test/multi:1`]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no matching manifest for linux\/s390x.*available: linux\/amd64, linux\/arm64\/v8/);
});

test('docker run pulls a missing image; pull by digest; unknown tag and repository', async () => {
  const r = await h.docker(['run', '--rm', `${P}/test/busybox:oci`, 'echo', 'auto']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'auto\n');
  const byDigest = await h.docker(['pull', `${P}/test/busybox@${img.busybox.digest}`]);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  assert.ok(lines(byDigest.stdout).includes(`Digest: ${img.busybox.digest}`), byDigest.stdout);
  const list = await h.docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
  assert.ok(lines(list.stdout).some((l) => l.startsWith(`${P}/test/busybox `) && l.endsWith(img.busybox.digest)), list.stdout);
  const missingTag = await h.docker(['pull', `${P}/test/busybox:nope`]);
  assert.notEqual(missingTag.code, 0);
  assert.match(missingTag.stderr, /manifest for .*test\/busybox:nope.*manifest unknown/);
  const runMissing = await h.docker(['run', '--rm', `${P}/test/absent:1`]);
  assert.notEqual(runMissing.code, 0);
  assert.match(runMissing.stderr, /Unable to find image/);
  assert.match(runMissing.stderr, /name unknown|manifest unknown/);
});

/** A fresh single-layer image with random content, pushed by skopeo (so nothing is cached in the agent). */
async function freshImage(name: string, size: number): Promise<{ layer: string; config: string }> {
  const dir = join(h.base, `oci-${name}`);
  const oci = new OciLayout(dir);
  const rnd = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) rnd.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  const im = oci.addImage({ layers: [{ tar: busyboxTar(), compression: 'gzip' }, { tar: tarOf({ 'blob.bin': rnd }), compression: 'gzip' }] });
  oci.tag(im, 'x');
  await skopeoPush(dir, 'x', `${reg.host}/test/${name}:1`);
  return { layer: im.layerDigests[1], config: im.configDigest };
}

test('a pull answers once its layers are verified, they unpack after it, and a layer lost later unpacks again from the kept blob', async () => {
  const im = await freshImage('lazy', 2_000_000);
  const ref = `${P}/test/lazy:1`;
  const r = await h.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  // Image inspect reports the unpacked size, so it waits for the unpack the pull started.
  const inspect = JSON.parse((await h.docker(['image', 'inspect', ref])).stdout)[0];
  assert.ok(inspect.Size > 2_000_000, `size ${inspect.Size}`);
  assert.match(h.log(), new RegExp(`layers unpacked image=${ref.replace(/[.]/g, '\\.')}`));
  const top = join(h.dataRoot, 'layers', chainIds(inspect.RootFS.Layers).pop()!.slice(7));
  assert.ok(existsSync(join(top, 'layer.json')), 'the top layer is in place');
  rmSync(top, { recursive: true });
  const run = await h.docker(['run', '--rm', ref, 'sh', '-c', 'wc -c < /blob.bin']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), '2000000');
  assert.ok(existsSync(join(top, 'layer.json')), 'unpacked again from the compressed blob');
  assert.equal(JSON.parse((await h.docker(['image', 'inspect', ref])).stdout)[0].Id, im.config);
});

test('a stored layer blob damaged on disk is not taken for a bad image: run asks for a pull, the image stays, and a pull mends it', async () => {
  const im = await freshImage('damaged', 500_000);
  const ref = `${P}/test/damaged:1`;
  assert.equal((await h.docker(['pull', ref])).code, 0);
  const blob = join(h.dataRoot, 'content', 'sha256', im.layer.slice(7));
  // Damage inside the (stored, incompressible) deflate data shows in the blob's digest; damage
  // to the gzip header shows first as a gzip error, which is checked against the digest too.
  const damages: Array<[string, (b: Buffer) => void]> = [
    ['middle', (b) => b.fill(0xff, b.length >> 1, (b.length >> 1) + 64)],
    ['gzip magic', (b) => b.fill(0, 0, 2)],
  ];
  for (const [what, damage] of damages) {
    const inspect = JSON.parse((await h.docker(['image', 'inspect', ref])).stdout)[0];
    rmSync(join(h.dataRoot, 'layers', chainIds(inspect.RootFS.Layers).pop()!.slice(7)), { recursive: true });
    const bytes = readFileSync(blob);
    damage(bytes);
    writeFileSync(blob, bytes);
    const run = await h.docker(['run', '--rm', ref, 'true']);
    assert.notEqual(run.code, 0, `${what}: ${run.stdout}`);
    assert.match(run.stderr, new RegExp(`its layer blob ${im.layer} was damaged on this host's disk and has been removed; pull ${ref.replace(/[.]/g, '\\.')} again`), what);
    assert.equal(existsSync(blob), false, what);
    assert.equal(JSON.parse((await h.docker(['image', 'inspect', ref])).stdout)[0].Id, im.config, `${what}: the image stays`);
    const again = await h.docker(['pull', ref]);
    assert.equal(again.code, 0, `${what}: ${again.stderr}`);
    assert.match(again.stdout, new RegExp(`${im.layer.slice(7, 19)}: Pull complete`), `${what}: the blob is downloaded again, not refused`);
    const ok = await h.docker(['run', '--rm', ref, 'sh', '-c', 'wc -c < /blob.bin']);
    assert.equal(ok.stdout.trim(), '500000', `${what}: ${ok.stderr}`);
  }
  assert.match(h.log(), /a stored layer blob was damaged on disk and was removed/);
  assert.doesNotMatch(h.log(), /a pulled layer was refused/);
});

test('an agent stopped while a pulled image unpacks finishes it first, leaves no mount or half layer, and runs the image after it starts again', async () => {
  await freshImage('stopped', 16_000_000);
  const ref = `${P}/test/stopped:1`;
  const r = await h.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  // Stopped at once: the 16 MB layer is usually still unpacking.
  assert.equal(await h.stop('SIGTERM'), 0);
  assert.match(h.log(), /layers unpacked image=.*\/test\/stopped:1/, 'the unpack finished before the agent exited');
  assert.deepEqual(mountsUnder(h.dataRoot), []);
  assert.deepEqual(readdirSync(join(h.dataRoot, 'layers')).filter((n) => n.startsWith('tmp-')), []);
  await h.start();
  const run = await h.docker(['run', '--rm', ref, 'sh', '-c', 'wc -c < /blob.bin']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), '16000000');
});

test('two concurrent pulls of one image download each blob once', async () => {
  const im = await freshImage('concurrent', 4_000_000);
  proxy.behaviour.throttle = 8_000_000;
  try {
    const [a, b] = await Promise.all([h.docker(['pull', `${P}/test/concurrent:1`]), h.docker(['pull', `${P}/test/concurrent:1`])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
  } finally {
    proxy.behaviour.throttle = 0;
  }
  assert.equal(proxy.blobGets.get(im.layer), 1, 'the big layer was downloaded once');
  assert.equal(JSON.parse((await h.docker(['image', 'inspect', `${P}/test/concurrent:1`])).stdout)[0].Id, im.config);
});

test('a download cut midway resumes with a Range request; a pull that fails leaves no image and resumes later', async () => {
  const im = await freshImage('cut', 3_000_000);
  proxy.behaviour.cut = { bytes: 1_000_000, times: 1 };
  const r = await h.docker(['pull', `${P}/test/cut:1`]);
  assert.equal(r.code, 0, r.stderr + h.log());
  assert.equal(proxy.blobGets.get(im.layer), 2);
  assert.ok(proxy.ranges.some((x) => /^bytes=\d+-$/.test(x) && Number(x.slice(6, -1)) > 0), `ranges: ${proxy.ranges}`);

  const im2 = await freshImage('cut2', 3_000_000);
  proxy.behaviour.cut = { bytes: 500_000, times: 100 };
  const failed = await h.docker(['pull', `${P}/test/cut2:1`]);
  proxy.behaviour.cut = undefined;
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr + failed.stdout, /ended after|broke after/);
  assert.equal((await h.docker(['image', 'inspect', `${P}/test/cut2:1`])).code, 1, 'no image after a failed pull');
  assert.ok(!blobFiles().includes(im2.layer.slice(7)), 'no unverified blob in the store');
  const partial = join(h.dataRoot, 'content', 'ingest', im2.layer.slice(7));
  assert.ok(existsSync(partial), 'the partial download is kept');
  const kept = statSync(partial).size;
  assert.ok(kept >= 1_000_000, `kept ${kept} bytes`);
  const rangesBefore = proxy.ranges.length;
  const ok = await h.docker(['pull', `${P}/test/cut2:1`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(proxy.ranges.slice(rangesBefore).some((x) => x === `bytes=${kept}-`), `resumed: ${proxy.ranges.slice(rangesBefore)}`);
  assert.equal(JSON.parse((await h.docker(['image', 'inspect', `${P}/test/cut2:1`])).stdout)[0].Id, im2.config);
});

test('layers download while the config is fetched; a config that fails leaves none of them behind', async () => {
  const im = await freshImage('early', 1_000_000);
  proxy.behaviour.blob = { digest: im.config, holdMs: 400 };
  const start = proxy.requests.length;
  const r = await h.docker(['pull', `${P}/test/early:1`]);
  proxy.behaviour.blob = undefined;
  assert.equal(r.code, 0, r.stderr + h.log());
  const before = proxy.requests.slice(start, proxy.arrivedWhileHeld.at(-1));
  assert.ok(before.some((q) => q.path.endsWith(im.layer)), `the layer was asked for while the config was held: ${before.map((q) => q.path).join(' ')}`);
  assert.equal(JSON.parse((await h.docker(['image', 'inspect', `${P}/test/early:1`])).stdout)[0].Id, im.config);

  const im2 = await freshImage('early-fail', 1_000_000);
  proxy.behaviour.blob = { digest: im2.config, status: 500 };
  const failed = await h.docker(['pull', `${P}/test/early-fail:1`]);
  proxy.behaviour.blob = undefined;
  assert.notEqual(failed.code, 0);
  assert.equal(proxy.blobGets.get(im2.layer), 1, 'its layer download had begun');
  assert.equal((await h.docker(['image', 'inspect', `${P}/test/early-fail:1`])).code, 1, 'no image after a failed pull');
  assert.ok(!blobFiles().includes(im2.layer.slice(7)), 'no blob that no config vouched for');
  assert.ok(!existsSync(join(h.dataRoot, 'content', 'ingest', im2.layer.slice(7))), 'no partial download');
  const again = await h.docker(['pull', `${P}/test/early-fail:1`]);
  assert.equal(again.code, 0, again.stderr);
});

test('removing every image removes its layers, compressed blobs and manifests', async () => {
  const ids = lines((await h.docker(['images', '-aq'])).stdout);
  assert.ok(ids.length > 0);
  const r = await h.docker(['rmi', '-f', ...new Set(ids)]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(blobFiles(), []);
  assert.deepEqual(readdirSync(join(h.dataRoot, 'layers')), []);
});

test('--registry-mirror: Docker Hub names are pulled from the mirror; a name the mirror lacks falls through to the Hub', async () => {
  const r = await h.docker(['pull', 'mirrored:1']);
  assert.equal(r.code, 0, r.stderr + h.log());
  assert.ok(lines(r.stdout).includes('Status: Downloaded newer image for mirrored:1'), r.stdout);
  const inspect = JSON.parse((await h.docker(['image', 'inspect', 'mirrored:1'])).stdout)[0];
  assert.equal(inspect.Id, img.busybox.configDigest);
  assert.deepEqual(inspect.RepoTags, ['mirrored:1']);
  assert.match(inspect.RepoDigests[0], /^mirrored@sha256:[0-9a-f]{64}$/);
  assert.equal((await h.docker(['run', '--rm', 'mirrored:1'])).stdout, 'hello from the registry\n');

  const absent = await h.docker(['pull', 'tsm-not-mirrored:1']);
  assert.notEqual(absent.code, 0, 'nothing serves it: the mirror lacks it and Docker Hub is out of reach (or denies it)');
  assert.match(h.log(), new RegExp(`registry mirror failed; trying the next source.*${reg.host.replace(/[.]/g, '\\.')}`));
  assert.equal((await h.docker(['image', 'inspect', 'tsm-not-mirrored:1'])).code, 1, 'a failed pull leaves no image');
  assert.equal((await h.docker(['rmi', 'mirrored:1'])).code, 0);
});
