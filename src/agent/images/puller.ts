import type { Engine } from '../engine';
import type { AuthConfig } from '../registry/auth-config';
import { RegistryError } from '../registry/registry-error';
import { RegistryClient } from '../registry/registry-client';
import type { RegistryEndpoint } from '../registry/registry-endpoint';
import type { Descriptor } from '../registry/manifest';
import { chainIds } from '../layers/layer-store';
import { DiffIdMismatchError } from '../layers/decompress-stream';
import { PathEscapeError } from '../layers/path-scope';
import { TarFormatError } from '../layers/tar-reader';
import { familiarName, familiarString, fullName, fullString, type Reference } from './reference';
import { goArch } from './image-config';
import type { JsonProgress } from './json-progress';
import { openRegistry, shortDigest } from './registry-session';
import { resolveManifest, fetchConfig, wantedPlatform } from './manifest-fetch';
import { Semaphore } from '../util/semaphore';

export interface PullOptions {
  /** Normalised, with a tag or a digest. */
  ref: Reference;
  platform?: string | null;
  auth: AuthConfig;
  /** Pull from this endpoint instead of the reference's registry (a Docker Hub mirror). */
  endpoint?: RegistryEndpoint;
}

export interface PullResult { id: string; digest: string; upToDate: boolean }

const DOWNLOADS = 3;

/** Blobs and layers a failed pull made, removed when the failure was a verification failure. */
interface Fresh { blobs: string[]; chains: string[] }

async function discardFresh(engine: Engine, fresh: Fresh): Promise<void> {
  const used = new Set(engine.images.list().flatMap((i) => chainIds(i.config.rootfs.diff_ids)));
  for (const c of [...fresh.chains].reverse()) if (!used.has(c)) await engine.layers.remove(c);
  for (const b of fresh.blobs) {
    if (engine.blobs.busy(b)) continue;
    const diff = engine.dist.diffIdOf(b);
    if (diff) await engine.dist.dropForm(diff, b);
    await engine.content.remove(b);
  }
}

/**
 * `docker pull`: resolves the reference (index -> this platform's manifest), verifies the
 * config, downloads missing layers (3 at a time, shared with concurrent pulls, resumable)
 * and unpacks each as soon as it is in (in parallel), each checked against rootfs.diff_ids. The image is recorded
 * and tagged only when every layer is in place, so a failed pull leaves no image.
 */
