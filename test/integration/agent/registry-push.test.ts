// docker push to a real docker-registry: new layers gzip'd on the fly, existing blobs
// skipped, cross-repository mounts, pulled images pushed with their original blobs and
// manifest (byte-identical digests, checked by skopeo), chunked uploads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AgentHarness } from './harness';
import { TestRegistry } from '../../helpers/registry';
import { RegistryProxy } from '../../helpers/registry-proxy';
import { OciLayout, busyboxTar, tarOf, skopeoPush, skopeo } from '../../helpers/registry-images';
import { buildImages, seedRegistry, lines, type BuiltImages } from './registry-fixture';

let h: AgentHarness;
let reg: TestRegistry;
let reg2: TestRegistry;
let proxy2: RegistryProxy;
let img: BuiltImages;
let R: string;

const CHUNK = 1024 * 1024;

before(async () => {
  img = buildImages();
  reg = await TestRegistry.start();
  reg2 = await TestRegistry.start();
  proxy2 = new RegistryProxy(reg2.url);
  await proxy2.start();
  await seedRegistry(img, reg.host);
  R = reg.host;
  h = await AgentHarness.create();
  h.extraArgs = ['--insecure-registry', '127.0.0.0/8', '--registry-upload-chunk', String(CHUNK)];
  await h.start();
});

after(async () => {
  try {
    assert.deepEqual(await h.cleanup(), [], 'nothing may be left behind');
  } finally {
    await proxy2.stop();
    reg.stop();
    reg2.stop();
    img.cleanup();
  }
});

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const rawManifest = async (ref: string) => Buffer.from(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]));

/** skopeo copies an image out of the registry into a dir: (manifest and blobs by digest). */
async function skopeoDir(ref: string): Promise<{ dir: string; manifest: Buffer; blob(d: string): Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-skopeo-'));
  await skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `dir:${dir}`]);
  return { dir, manifest: readFileSync(join(dir, 'manifest.json')), blob: (d) => readFileSync(join(dir, d.slice(7))) };
}

