// Registries that lie: wrong blob and manifest digests, a config that does not match its
// manifest, layers whose content does not match rootfs.diff_ids, schema 1, hostile tars.
// What the digests catch fails the pull. What only the content shows (diff IDs, tars, gzip)
// is caught as the layer unpacks: the image is removed, `run` and a new pull fail with the
// reason. Either way nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AgentHarness, type RunResult } from './harness';
import { waitFor } from '../../../src/core/wait';
import { HostileRegistry, sha256 } from '../../helpers/registry-hostile';
import { busyboxTar, tarOf } from '../../helpers/registry-images';
import { tarArchive } from '../../unit/agent/tar-fixture';

let h: AgentHarness;
let reg: HostileRegistry;

before(async () => {
  reg = new HostileRegistry();
  await reg.start();
  h = await AgentHarness.create();
  h.extraArgs = ['--insecure-registry', reg.host];
  await h.start();
});

after(async () => {
  try {
    assert.deepEqual(await h.cleanup(), [], 'nothing may be left behind');
  } finally {
    await reg.stop();
  }
});

const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Publishes an image whose parts can be tampered with. Returns its reference. */
function publish(name: string, o: { layerTar?: Buffer; diffIds?: string[]; layerBytes?: Buffer; layerDigestOfBytes?: boolean; configBytes?: Buffer; extraLayers?: number } = {}): string {
  const tar = o.layerTar ?? tarOf({ 'hello.txt': 'hi\n' });
  const gz = gzipSync(tar);
  // layerDigestOfBytes: the descriptor matches the bytes served (only their content lies).
  const layer = reg.blob(o.layerBytes ?? gz, sha256(o.layerDigestOfBytes && o.layerBytes ? o.layerBytes : gz));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: o.diffIds ?? [sha256(tar)] }, history: [] }));
  const cfg = reg.blob(o.configBytes ?? config, sha256(config));
  const layers = Array.from({ length: 1 + (o.extraLayers ?? 0) }, () => ({ mediaType: GZ, ...layer }));
  reg.manifest(`evil/${name}`, '1', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers });
  return `${reg.host}/evil/${name}:1`;
}

function stored(): string[] {
  const list = (d: string) => { try { return readdirSync(join(h.dataRoot, d)).map((x) => `${d}/${x}`); } catch { return []; } };
  return [...list('content/sha256'), ...list('content/ingest'), ...list('layers'), ...list('images/configs')].sort();
}

async function expectRefused(ref: string, pattern: RegExp): Promise<void> {
  const before = stored();
  const r = await h.docker(['pull', ref]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr + r.stdout, pattern);
  assert.deepEqual(stored(), before, 'nothing stored');
  assert.equal((await h.docker(['images', '-q'])).stdout, '');
}

test('a layer whose bytes do not match its digest', async () => {
  await expectRefused(publish('layer-digest', { layerBytes: gzipSync(tarOf({ 'other.txt': 'evil\n' })) }), /blob sha256:[0-9a-f]{64} .* failed verification/);
});

test('a config whose bytes do not match its digest', async () => {
  const evilConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['rm', '-rf', '/'] }, rootfs: { type: 'layers', diff_ids: [] } }));
  await expectRefused(publish('config-digest', { configBytes: evilConfig }), /image config sha256:[0-9a-f]{64} .* failed verification/);
});

test('a manifest whose config does not match it (layer count)', async () => {
  await expectRefused(publish('config-mismatch', { extraLayers: 1 }), /lists 1 layers \(rootfs\.diff_ids\) but the manifest has 2/);
});

/**
 * A layer blob that matches its digest but whose content is unusable: the pull answers, the
 * unpack behind it refuses the layer and removes the image. `docker run` at once says why, and
 * so does pulling the image again; nothing stays stored.
 */
