import type { Engine } from '../engine';
import type { AuthConfig } from '../registry/auth-config';
import { RegistryError } from '../registry/registry-error';
import { RegistryClient } from '../registry/registry-client';
import type { RegistryEndpoint } from '../registry/registry-endpoint';
import type { Descriptor } from '../registry/manifest';
import { chainIds } from '../layers/layer-store';
import { familiarName, familiarString, fullName, fullString, type Reference } from './reference';
import { goArch } from './image-config';
import type { JsonProgress } from './json-progress';
import { openRegistry, shortDigest } from './registry-session';
import { resolveManifest, fetchConfig, wantedPlatform } from './manifest-fetch';
import { Semaphore } from '../util/semaphore';
import { ImageRefusedError, unpackOrRefuse } from './layer-refusal';

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

/** Blobs a failed pull downloaded, removed when the failure was a verification failure or a refusal. */
interface Fresh { blobs: string[] }

/** Layer downloads begun before the config arrived, by blob digest: true when downloaded (see BlobFetcher.fetch). */
type Early = Map<string, Promise<boolean>>;

/** Removes what a failed pull downloaded, save what another pull holds or a recorded image uses. */
async function discardFresh(engine: Engine, fresh: Fresh): Promise<void> {
  const used = new Set(engine.images.list().flatMap((i) => i.config.rootfs.diff_ids));
  for (const b of fresh.blobs) {
    const diff = engine.dist.diffIdOf(b);
    if (engine.blobs.busy(b) || (diff && (engine.dist.isHeld(diff) || used.has(diff)))) continue;
    if (diff) await engine.dist.dropForm(diff, b);
    await engine.content.remove(b);
  }
}

/**
 * Fails the pull when a layer it counted as present was refused meanwhile (another pull's
 * unpack found it bad). Run with the image's recording under RefusedLayers.run, so no refusal
 * comes between the two: one that comes after finds the image and removes it.
 */
async function checkLayersKept(engine: Engine, diffIds: string[]): Promise<void> {
  const chain = chainIds(diffIds);
  for (const [i, d] of diffIds.entries()) {
    const r = engine.refused.forDiff(d); // none, as a rule: then nothing on disk need be looked at
    if (!r || (await engine.layers.meta(chain[i])) || engine.layers.building(chain[i]) || (await engine.diffs.has(d))) continue;
    throw new RegistryError(r.code, `${r.reason} (found as it was unpacked for another pull)`);
  }
}

/**
 * `docker pull`: resolves the reference (index -> this platform's manifest), verifies the
 * config, downloads missing layers (3 at a time, shared with concurrent pulls, resumable;
 * the layers this store knows nothing of start while the config is fetched, as dockerd's do),
 * each checked against its digest as it arrives. The image is recorded and tagged only when
 * every blob is verified, so a failed pull leaves no image. The layers then unpack in the
 * background (LayerStore.unpackAll), which is where their content meets rootfs.diff_ids and the
 * unpacker's checks, as in containerd; whatever needs them (a container, an image's size, GC)
 * waits for that or unpacks them itself. A layer that fails there is refused, and its image
 * removed (see RefusedLayers): a container of it is never created.
 */