export async function pullImage(engine: Engine, opts: PullOptions, p: JsonProgress): Promise<PullResult> {
  const { ref } = opts;
  const repo = ref.path;
  const client = opts.endpoint ? new RegistryClient(opts.endpoint, opts.auth) : openRegistry(engine, ref.domain, opts.auth);
  const fresh: Fresh = { blobs: [], chains: [] };
  try {
    const resolved = await resolveManifest(client, repo, ref.digest ?? ref.tag ?? 'latest', wantedPlatform(opts.platform, goArch()));
    p.status(`Pulling from ${familiarName(ref)}`, ref.digest ?? ref.tag);
    const m = resolved.manifest;
    const { bytes: configBytes, config } = await fetchConfig(client, repo, m);
    const diffIds = config.rootfs.diff_ids;
    const existed = engine.images.lookup(m.config.digest) === m.config.digest;
    await fetchLayers(engine, client, repo, m.layers, diffIds, p, fresh);
    const id = await engine.images.add(configBytes);
    await recordManifests(engine, ref, id, resolved);
    if (ref.tag) await engine.images.tag(id, fullString({ ...ref, digest: undefined }));
    await engine.images.tag(id, `${fullName(ref)}@${resolved.topDigest}`);
    p.status(`Digest: ${resolved.topDigest}`);
    const upToDate = existed && fresh.chains.length === 0;
    p.status(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}`);
    engine.log.info('image pulled', { ref: fullString(ref), id: id.slice(0, 19), digest: resolved.topDigest });
    return { id, digest: resolved.topDigest, upToDate };
  } catch (e) {
    if (e instanceof RegistryError && ['UNAUTHORIZED', 'DENIED'].includes(e.code) || (e instanceof RegistryError && e.code === 'NOT_FOUND' && /name unknown/.test(e.message))) {
      // dockerd's wording; a 404 also keeps the CLI from prompting for credentials.
      throw new RegistryError(e.code, `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${e.message}`, 404);
    }
    if (e instanceof RegistryError && ['DIGEST_MISMATCH', 'DIFF_ID_MISMATCH', 'CONFIG_MISMATCH', 'SIZE_MISMATCH', 'LAYER_INVALID'].includes(e.code)) await discardFresh(engine, fresh).catch(() => undefined);
    throw e;
  } finally {
    client.close();
  }
}

async function recordManifests(engine: Engine, ref: Reference, id: string, r: Awaited<ReturnType<typeof resolveManifest>>): Promise<void> {
  await engine.content.putBytes(r.manifestBytes);
  await engine.dist.addManifest(id, {
    repository: fullName(ref), digest: r.manifestDigest, mediaType: r.manifest.mediaType, layers: r.manifest.layers.map((l) => l.digest),
  });
}

async function fetchLayers(engine: Engine, client: ReturnType<typeof openRegistry>, repo: string, layers: Descriptor[], diffIds: string[], p: JsonProgress, fresh: Fresh): Promise<void> {
  const chain = chainIds(diffIds);
  const present = await Promise.all(chain.map(async (c) => !!(await engine.layers.meta(c))));
  layers.forEach((l, i) => p.status(present[i] ? 'Already exists' : 'Pulling fs layer', shortDigest(l.digest)));
  const sem = new Semaphore(DOWNLOADS);
  const downloads = layers.map((l, i) => (present[i] ? Promise.resolve() : sem.run(() => download(engine, client, repo, l, diffIds[i], p, fresh))));
  downloads.forEach((d) => d.catch(() => undefined));
  // Each layer unpacks as soon as its blob is in (into its own folder when it can, see
  // LayerStore.ensureTop), in parallel with the others; each is put in place after its parent.
  const extracted: Array<Promise<void>> = [];
  for (let i = 0; i < layers.length; i++) {
    extracted.push(present[i] ? Promise.resolve() : extract(engine, layers[i], diffIds.slice(0, i + 1), chain[i], downloads[i], i > 0 ? extracted[i - 1] : Promise.resolve(), p, fresh));
  }
  // Each extraction settles after its download; report the first layer's failure once all are done.
  const settled = await Promise.allSettled(extracted);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function extract(engine: Engine, layer: Descriptor, diffIds: string[], chainId: string, downloaded: Promise<void>, parent: Promise<void>, p: JsonProgress, fresh: Fresh): Promise<void> {
  await downloaded;
  const id = shortDigest(layer.digest);
  p.status('Extracting', id);
  const t0 = Date.now();
  try {
    const before = !!(await engine.layers.meta(chainId));
    await engine.layers.ensureTop(diffIds, parent);
    if (!before) fresh.chains.push(chainId);
  } catch (e) {
    if (e instanceof DiffIdMismatchError) {
      await engine.dist.dropForm(diffIds[diffIds.length - 1], layer.digest);
      throw new RegistryError('DIFF_ID_MISMATCH', `layer ${layer.digest} failed verification: ${e.message}`);
    }
    if (e instanceof PathEscapeError || e instanceof TarFormatError) {
      throw new RegistryError('LAYER_INVALID', `layer ${layer.digest} is not a safe layer archive: ${e.message}`);
    }
    throw e;
  }
  engine.log.debug('layer extracted', { layer: id, ms: Date.now() - t0 });
  p.status('Pull complete', id);
}

async function download(engine: Engine, client: ReturnType<typeof openRegistry>, repo: string, l: Descriptor, diffId: string, p: JsonProgress, fresh: Fresh): Promise<void> {
  const id = shortDigest(l.digest);
  const had = await engine.content.has(l.digest);
  if (!had) {
    const t0 = Date.now();
    await engine.blobs.fetch(client, repo, l, (c, t) => p.bytes(id, 'Downloading', c, t));
    fresh.blobs.push(l.digest);
    engine.log.debug('layer downloaded', { layer: id, bytes: l.size, ms: Date.now() - t0 });
    p.status('Verifying Checksum', id);
  }
  p.status('Download complete', id);
  await engine.dist.addForm(diffId, { digest: l.digest, mediaType: l.mediaType, size: l.size, stored: true, seen: [{ registry: client.endpoint.name, repository: repo }] });
}
