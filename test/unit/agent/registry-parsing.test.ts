import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { parseChallenges } from '../../../src/agent/registry/www-authenticate';
import { decodeRegistryAuth, authConfigFromJson } from '../../../src/agent/registry/auth-config';
import { parseManifest, selectPlatform, parsePlatform, ManifestError, MT, type ImageIndex } from '../../../src/agent/registry/manifest';
import { isInsecureRegistry, registryHost } from '../../../src/agent/registry/registry-endpoint';
import { decompressStream, verifyDigest, DiffIdMismatchError } from '../../../src/agent/layers/decompress-stream';
import { humanSize, progressBar } from '../../../src/agent/images/json-progress';
import { loginDomain } from '../../../src/agent/api/registry-routes';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('WWW-Authenticate: Bearer with quoted params, several challenges, Basic', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/bb:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/bb:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="x y", Bearer realm=r,service="s\\"q"']), [
    { scheme: 'basic', params: { realm: 'x y' } },
    { scheme: 'bearer', params: { realm: 'r', service: 's"q' } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('X-Registry-Auth: base64url JSON, any key case, auth field, junk is anonymous', () => {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.deepEqual(decodeRegistryAuth(enc({ username: 'u', password: 'p?>>', serveraddress: 'r:5000' })), { username: 'u', password: 'p?>>', identitytoken: undefined, registrytoken: undefined, serveraddress: 'r:5000' });
  assert.equal(decodeRegistryAuth(enc({ Username: 'U', Password: 'P' })).username, 'U');
  assert.deepEqual([authConfigFromJson({ auth: Buffer.from('a:b:c').toString('base64') }).username, authConfigFromJson({ auth: Buffer.from('a:b:c').toString('base64') }).password], ['a', 'b:c']);
  assert.equal(decodeRegistryAuth(enc({ identitytoken: 'tok' })).identitytoken, 'tok');
  assert.deepEqual(decodeRegistryAuth('%%%not base64'), {});
  assert.deepEqual(decodeRegistryAuth(undefined), {});
  assert.deepEqual(decodeRegistryAuth(enc({})), { username: undefined, password: undefined, identitytoken: undefined, registrytoken: undefined, serveraddress: undefined });
});

test('manifests: schema 2, OCI, index by shape or content type; schema 1 and unknown layers refused', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: MT.dockerConfig, digest: D('a'), size: 2 }, layers: [{ mediaType: MT.dockerLayerGzip, digest: D('b'), size: 3 }] })));
  assert.equal(m.kind, 'manifest');
  const noType = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), 'application/vnd.oci.image.index.v1+json; charset=x');
  assert.deepEqual(noType, { kind: 'index', mediaType: MT.ociIndex, manifests: [] });
  const err = (b: unknown, ct?: string) => { try { parseManifest(Buffer.from(typeof b === 'string' ? b : JSON.stringify(b)), ct); } catch (e) { return (e as ManifestError).code; } return 'none'; };
  assert.equal(err({ schemaVersion: 1, fsLayers: [] }), 'MANIFEST_SCHEMA1');
  assert.equal(err({ signatures: [] }, MT.dockerSchema1Signed), 'MANIFEST_SCHEMA1');
  assert.equal(err('not json'), 'MANIFEST_INVALID');
  assert.equal(err({ config: { digest: D('a'), size: 1 }, layers: [{ mediaType: 'application/x-evil', digest: D('b'), size: 1 }] }), 'MANIFEST_UNSUPPORTED');
  assert.equal(err({ config: { digest: 'md5:abc', size: 1 }, layers: [] }), 'MANIFEST_INVALID');
  assert.equal(err({ config: { digest: D('a'), size: -1 }, layers: [] }), 'MANIFEST_INVALID');
});

test('platform selection: os/arch, variants (arm64 means v8), attestations skipped', () => {
  const e = (os: string, architecture: string, variant?: string, digest = D('1'), annotations?: Record<string, string>) => ({ mediaType: MT.ociManifest, digest, size: 1, platform: { os, architecture, ...(variant ? { variant } : {}) }, annotations });
  const index: ImageIndex = { kind: 'index', mediaType: MT.ociIndex, manifests: [
    e('unknown', 'unknown', undefined, D('0'), { 'vnd.docker.reference.type': 'attestation-manifest' }),
    e('linux', 'arm', 'v6', D('6')), e('linux', 'arm', 'v7', D('7')), e('linux', 'arm64', undefined, D('8')), e('linux', 'amd64', undefined, D('a')), e('windows', 'amd64', undefined, D('w')),
  ] };
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, D('a'));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, D('8'));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm' }).digest, D('7'), 'arm defaults to v7');
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v6' }).digest, D('6'));
  assert.throws(() => selectPlatform(index, { os: 'linux', architecture: 's390x' }), (x: ManifestError) => x.code === 'NO_MATCHING_PLATFORM' && /available: linux\/arm\/v6, linux\/arm\/v7, linux\/arm64, linux\/amd64, windows\/amd64/.test(x.message));
  assert.deepEqual(parsePlatform('linux/arm64/v8', { os: 'linux', architecture: 'amd64' }), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('', { os: 'linux', architecture: 'amd64' }), { os: 'linux', architecture: 'amd64' });
});