test('push an imported image: layers gzip\'d, manifest and digest read back by skopeo', async () => {
  assert.equal((await h.importBusybox(`${R}/mine/bb:1`, ['--change', 'CMD ["echo","pushed"]'])).code, 0);
  const r = await h.docker(['push', `${R}/mine/bb:1`]);
  assert.equal(r.code, 0, r.stderr + h.log());
  const out = lines(r.stdout);
  assert.equal(out[0], `The push refers to repository [${R}/mine/bb]`);
  const inspect = JSON.parse((await h.docker(['image', 'inspect', `${R}/mine/bb:1`])).stdout)[0];
  const diffId: string = inspect.RootFS.Layers[0];
  assert.ok(out.includes(`${diffId.slice(7, 19)}: Pushed`), r.stdout);
  const last = /^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(out[out.length - 1]);
  assert.ok(last, r.stdout);
  const raw = await rawManifest(`${R}/mine/bb:1`);
  assert.equal(sha(raw), last[1], 'the digest docker printed is the registry\'s');
  assert.equal(raw.length, Number(last[2]));
  const m = JSON.parse(raw.toString());
  assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(m.config.digest, inspect.Id);
  const copy = await skopeoDir(`${R}/mine/bb:1`);
  try {
    assert.equal(sha(gunzipSync(copy.blob(m.layers[0].digest))), diffId, 'the gzip\'d layer unpacks to the diff ID');
    assert.equal(sha(copy.blob(m.config.digest)), inspect.Id);
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
  assert.ok(JSON.parse((await h.docker(['image', 'inspect', `${R}/mine/bb:1`])).stdout)[0].RepoDigests.includes(`${R}/mine/bb@${last[1]}`));
  const again = await h.docker(['push', `${R}/mine/bb:1`]);
  assert.ok(lines(again.stdout).includes(`${diffId.slice(7, 19)}: Layer already exists`), again.stdout);
  assert.ok(lines(again.stdout).includes(`1: digest: ${last[1]} size: ${last[2]}`), again.stdout);
});

test('a layer known in another repository of the registry is mounted', async () => {
  assert.equal((await h.docker(['tag', `${R}/mine/bb:1`, `${R}/other/bb:2`])).code, 0);
  const r = await h.docker(['push', `${R}/other/bb:2`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lines(r.stdout).some((l) => l.endsWith(': Mounted from mine/bb')), r.stdout);
  assert.equal(JSON.parse((await rawManifest(`${R}/other/bb:2`)).toString()).config.digest, JSON.parse((await rawManifest(`${R}/mine/bb:1`)).toString()).config.digest);
});

test('a pulled image pushes its original blobs and manifest: skopeo sees identical digests', async () => {
  const since = (Date.now() / 1000).toFixed(3);
  assert.equal((await h.docker(['pull', `${R}/test/layered:1`])).code, 0);
  const original = await rawManifest(`${R}/test/layered:1`);
  assert.equal((await h.docker(['tag', `${R}/test/layered:1`, `${proxy2.host}/copy/layered:1`])).code, 0);
  const r = await h.docker(['push', `${proxy2.host}/copy/layered:1`]);
  assert.equal(r.code, 0, r.stderr + h.log());
  // As dockerd: the actor of pull and push events is the reference.
  const events = await h.docker(['events', '--since', since, '--until', (Date.now() / 1000 + 0.001).toFixed(3), '--filter', 'type=image', '--filter', 'event=pull', '--filter', 'event=push', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']);
  assert.deepEqual(lines(events.stdout), [`pull ${R}/test/layered:1 ${R}/test/layered:1`, `push ${proxy2.host}/copy/layered:1 ${proxy2.host}/copy/layered:1`]);
  const out = lines(r.stdout);
  assert.ok(out.includes(`1: digest: ${sha(original)} size: ${original.length}`), r.stdout);
  const pushed = await rawManifest(`${reg2.host}/copy/layered:1`);
  assert.ok(pushed.equals(original), 'byte-identical manifest (zstd and plain-tar layers kept as they were)');
  for (const d of img.layered.layerDigests) {
    const b = await reg2.get(`/v2/copy/layered/blobs/${d}`);
    assert.equal(sha(b.body), d, `${b.status} ${b.body.subarray(0, 200).toString()} ${r.stdout} ${JSON.stringify(proxy2.requests)}`);
  }
  const verified = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${reg2.host}/copy/layered:1`]));
  assert.deepEqual(verified.Layers, img.layered.layerDigests, 'skopeo reads the pushed image');
  assert.equal((await h.docker(['tag', `${R}/test/layered:1`, `${R}/copy/layered:1`])).code, 0);
  const mounted = await h.docker(['push', `${R}/copy/layered:1`]);
  assert.equal(lines(mounted.stdout).filter((l) => l.endsWith('Mounted from test/layered')).length, 3, mounted.stdout);
});

test('big blobs go up in chunks (Content-Range PATCHes) and small ones in one PUT', async () => {
  const dir = join(h.base, 'oci-big');
  const oci = new OciLayout(dir);
  const rnd = Buffer.alloc(2_500_000);
  for (let i = 0; i < rnd.length; i += 4) rnd.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  const im = oci.addImage({ layers: [{ tar: busyboxTar(), compression: 'gzip' }, { tar: tarOf({ 'big.bin': rnd }), compression: 'gzip' }] });
  oci.tag(im, 'x');
  await skopeoPush(dir, 'x', `${R}/test/big:1`);
  assert.equal((await h.docker(['pull', `${R}/test/big:1`])).code, 0);
  assert.equal((await h.docker(['tag', `${R}/test/big:1`, `${proxy2.host}/copy/big:1`])).code, 0);
  const before = proxy2.requests.length;
  const r = await h.docker(['push', `${proxy2.host}/copy/big:1`]);
  assert.equal(r.code, 0, r.stderr);
  const reqs = proxy2.requests.slice(before);
  const patches = reqs.filter((q) => q.method === 'PATCH').length;
  assert.equal(patches, Math.ceil(im.size && (Buffer.byteLength(readFileSync(join(dir, 'blobs/sha256', im.layerDigests[1].slice(7)))) / CHUNK)), `PATCHes: ${patches}`);
  assert.ok(reqs.some((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/')), 'uploads closed with PUT');
  const copy = await skopeoDir(`${reg2.host}/copy/big:1`);
  try {
    assert.equal(sha(copy.blob(im.layerDigests[1])), im.layerDigests[1]);
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
});

test('a layer upload whose connection breaks goes up again in a new session, and the image arrives whole', async () => {
  const rnd = Buffer.alloc(300_000);
  for (let i = 0; i < rnd.length; i += 4) rnd.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  const name = `${proxy2.host}/retry/img:1`;
  assert.equal((await h.docker(['import', '-', name], { input: tarOf({ 'r.bin': rnd }) })).code, 0);
  proxy2.behaviour.breakUploads = { times: 1 };
  const before = proxy2.requests.length;
  try {
    const r = await h.docker(['push', name]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(proxy2.behaviour.breakUploads.times, 0, 'an upload was broken');
    assert.match(r.stdout, /Retrying in 1 second/);
    const sessions = proxy2.requests.slice(before).filter((q) => q.method === 'POST' && q.path.includes('/retry/img/blobs/uploads/'));
    assert.ok(sessions.length >= 3, `config, the broken layer upload and its new session: ${JSON.stringify(sessions)}`);
  } finally {
    proxy2.behaviour.breakUploads = undefined;
  }
  const copy = await skopeoDir(`${reg2.host}/retry/img:1`);
  try {
    const m = JSON.parse(copy.manifest.toString());
    const layer = copy.blob(m.layers[0].digest);
    assert.equal(sha(layer), m.layers[0].digest);
    assert.ok(gunzipSync(layer).includes(rnd.subarray(0, 4096)), 'the layer holds the imported data');
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
});

test('pushing a tag that does not exist, or to a repository without that tag', async () => {
  const r = await h.docker(['push', `${R}/nothing/here:1`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /An image does not exist locally with the tag: .*nothing\/here/);
});
