import { posix } from 'node:path';
import type { Engine } from '../engine';
import { badRequest } from '../http/api-error';
import { readTar } from '../layers/tar-reader';
import { detectCompression, decompressed } from './decompress';
import type { ImageConfig } from './image-config';
import { normalizeReference, familiarString, parseReference } from './reference';
import { MT, isAttestation, parseManifest, selectPlatform, type Descriptor, type Manifest } from '../registry/manifest';
import { wantedPlatform } from './manifest-fetch';
import { goArch } from './image-config';
import { sha256Digest } from '../util/ids';
import { LayerDefectError } from '../layers/layer-defect';

const SMALL = 4 * 1024 * 1024;

interface Members {
  small: Map<string, Buffer>;
  /** Member name -> digest of its bytes in the content store. */
  big: Map<string, string>;
  links: Map<string, string>;
}

const clean = (n: string) => posix.normalize(n.replace(/^\.?\/+/, '')).replace(/\/+$/, '');

async function readMembers(engine: Engine, source: AsyncIterable<Buffer>): Promise<Members> {
  const m: Members = { small: new Map(), big: new Map(), links: new Map() };
  for await (const e of readTar(await decompressed(source))) {
    const name = clean(e.header.name);
    if (e.header.type === 'symlink') m.links.set(name, clean(posix.join(posix.dirname(name), e.header.linkname)));
    else if (e.header.type === 'hardlink') m.links.set(name, clean(e.header.linkname));
    else if (e.header.type === 'file' && e.header.size <= SMALL) {
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(c);
      m.small.set(name, Buffer.concat(parts));
    } else if (e.header.type === 'file') m.big.set(name, (await engine.content.ingest(e.body)).digest);
  }
  return m;
}

function resolve(m: Members, name: string): string {
  let n = clean(name);
  for (let i = 0; i < 16 && m.links.has(n); i++) n = m.links.get(n)!;
  if (!m.small.has(n) && !m.big.has(n)) throw badRequest(`invalid archive: ${name} is referenced but not in the archive`);
  return n;
}

async function firstBytes(engine: Engine, digest: string): Promise<Buffer> {
  for await (const c of engine.content.readVerified(digest)) return c.subarray(0, 8);
  return Buffer.alloc(0);
}

/** Stores a member as a plain layer tar (decompressing gzip'd ones); returns its diff ID. */
async function storeLayer(engine: Engine, m: Members, name: string): Promise<string> {
  const n = resolve(m, name);
  const small = m.small.get(n);
  const head: Buffer = small ?? (await firstBytes(engine, m.big.get(n)!));
  const kind = detectCompression(head);
  const source = async function* () { if (small) yield small; else yield* engine.content.readVerified(m.big.get(n)!); };
  if (kind === 'none') return small ? engine.content.putBytes(small) : m.big.get(n)!;
  return (await engine.content.ingest(await decompressed(source()))).digest;
}

interface ManifestEntry { Config: string; RepoTags: string[] | null; Layers: string[]; /** OCI layout: the digest the config must have. */ ConfigDigest?: string }

const blobPath = (digest: string) => {
  const [alg, hex] = digest.split(':');
  if (alg !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex ?? '')) throw badRequest(`invalid archive: unsupported digest ${digest}`);
  return `blobs/sha256/${hex}`;
};

/** The bytes of the member at `name` (after links), wherever readMembers kept it. */
async function memberBytes(engine: Engine, m: Members, name: string): Promise<Buffer> {
  const n = resolve(m, name);
  return m.small.get(n) ?? (await engine.content.readBytes(m.big.get(n)!));
}

async function blobBytes(engine: Engine, m: Members, digest: string): Promise<Buffer> {
  const bytes = await memberBytes(engine, m, blobPath(digest));
  if (sha256Digest(bytes) !== digest) throw badRequest(`invalid archive: blob ${digest} does not match its digest`);
  return bytes;
}

/**
 * The images of an OCI image layout without manifest.json (buildx --output type=oci, skopeo
 * oci-archive:): each index.json entry, an index resolved to this host's platform (attestations
 * skipped); named by its io.containerd.image.name annotation, or by org.opencontainers.image.ref.name
 * when that is a whole reference (a bare tag names nothing, as in dockerd).
 */
