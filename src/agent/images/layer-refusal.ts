import type { Engine } from '../engine';
import { DiffIdMismatchError } from '../layers/decompress-stream';
import { DigestMismatchError } from '../layers/content-store';
import { LayerDefectError, describeDefect } from '../layers/layer-defect';
import { chainIds } from '../layers/layer-store';
import { shortId } from '../util/ids';
import { KeyedMutex } from '../util/lock';
import { atomicWriteJson, readJsonIfExists } from '../util/fsx';
import { deleteImage } from './image-delete';
import { removeUnusedLayers } from '../layers/layer-gc';

/** Refusals remembered (each a few hundred bytes); the oldest are forgotten first. */
const KEEP = 1000;

/** Why a pulled blob was refused as a layer. */
export interface Refusal {
  code: 'DIFF_ID_MISMATCH' | 'LAYER_INVALID';
  /** "layer sha256:<blob> failed verification: ..." */
  reason: string;
}

/** Where an image's layers were needed, and the image had been refused and removed. */
export class ImageRefusedError extends Error {
  constructor(readonly imageId: string, message: string) {
    super(message);
    this.name = 'ImageRefusedError';
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KEEP) map.delete(map.keys().next().value as string);
}

/**
 * Layer blobs refused when they were unpacked, and the images removed with them. A pull checks
 * what the registry serves against the digests (manifest, config, compressed blobs); a layer's
 * uncompressed content meets its diff ID, and the unpacker's checks, on its way into the layer
 * store, as in containerd. When it fails there (LayerDefectError), its blob is dropped, every
 * image left without a way to get that layer is removed, and a pull that would record the
 * same blob as the same diff ID again fails at once with the reason. The layer refusals are
 * kept across restarts (`<data-root>/refused-layers.json`, the last 1000): they are facts about
 * content and never go stale. Why an image was removed is kept in memory, for the requests
 * that come while it goes.
 */
export class RefusedLayers {
  private readonly layers = new Map<string, Refusal>();
  private readonly images = new Map<string, string>();
  private readonly lock = new KeyedMutex();
  private writing: Promise<void> = Promise.resolve();

  /** `file`: where the layer refusals are kept across restarts (none: in memory only). */
  constructor(private readonly file?: string) {}

  async init(): Promise<void> {
    const saved = this.file ? await readJsonIfExists<{ layers?: Array<[string, Refusal]> }>(this.file) : undefined;
    for (const [k, r] of saved?.layers ?? []) remember(this.layers, k, r);
  }

  private save(): Promise<void> {
    if (!this.file) return Promise.resolve();
    const file = this.file;
    const snapshot = { layers: [...this.layers] };
    this.writing = this.writing.then(() => atomicWriteJson(file, snapshot), () => atomicWriteJson(file, snapshot));
    return this.writing;
  }

  /** Why blob `digest` was refused as layer `diffId`, if it was. */
  layer(digest: string, diffId: string): Refusal | undefined {
    return this.layers.get(`${digest} ${diffId}`);
  }

  /** A refusal of any blob as layer `diffId`. */
  forDiff(diffId: string): Refusal | undefined {
    for (const [k, r] of this.layers) if (k.endsWith(` ${diffId}`)) return r;
    return undefined;
  }

  /** True when blob `digest` was refused as any layer. */
  anyLayer(digest: string): boolean {
    for (const k of this.layers.keys()) if (k.startsWith(`${digest} `)) return true;
    return false;
  }

  /** Why image `id` was removed, if a refusal removed it. */
  image(id: string): string | undefined {
    return this.images.get(id);
  }

  async addLayer(digest: string, diffId: string, r: Refusal): Promise<void> {
    remember(this.layers, `${digest} ${diffId}`, r);
    await this.save();
  }

  addImage(id: string, reason: string): void {
    remember(this.images, id, reason);
  }

  /** Forgets why image `id` was removed (it was pulled again, from blobs that are not refused). */
  forgetImage(id: string): void {
    this.images.delete(id);
  }

  /**
   * Runs `fn` while no refusal runs: refusals one at a time (two unpacks of one bad layer can
   * fail together), and a pull records its image between them (see pullImage).
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run('refuse', fn);
  }

  /** Settles once the refusals in progress are done. */
  settled(): Promise<void> {
    return this.lock.run('refuse', async () => undefined);
  }
}

/** What refuse did: refused the blob (or, on parents, the chain), found it damaged on disk, or found nothing to do. */
type Verdict = 'refused' | 'damaged' | 'none';

/** True when the stored blob still hashes to its digest. */
async function blobIntact(engine: Engine, digest: string): Promise<boolean> {
  try {
    for await (const chunk of engine.content.readVerified(digest)) void chunk;
    return true;
  } catch (e) {
    if (e instanceof DigestMismatchError) return false;
    throw e;
  }
}