test('registry endpoints: Docker Hub host, insecure by host, host:port or CIDR', () => {
  assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
  assert.equal(registryHost('127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(isInsecureRegistry('reg:5000', ['reg:5000']), true);
  assert.equal(isInsecureRegistry('reg:5000', ['reg']), true);
  assert.equal(isInsecureRegistry('reg:5001', ['reg:5000']), false);
  assert.equal(isInsecureRegistry('10.1.2.3:5000', ['10.0.0.0/8']), true);
  assert.equal(isInsecureRegistry('11.1.2.3:5000', ['10.0.0.0/8']), false);
  assert.equal(isInsecureRegistry('127.0.0.1:5000', []), false, 'loopback is not implicitly insecure');
  assert.equal(loginDomain('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(loginDomain('https://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(loginDomain('reg.example:443'), 'reg.example:443');
});

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(Buffer.from(c));
  return Buffer.concat(out);
}
async function* chunked(b: Buffer, n = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

test('layer decompression: gzip, zstd (pure JS, multi-frame), plain; diff ID checked at the end', async () => {
  const data = Buffer.from('tsagent layer '.repeat(50_000));
  assert.ok((await collect(decompressStream(chunked(gzipSync(data)), 'gzip'))).equals(data));
  assert.ok((await collect(decompressStream(chunked(data), 'none'))).equals(data));
  const z = spawnSync('zstd', ['-q', '-c'], { input: data });
  if (z.status === 0) {
    const twoFrames = Buffer.concat([z.stdout, z.stdout]);
    assert.ok((await collect(decompressStream(chunked(twoFrames, 777), 'zstd'))).equals(Buffer.concat([data, data])));
  }
  assert.ok((await collect(verifyDigest(chunked(data), sha(data)))).equals(data));
  await assert.rejects(collect(verifyDigest(chunked(data), D('f'))), DiffIdMismatchError);
});

test('progress: Docker units and bar', () => {
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1_234_567), '1.23MB');
  assert.equal(progressBar(50, 100), `[${'='.repeat(24)}>${' '.repeat(25)}]      50B/100B`);
  assert.equal(progressBar(100, 100).slice(0, 52), `[${'='.repeat(50)}]`);
});

test('parallel gzip: multi-member output that gunzip reads back whole, empty input included', async () => {
  const { parallelGzip } = await import('../../../src/agent/images/blob-upload');
  const { gunzipSync } = await import('node:zlib');
  const data = Buffer.alloc(3_500_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
  const out = await collect(parallelGzip(chunked(data, 300_000)));
  assert.ok(gunzipSync(out).equals(data));
  assert.equal(gunzipSync(await collect(parallelGzip(chunked(Buffer.alloc(0))))).length, 0);
});

test('parallel gzip stores blocks that do not compress (random or already compressed) and compresses the rest', async () => {
  const { parallelGzip, gzipLevel } = await import('../../../src/agent/images/blob-upload');
  const { gunzipSync, gzipSync } = await import('node:zlib');
  const { randomBytes } = await import('node:crypto');
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(24_000)).subarray(0, 1 << 20);
  const random = randomBytes(1 << 20);
  const gz = gzipSync(randomBytes(1 << 20).toString('hex')); // an already-compressed file
  assert.equal(await gzipLevel(random), 0);
  assert.equal(await gzipLevel(gz.subarray(0, 1 << 20)), 0);
  assert.equal(await gzipLevel(text), 6);
  // Random data with text in the middle (a tar of a binary and a text file) is compressed.
  assert.equal(await gzipLevel(Buffer.concat([random.subarray(0, 400_000), text.subarray(0, 248_576), random.subarray(0, 400_000)])), 6);
  const data = Buffer.concat([text, random, text]);
  const out = await collect(parallelGzip(chunked(data, 300_000)));
  assert.ok(gunzipSync(out).equals(data));
  assert.ok(out.length < random.length + 40_000, `random stored, text compressed: ${out.length} bytes`);
  assert.ok(out.length > random.length, 'the random block is all there');
});