async function expectRefusedOnUnpack(ref: string, pattern: RegExp): Promise<void> {
  const before = stored();
  const pulled = await h.docker(['pull', ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const blob = /layer (sha256:[0-9a-f]{64})/;
  const run = await h.docker(['run', '--rm', '--network', 'none', ref, 'true']);
  assert.notEqual(run.code, 0, run.stdout);
  assert.match(run.stderr, pattern);
  assert.match(run.stderr, blob);
  assert.equal((await h.docker(['images', '-q'])).stdout, '', 'the image was removed');
  assert.equal((await h.docker(['ps', '-aq'])).stdout, '', 'no container was created');
  assert.deepEqual(stored(), before, 'nothing stored');
  const again = await h.docker(['pull', ref]);
  assert.notEqual(again.code, 0, again.stdout);
  assert.match(again.stderr, pattern);
  assert.match(again.stderr, /found as it was unpacked after an earlier pull/);
  assert.doesNotMatch(again.stdout, /Pulling fs layer/, 'a refused blob is not downloaded again');
  assert.equal(blob.exec(again.stderr)?.[1], blob.exec(run.stderr)?.[1], 'the same blob is named');
  assert.deepEqual(stored(), before, 'nothing stored by the refused pull');
  assert.equal((await h.docker(['images', '-q'])).stdout, '');
  assert.match(h.log(), /a pulled layer was refused as it was unpacked/);
}

test('a layer whose content does not match rootfs.diff_ids', async () => {
  await expectRefusedOnUnpack(publish('diffid', { diffIds: [sha256(Buffer.from('something else'))] }), /layer sha256:[0-9a-f]{64} failed verification: layer content hashes to sha256:[0-9a-f]{64}, but the image config says/);
});

test('a manifest fetched by digest whose bytes hash to something else', async () => {
  const good = publish('by-digest');
  const body = reg.manifests.get('evil/by-digest/manifests/1')!;
  const fake = `sha256:${'0'.repeat(64)}`;
  reg.manifests.set(`evil/by-digest/manifests/${fake}`, body);
  await expectRefused(`${good.replace(/:1$/, '')}@${fake}`, /manifest sha256:0{64} of .* failed verification/);
});

test('schema 1 manifests are refused with a clear error', async () => {
  reg.manifest('evil/schema1', '1', { schemaVersion: 1, name: 'evil/schema1', tag: '1', fsLayers: [], history: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
  await expectRefused(`${reg.host}/evil/schema1:1`, /schema 1, which is deprecated and not supported/);
});

test('a layer that climbs out of its folder is refused', async () => {
  const escape = tarArchive([{ name: '../../escape.txt', data: 'x' }]);
  await expectRefusedOnUnpack(publish('escape', { layerTar: escape }), /is not a safe layer archive: .*escapes the root/);
});

test('a hard link that climbs out of its folder is refused', async () => {
  const escape = tarArchive([{ name: 'ok.txt', data: 'x' }, { name: 'hard', type: '1', linkname: '../../etc/shadow' }]);
  await expectRefusedOnUnpack(publish('hardlink-escape', { layerTar: escape }), /is not a safe layer archive: .*escapes the root/);
});

test('a layer that is not the gzip its media type says is refused', async () => {
  const tar = tarOf({ 'hello.txt': 'hi\n' });
  // Padded, so the blob is not the diff ID's own content (which the store would rightly take as the plain tar).
  const served = Buffer.concat([tar, Buffer.alloc(512)]);
  await expectRefusedOnUnpack(publish('not-gzip', { layerBytes: served, layerDigestOfBytes: true, diffIds: [sha256(tar)] }), /layer sha256:[0-9a-f]{64} could not be decompressed as gzip: a member does not start with the gzip magic bytes/);
});

/** Publishes an image of these gzip'd layers, each recorded under its own diff ID unless `diffId` says otherwise. */
function publishLayers(name: string, layers: Array<{ tar: Buffer; diffId?: string }>): string {
  const descs = layers.map(({ tar }) => ({ mediaType: GZ, ...reg.blob(gzipSync(tar)) }));
  const diffIds = layers.map((l) => l.diffId ?? sha256(l.tar));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['cat', '/etc/which'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: [] }));
  reg.manifest(`evil/${name}`, '1', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...reg.blob(config) }, layers: descs });
  return `${reg.host}/evil/${name}:1`;
}