export async function pullImage(engine: Engine, opts: PullOptions, p: JsonProgress): Promise<PullResult> {
  const { ref } = opts;
  const repo = ref.path;
  const client = opts.endpoint ? new RegistryClient(opts.endpoint, opts.auth) : openRegistry(engine, ref.domain, opts.auth);
  const fresh: Fresh = { blobs: [] };
  try {
    const resolved = await resolveManifest(client, repo, ref.digest ?? ref.tag ?? 'latest', wantedPlatform(opts.platform, goArch()));
    p.status(`Pulling from ${familiarName(ref)}`, ref.digest ?? ref.tag);
    const m = resolved.manifest;
    const configP = fetchConfig(client, repo, m);
    configP.catch(() => undefined); // awaited below, once the early downloads have begun
    const sem = new Semaphore(DOWNLOADS);
    const early = await startUnknownLayers(engine, client, repo, m.layers, p, fresh, sem);
    const { bytes: configBytes, config } = await configP.catch(async (e: unknown) => {
      // Nothing was checked against a config: drop what the early downloads stored.
      await Promise.allSettled(early.values());
      await discardFresh(engine, fresh).catch(() => undefined);
      throw e;
    });
    const diffIds = config.rootfs.diff_ids;
    const existed = engine.images.lookup(m.config.digest) === m.config.digest;
    const release = engine.dist.hold(diffIds);
    let downloaded: number;
    let id: string;
    try {
      downloaded = await fetchLayers(engine, client, repo, m.layers, diffIds, p, fresh, sem, early);
      id = await engine.refused.run(async () => {
        await checkLayersKept(engine, diffIds);
        const added = await engine.images.add(configBytes);
        engine.refused.forgetImage(added);
        return added;
      });
    } finally {
      release();
    }
    await recordManifests(engine, ref, id, resolved);
    if (ref.tag) await engine.images.tag(id, fullString({ ...ref, digest: undefined }));
    await engine.images.tag(id, `${fullName(ref)}@${resolved.topDigest}`);
    p.status(`Digest: ${resolved.topDigest}`);
    const upToDate = existed && downloaded === 0;
    p.status(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}`);
    engine.log.info('image pulled', { ref: fullString(ref), id: id.slice(0, 19), digest: resolved.topDigest });
    engine.events.emit('image', 'pull', familiarString(ref), familiarString(ref));
    if (downloaded > 0) unpackInBackground(engine, id, diffIds, familiarString(ref));
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

/**
 * Starts downloading, before the config is there, the layers whose blobs this store knows
 * nothing of (no stored blob, no recorded form): they cannot be present, short of the same
 * content pulled with another compression or loaded from an archive, which then costs a
 * download. The others wait for the config, which says whether they are present (or, for a
 * blob refused before, whether it is refused again).
 */
async function startUnknownLayers(engine: Engine, client: ReturnType<typeof openRegistry>, repo: string, layers: Descriptor[], p: JsonProgress, fresh: Fresh, sem: Semaphore): Promise<Early> {
  const early: Early = new Map();
  for (const l of layers) {
    if (early.has(l.digest) || engine.dist.diffIdOf(l.digest) || engine.refused.anyLayer(l.digest) || (await engine.content.has(l.digest))) continue;
    p.status('Pulling fs layer', shortDigest(l.digest));
    const download = sem.run(() => downloadLayer(engine, client, repo, l, p, fresh));
    download.catch(() => undefined); // its layer's check reports it
    early.set(l.digest, download);
  }
  return early;
}

/**
 * Downloads and verifies the layers the store has neither unpacked nor as a stored blob,
 * taking over the downloads begun early. Returns how many it had to fetch. A blob refused
 * as one of these layers before (see RefusedLayers) fails the pull before anything is recorded.
 */
async function fetchLayers(engine: Engine, client: ReturnType<typeof openRegistry>, repo: string, layers: Descriptor[], diffIds: string[], p: JsonProgress, fresh: Fresh, sem: Semaphore, early: Early): Promise<number> {
  const refused = layers.map((l, i) => engine.refused.layer(l.digest, diffIds[i])).find((r) => r);
  if (refused) {
    await Promise.allSettled(early.values());
    throw new RegistryError(refused.code, `${refused.reason} (found as it was unpacked after an earlier pull)`);
  }
  const chain = chainIds(diffIds);
  const present = await Promise.all(chain.map(async (c, i) => !early.has(layers[i].digest) && (!!(await engine.layers.meta(c)) || engine.layers.building(c) || (await engine.diffs.has(diffIds[i])))));
  layers.forEach((l, i) => { if (!early.has(l.digest)) p.status(present[i] ? 'Already exists' : 'Pulling fs layer', shortDigest(l.digest)); });
  const settled = await Promise.allSettled(layers.map((l, i) => {
    const started = early.get(l.digest);
    if (started) return fetchLayer(engine, client, repo, l, diffIds[i], p, fresh, started);
    return present[i] ? Promise.resolve() : sem.run(() => fetchLayer(engine, client, repo, l, diffIds[i], p, fresh));
  }));
  // Report the first layer's failure once all are done.
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return present.filter((x) => !x).length;
}

/** Downloads a layer's blob (see BlobFetcher.fetch); true when it was downloaded, not found stored. */
async function downloadLayer(engine: Engine, client: ReturnType<typeof openRegistry>, repo: string, l: Descriptor, p: JsonProgress, fresh: Fresh): Promise<boolean> {
  const id = shortDigest(l.digest);
  const t0 = Date.now();
  const downloaded = await engine.blobs.fetch(client, repo, l, (c, t) => p.bytes(id, 'Downloading', c, t));
  if (!downloaded) return false;
  fresh.blobs.push(l.digest);
  engine.log.debug('layer downloaded', { layer: id, bytes: l.size, ms: Date.now() - t0 });
  return true;
}

/**
 * One layer: downloads its blob, takes over the download `started` early, or finds it stored,
 * and records the verified blob as a form of that diff ID (which its unpack checks).
 */
async function fetchLayer(engine: Engine, client: ReturnType<typeof openRegistry>, repo: string, l: Descriptor, diffId: string, p: JsonProgress, fresh: Fresh, started?: Promise<boolean>): Promise<void> {
  const id = shortDigest(l.digest);
  const downloaded = started ? await started : await downloadLayer(engine, client, repo, l, p, fresh);
  p.status('Verifying Checksum', id);
  p.status('Download complete', id);
  await engine.dist.addForm(diffId, { digest: l.digest, mediaType: l.mediaType, size: l.size, stored: true, seen: [{ registry: client.endpoint.name, repository: repo }] });
  // Just checked as it arrived: the unpack need not hash it again. A blob found stored is.
  if (downloaded) engine.diffs.trustOnce(diffId, l.digest);
  p.status('Pull complete', id);
}

/**
 * Unpacks a pulled image's layers after the pull has answered. A layer that fails its checks
 * there is refused and the image removed (unpackOrRefuse logs it); another failure is logged
 * and retried by whatever needs the layers.
 */
function unpackInBackground(engine: Engine, id: string, diffIds: string[], name: string): void {
  const t0 = Date.now();
  unpackOrRefuse(engine, id, name, engine.layers.unpackAll(diffIds)).then(
    () => engine.log.debug('layers unpacked', { image: name, ms: Date.now() - t0 }),
    (e: unknown) => {
      if (e instanceof ImageRefusedError) return;
      engine.log.warn('layers of a pulled image could not be unpacked; they will be unpacked again when a container needs them', { image: name, error: (e as Error).message });
    },
  );
}