async function ociLayoutEntries(engine: Engine, m: Members): Promise<ManifestEntry[]> {
  let index: Manifest;
  try { index = parseManifest(m.small.get('index.json')!, MT.ociIndex); } catch (e) { throw badRequest(`invalid archive: index.json: ${(e as Error).message}`); }
  if (index.kind !== 'index') throw badRequest('invalid archive: index.json is not an image index');
  const out: ManifestEntry[] = [];
  for (const d of index.manifests) {
    if (isAttestation(d)) continue;
    let desc: Descriptor = d;
    let manifest = parseManifest(await blobBytes(engine, m, d.digest), d.mediaType);
    if (manifest.kind === 'index') {
      try { desc = selectPlatform(manifest, wantedPlatform(undefined, goArch())); } catch (e) { throw badRequest(`invalid archive: ${(e as Error).message}`); }
      manifest = parseManifest(await blobBytes(engine, m, desc.digest), desc.mediaType);
    }
    if (manifest.kind !== 'manifest') throw badRequest(`invalid archive: ${desc.digest} is not an image manifest`);
    const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
    const ref = name && /[/:@]/.test(name) ? name : undefined;
    out.push({
      Config: blobPath(manifest.config.digest), ConfigDigest: manifest.config.digest,
      RepoTags: ref ? [ref] : null, Layers: manifest.layers.map((l) => blobPath(l.digest)),
    });
  }
  return out;
}

/**
 * `docker load`: reads a docker-archive (manifest.json; layers as `<id>/layer.tar`, `<hex>.tar`
 * or `blobs/sha256/<hex>`, plain or gzip'd, symlinks for repeated layers) or an OCI image
 * layout without manifest.json, checks every layer against the config's diff IDs, unpacks and
 * tags. Calls `loaded` per image.
 */
export async function loadImages(engine: Engine, source: AsyncIterable<Buffer>, loaded: (line: string) => void): Promise<void> {
  const m = await readMembers(engine, source);
  const used = new Set<string>();
  try {
    const mj = m.small.get('manifest.json');
    let entries: ManifestEntry[];
    if (mj) {
      try { entries = JSON.parse(mj.toString('utf8')) as ManifestEntry[]; } catch { throw badRequest('invalid archive: manifest.json is not JSON'); }
    } else if (m.small.has('index.json')) {
      entries = await ociLayoutEntries(engine, m);
    } else {
      throw badRequest('invalid archive: neither manifest.json nor index.json (not a docker save archive or an OCI image layout)');
    }
    for (const e of entries) {
      const configBytes = await memberBytes(engine, m, e.Config);
      if (e.ConfigDigest && sha256Digest(configBytes) !== e.ConfigDigest) throw badRequest(`invalid archive: the config ${e.Config} does not match its digest`);
      const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
      const want = config.rootfs?.diff_ids ?? [];
      if (want.length !== e.Layers.length) throw badRequest(`invalid archive: ${e.Config} lists ${want.length} layers, manifest.json ${e.Layers.length}`);
      for (const [i, l] of e.Layers.entries()) {
        const diffId = await storeLayer(engine, m, l);
        used.add(diffId);
        if (diffId !== want[i]) throw badRequest(`invalid archive: layer ${l} hashes to ${diffId}, but the image config says ${want[i]}`);
      }
      await engine.layers.ensure(want).catch((err: unknown) => {
        throw err instanceof LayerDefectError ? badRequest(`invalid archive: ${err.message}`) : err;
      });
      const id = await engine.images.add(configBytes);
      engine.events.emit('image', 'load', id, id);
      for (const t of e.RepoTags ?? []) await engine.images.tag(id, normalizeReference(t));
      if (e.RepoTags?.length) for (const t of e.RepoTags) loaded(`Loaded image: ${familiarString(parseReference(normalizeReference(t)))}`);
      else loaded(`Loaded image ID: ${id}`);
    }
  } finally {
    const images = new Set(engine.images.list().flatMap((i) => [i.id, ...i.config.rootfs.diff_ids]));
    for (const d of m.big.values()) if (!used.has(d) && !images.has(d) && !engine.dist.diffIdOf(d)) await engine.content.remove(d);
  }
}