test('a refused layer takes only the images that need it: one sharing its good base layer stays, and runs', async () => {
  const before = stored();
  const base = busyboxTar();
  const good = publishLayers('shared-good', [{ tar: base }, { tar: tarOf({ 'etc/which': 'good\n' }) }]);
  const bad = publishLayers('shared-bad', [{ tar: base }, { tar: tarOf({ 'etc/which': 'bad\n' }), diffId: sha256(Buffer.from('not this')) }]);
  assert.equal((await h.docker(['pull', good])).code, 0);
  const pulled = await h.docker(['pull', bad]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /Already exists/, 'the base layer is shared');
  const run = await h.docker(['run', '--rm', '--network', 'none', bad]);
  assert.notEqual(run.code, 0, run.stdout);
  assert.match(run.stderr, /failed verification: layer content hashes to/);
  assert.deepEqual((await h.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.trim().split('\n'), [good]);
  const ok = await h.docker(['run', '--rm', '--network', 'none', good]);
  assert.equal(ok.stdout, 'good\n', ok.stderr);
  assert.equal((await h.docker(['rmi', good])).code, 0);
  assert.deepEqual(stored(), before, 'nothing stored');
});

/**
 * An image whose one layer does not match its diff ID and holds thousands of files: its
 * unpack takes far longer than the CLI's next request, and the mismatch shows at its end.
 */
function publishSlowBad(name: string): string {
  return publishLayers(name, [slowBadLayer(name)]);
}

function slowBadLayer(name: string): { tar: Buffer; diffId: string } {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) files[`data/f${i}`] = `${name} ${i}\n`;
  return { tar: tarOf(files), diffId: sha256(Buffer.from(`not ${name}`)) };
}

/**
 * Pulls a slow bad image (see publishSlowBad) and at once `use`s it, which must wait for the
 * layer's check and fail with the refusal. Then the image is gone, no container was made, and
 * nothing is stored. Returns what `use` printed.
 */
async function useAtOnceAfterPull(name: string, use: (ref: string) => Promise<RunResult>): Promise<{ ref: string; out: string }> {
  const before = stored();
  const ref = publishSlowBad(name);
  assert.equal((await h.docker(['pull', ref])).code, 0);
  const r = await use(ref);
  assert.notEqual(r.code, 0, r.stdout);
  const out = r.stderr + r.stdout;
  assert.match(out, /was removed, it cannot be used: layer sha256:[0-9a-f]{64} failed verification: layer content hashes to/);
  assert.equal((await h.docker(['images', '-q'])).stdout, '');
  assert.equal((await h.docker(['ps', '-aq'])).stdout, '', 'no container was made');
  assert.deepEqual(stored(), before, 'nothing stored');
  return { ref, out };
}

test('run at once after the pull, while the bad layer still unpacks: create waits for it and fails with the reason, and the image is gone', async () => {
  const { ref, out } = await useAtOnceAfterPull('slow-bad', (r) => h.docker(['run', '--rm', '--network', 'none', r]));
  assert.match(out, new RegExp(`image ${ref.replace(/[.]/g, '\\.')} was removed`));
  assert.doesNotMatch(out, /Unable to find image/, 'the image was still there when run asked');
});

test('push right after the pull waits for the layer check: a bad image is refused with the reason, not sent on', async () => {
  await useAtOnceAfterPull('push-bad', async (ref) => {
    const copy = `${reg.host}/evil/push-copy:1`;
    assert.equal((await h.docker(['tag', ref, copy])).code, 0);
    return h.docker(['push', copy]);
  });
});

test('save right after the pull waits for the layer check: a bad image is refused with the reason, no archive is written', async () => {
  const file = join(h.base, 'bad.tar');
  await useAtOnceAfterPull('save-bad', (ref) => h.docker(['save', '-o', file, ref]));
  assert.equal(existsSync(file), false);
});

