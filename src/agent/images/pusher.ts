import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../engine';
import type { AuthConfig } from '../registry/auth-config';
import { pullScope, pushScope, type RegistryClient } from '../registry/registry-client';
import { MT, layerCompression, type Descriptor } from '../registry/manifest';
import { notFound } from '../http/api-error';
import { RegistryError } from '../registry/registry-error';
import { familiarName, familiarString, fullName, fullString, type Reference } from './reference';
import type { ImageRecord } from './image-store';
import type { JsonProgress } from './json-progress';
import { openRegistry, mapLimit, shortDigest } from './registry-session';
import { uploadFile, uploadGzipped } from './blob-upload';
import type { BlobForm } from './distribution-index';
import { unpackOrRefuse } from './layer-refusal';

export interface PushOptions {
  /** Normalised repository, with the tag to push (none: every tag of the repository). */
  ref: Reference;
  auth: AuthConfig;
}

const UPLOADS = 5;

/** The tags `docker push` sends: the one named, or every tag of the repository. */
export function pushTargets(engine: Engine, ref: Reference): Array<{ tag: string; img: ImageRecord }> {
  const name = fullName(ref);
  const out: Array<{ tag: string; img: ImageRecord }> = [];
  for (const img of engine.images.list()) {
    for (const t of img.tags) {
      const i = t.lastIndexOf(':');
      if (t.slice(0, i) === name && (!ref.tag || t.slice(i + 1) === ref.tag)) out.push({ tag: t.slice(i + 1), img });
    }
  }
  if (out.length === 0) throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}${ref.tag ? `:${ref.tag}` : ''}`);
  return out.sort((a, b) => a.tag.localeCompare(b.tag));
}

/**
 * `docker push`: once the image's layers are checked (see unpackOrRefuse), for each layer, a
 * blob the registry has is skipped (HEAD), one known in
 * another repository of the same registry is mounted, a pulled layer is sent as its original
 * compressed bytes, anything else is gzip'd on the fly. Then the config and the manifest
 * (the pulled manifest byte for byte when the layers are the same, else a new one).
 */
export async function pushImage(engine: Engine, opts: PushOptions, p: JsonProgress): Promise<void> {
  const targets = pushTargets(engine, opts.ref);
  const client = openRegistry(engine, opts.ref.domain, opts.auth);
  try {
    const repo = opts.ref.path;
    const mountFrom = new Set<string>();
    for (const { img } of targets) for (const d of img.config.rootfs.diff_ids) for (const f of engine.dist.forms(d)) for (const s of f.seen) if (s.registry === client.endpoint.name && s.repository !== repo) mountFrom.add(s.repository);
    const scopes = [pushScope(repo), ...[...mountFrom].map(pullScope)];
    p.status(`The push refers to repository [${familiarName(opts.ref)}]`);
    await client.authenticate(scopes);
    for (const t of targets) await pushOne(engine, client, repo, t, scopes, p);
  } finally {
    client.close();
  }
}

async function pushOne(engine: Engine, client: RegistryClient, repo: string, t: { tag: string; img: ImageRecord }, scopes: string[], p: JsonProgress): Promise<void> {
  const diffIds = t.img.config.rootfs.diff_ids;
  const pushed = familiarString({ domain: client.endpoint.name, path: repo, tag: t.tag });
  // Nothing unchecked leaves: a pulled layer's content meets its diff ID as it unpacks (at once
  // when that is done; a push right after its pull waits for it).
  await unpackOrRefuse(engine, t.img.id, pushed, engine.layers.unpackAll(diffIds));
  for (const d of [...diffIds].reverse()) p.status('Preparing', shortDigest(d));
  const layers = await mapLimit(diffIds, UPLOADS, (d) => pushLayer(engine, client, repo, d, scopes, p));
  const configBytes = await readFile(join(engine.images.root, 'configs', `${t.img.id.slice(7)}.json`));
  const config: Descriptor = { mediaType: MT.dockerConfig, digest: t.img.id, size: configBytes.length };
  if ((await client.headBlob(repo, config.digest, scopes)) === undefined) {
    const loc = await client.startUpload(repo, scopes);
    await client.completeUpload(loc, config.digest, scopes, configBytes);
  }
  const { bytes, mediaType } = await manifestFor(engine, t.img, config, layers);
  const digest = await client.putManifest(repo, t.tag, bytes, mediaType, scopes);
  const name = `${client.endpoint.name}/${repo}`;
  await engine.content.putBytes(bytes);
  await engine.dist.addManifest(t.img.id, { repository: name, digest, mediaType, layers: layers.map((l) => l.digest) });
  await engine.images.tag(t.img.id, `${name}@${digest}`);
  p.status(`${t.tag}: digest: ${digest} size: ${bytes.length}`);
  p.aux({ Tag: t.tag, Digest: digest, Size: bytes.length });
  engine.log.info('image pushed', { ref: fullString({ domain: client.endpoint.name, path: repo, tag: t.tag }), digest });
  engine.events.emit('image', 'push', pushed, pushed);
}

/** The pulled manifest when it lists exactly these layers, else a new Docker v2 (OCI when a layer is zstd or plain). */
async function manifestFor(engine: Engine, img: ImageRecord, config: Descriptor, layers: Descriptor[]): Promise<{ bytes: Buffer; mediaType: string }> {
  const want = layers.map((l) => l.digest).join(',');
  for (const m of engine.dist.manifests(img.id)) {
    if (m.layers.join(',') === want && (await engine.content.has(m.digest))) return { bytes: await engine.content.readBytes(m.digest), mediaType: m.mediaType };
  }
  const oci = layers.some((l) => layerCompression(l.mediaType) !== 'gzip');
  const toOci = (mt: string) => ({ [MT.dockerLayerGzip]: MT.ociLayerGzip, 'application/vnd.docker.image.rootfs.diff.tar': MT.ociLayer } as Record<string, string>)[mt] ?? mt;
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MT.ociManifest : MT.dockerManifest,
    config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: oci ? toOci(l.mediaType) : MT.dockerLayerGzip, size: l.size, digest: l.digest })),
  };
  return { bytes: Buffer.from(JSON.stringify(manifest, null, 3)), mediaType: manifest.mediaType };
}

async function pushLayer(engine: Engine, client: RegistryClient, repo: string, diffId: string, scopes: string[], p: JsonProgress): Promise<Descriptor> {
  const id = shortDigest(diffId);
  const reg = client.endpoint.name;
  const forms = engine.dist.forms(diffId);
  const record = async (f: Pick<BlobForm, 'digest' | 'mediaType' | 'size' | 'stored'>) => {
    await engine.dist.addForm(diffId, { ...f, seen: [{ registry: reg, repository: repo }] });
    return { mediaType: f.mediaType, digest: f.digest, size: f.size };
  };
  for (const f of forms) {
    if (f.seen.some((s) => s.registry === reg) && (await client.headBlob(repo, f.digest, scopes)) !== undefined) {
      p.status('Layer already exists', id);
      return record(f);
    }
  }
  let location: string | undefined;
  for (const f of forms) {
    for (const s of f.seen.filter((x) => x.registry === reg && x.repository !== repo)) {
      const r = await client.mountBlob(repo, f.digest, s.repository, scopes);
      if (r === true) { p.status(`Mounted from ${s.repository}`, id); return record(f); }
      location = r;
      break;
    }
    if (location) break;
  }
  const stored = forms.find((f) => f.stored);
  const upload = async (session: string | undefined): Promise<Descriptor> => {
    const loc = session ?? await client.startUpload(repo, scopes);
    if (stored && (await engine.content.has(stored.digest))) {
      await uploadFile(client, loc, engine.content.path(stored.digest), stored, scopes, engine.config.uploadChunkSize, (c) => p.bytes(id, 'Pushing', c, stored.size));
      return record(stored);
    }
    const total = (await engine.content.size(diffId)) ?? 0;
    const { digest, size } = await uploadGzipped(client, loc, await engine.diffs.open(diffId), scopes, (c) => p.bytes(id, 'Pushing', c, total));
    return record({ digest, size, mediaType: MT.dockerLayerGzip, stored: false });
  };
  // A broken connection, a registry error or a token refused mid-way: the layer goes up again
  // in a new upload session, from its start (as dockerd retries a layer push).
  for (let attempt = 1; ; attempt++) {
    try {
      const d = await upload(attempt === 1 ? location : undefined);
      p.status('Pushed', id);
      return d;
    } catch (e) {
      if (attempt >= PUSH_ATTEMPTS || !(e instanceof RegistryError) || !['CONNECT', 'HTTP', 'UNAUTHORIZED'].includes(e.code)) throw e;
      if (e.code === 'UNAUTHORIZED') client.forgetToken(scopes);
      const wait = RETRY_BASE_MS * 2 ** (attempt - 1);
      engine.log.warn('layer push failed; retrying', { layer: id, attempt, error: e.message });
      p.status(`Retrying in ${Math.max(1, Math.round(wait / 1000))} second${wait >= 1500 ? 's' : ''}`, id);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

const PUSH_ATTEMPTS = 3;
const RETRY_BASE_MS = 500;