/** Drops a layer's recorded form and, unless something else still needs it, its blob. */
async function dropForm(engine: Engine, diffId: string, blob: string): Promise<void> {
  await engine.dist.dropForm(diffId, blob);
  if (!engine.blobs.busy(blob) && !engine.dist.diffIdOf(blob)) await engine.content.remove(blob);
}

/** Drops a stored blob found damaged on this host's disk, and its forms; the images keep their records (a pull mends them). */
async function dropDamaged(engine: Engine, blob: string): Promise<Verdict> {
  for (let diffId = engine.dist.diffIdOf(blob); diffId; diffId = engine.dist.diffIdOf(blob)) await engine.dist.dropForm(diffId, blob);
  if (!engine.blobs.busy(blob)) await engine.content.remove(blob);
  engine.log.warn('a stored layer blob was damaged on disk and was removed; pull the images that use it again', { blob });
  return 'damaged';
}

/**
 * Acts on a layer that failed with a defect. A blob damaged on this host's disk is only
 * dropped (the images keep their records; a pull mends them). Else the layer is refused: its
 * blob and form are dropped and remembered, and every image left with no other way to get the
 * layer is removed. A path refused on an overlay of the parents may be the parents' doing:
 * then only the images of that chain are removed, and the blob stays for other chains.
 */
async function refuse(engine: Engine, e: LayerDefectError): Promise<Verdict> {
  const { diffId, chainId, blob, onParents } = e.site;
  // A plain tar (import, load) is checked where it comes in; a form gone was refused already.
  if (!blob || !engine.dist.forms(diffId).some((f) => f.digest === blob) || !(await engine.content.has(blob))) return 'none';
  if (!(await blobIntact(engine, blob))) return dropDamaged(engine, blob);
  const reason = describeDefect(`layer ${blob}`, e.defect);
  if (!onParents) {
    await engine.refused.addLayer(blob, diffId, { code: e.defect instanceof DiffIdMismatchError ? 'DIFF_ID_MISMATCH' : 'LAYER_INVALID', reason });
    await dropForm(engine, diffId, blob);
  }
  const removed: string[] = [];
  for (const img of engine.images.list()) {
    const chain = chainIds(img.config.rootfs.diff_ids);
    const i = onParents ? chain.indexOf(chainId) : img.config.rootfs.diff_ids.indexOf(diffId);
    if (i < 0 || (await engine.layers.meta(chain[i])) || (!onParents && (await engine.diffs.has(diffId)))) continue;
    engine.refused.addImage(img.id, reason);
    try {
      await deleteImage(engine, img.id, true, false); // their layers are collected after the lock (see unpackOrRefuse)
      removed.push(shortId(img.id));
    } catch (err) {
      engine.log.warn('an image whose layer was refused could not be removed', { image: shortId(img.id), error: (err as Error).message });
    }
  }
  engine.log.error('a pulled layer was refused as it was unpacked; the images that need it were removed (pull them again once the registry serves them fixed)', { reason, images: removed });
  return 'refused';
}

/**
 * Awaits `unpack`, the unpack of image `imageId`'s layers (`name` is how the user called it).
 * A layer found unusable is refused (see refuse), and the failure becomes an ImageRefusedError
 * that says why; so does any other failure of an image a refusal removed meanwhile (its
 * layer's blob is gone). A stored blob found damaged on disk (whether its digest or its
 * decompression noticed first) is dropped, and the failure asks for a pull.
 */
export async function unpackOrRefuse<T>(engine: Engine, imageId: string, name: string, unpack: Promise<T>): Promise<T> {
  try {
    return await unpack;
  } catch (e) {
    let verdict: Verdict = 'none';
    let blob: string | undefined;
    if (e instanceof LayerDefectError) {
      blob = e.site.blob;
      verdict = await engine.refused.run(() => refuse(engine, e));
      // Outside the lock: collecting waits for every unpack in flight, and pulls wait for the lock.
      if (verdict === 'refused') await removeUnusedLayers(engine).catch((err: unknown) => engine.log.warn('layers of refused images could not be removed yet', { error: (err as Error).message }));
    } else if (e instanceof DigestMismatchError && e.stored) {
      blob = e.stored;
      verdict = await engine.refused.run(() => dropDamaged(engine, blob!));
    } else {
      await engine.refused.settled();
    }
    if (verdict === 'damaged') throw new Error(`image ${name} cannot be used: its layer blob ${blob} was damaged on this host's disk and has been removed; pull ${name} again`, { cause: e });
    const why = engine.refused.image(imageId);
    if (why && !engine.images.lookup(imageId)) throw new ImageRefusedError(imageId, `image ${name} was removed, it cannot be used: ${why}. Pull it again once its registry serves it fixed`);
    throw e;
  }
}