test('a pull that counts as present a layer another pull\'s unpack then refuses ends with neither image', async () => {
  const before = stored();
  const bad = slowBadLayer('shared-slow');
  const first = publishLayers('share-1', [bad]);
  const second = publishLayers('share-2', [bad, { tar: tarOf({ 'etc/which': 'second\n' }) }]);
  assert.equal((await h.docker(['pull', first])).code, 0);
  // Whether the refusal comes before this pull records its image (the pull fails) or after
  // (the refusal removes it too), it must not leave an image without its layer.
  const pulled = await h.docker(['pull', second]);
  if (pulled.code !== 0) assert.match(pulled.stderr, /failed verification: layer content hashes to/);
  const run = await h.docker(['run', '--rm', '--network', 'none', second]);
  assert.notEqual(run.code, 0, run.stdout);
  assert.match(run.stderr, /failed verification: layer content hashes to/);
  assert.equal((await h.docker(['images', '-q'])).stdout, '');
  assert.equal((await h.docker(['ps', '-aq'])).stdout, '');
  assert.deepEqual(stored(), before, 'nothing stored');
});

test('a pull whose shared layer is refused while it downloads the rest fails with the reason, and records nothing', async () => {
  const before = stored();
  const bad = slowBadLayer('shared-held');
  const top = tarOf({ 'etc/which': 'held\n' });
  const first = publishLayers('held-1', [bad]);
  const second = publishLayers('held-2', [bad, { tar: top }]);
  const release = reg.holdBlob(sha256(gzipSync(top)));
  try {
    assert.equal((await h.docker(['pull', first])).code, 0);
    // The second pull counts the shared layer as present (it is unpacking) and waits for its top layer.
    const pulling = h.docker(['pull', second]);
    await waitFor(async () => (await h.docker(['images', '-q'])).stdout === '', { timeoutMs: 60_000, what: 'the first image to be refused' });
    release();
    const pulled = await pulling;
    assert.notEqual(pulled.code, 0, pulled.stdout);
    assert.match(pulled.stderr, /failed verification: layer content hashes to .* \(found as it was unpacked (for another|after an earlier) pull\)/);
  } finally {
    release();
  }
  assert.equal((await h.docker(['images', '-q'])).stdout, '');
  assert.deepEqual(stored(), before, 'nothing stored');
});

test('a layer refused only because of its parents takes only that chain: the same layer on other parents is kept, and runs', async () => {
  const before = stored();
  // x/y with no folder member: it unpacks on its parents, where x may be a file.
  const layer = tarArchive([{ name: 'x/y', data: 'y\n' }]);
  const onFile = publishLayers('parent-file', [{ tar: tarArchive([{ name: 'x', data: 'a file\n' }]) }, { tar: layer }]);
  const onBusybox = publishLayers('parent-ok', [{ tar: busyboxTar() }, { tar: layer }]);
  assert.equal((await h.docker(['pull', onFile])).code, 0);
  const run = await h.docker(['run', '--rm', '--network', 'none', onFile, 'true']);
  assert.notEqual(run.code, 0, run.stdout);
  assert.match(run.stderr, /is not a safe layer archive: "x\/y": parent is not a directory/);
  assert.equal((await h.docker(['images', '-q'])).stdout, '', 'that image is removed');
  const pulled = await h.docker(['pull', onBusybox]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const ok = await h.docker(['run', '--rm', '--network', 'none', onBusybox, 'cat', '/x/y']);
  assert.equal(ok.stdout, 'y\n', ok.stderr);
  assert.equal((await h.docker(['rmi', onBusybox])).code, 0);
  assert.deepEqual(stored(), before, 'nothing stored');
});

test('a refusal outlives an agent restart: the pull after it fails at once, without a download', async () => {
  const ref = publish('after-restart', { diffIds: [sha256(Buffer.from('not after-restart'))] });
  assert.equal((await h.docker(['pull', ref])).code, 0);
  assert.notEqual((await h.docker(['run', '--rm', '--network', 'none', ref, 'true'])).code, 0);
  assert.equal(await h.stop('SIGTERM'), 0);
  await h.start();
  const again = await h.docker(['pull', ref]);
  assert.notEqual(again.code, 0, again.stdout);
  assert.match(again.stderr, /failed verification: .*\(found as it was unpacked after an earlier pull\)/);
  assert.doesNotMatch(again.stdout, /Pulling fs layer/);
  assert.equal((await h.docker(['images', '-q'])).stdout, '');
});
