import type { Engine } from '../engine';
import { DiffIdMismatchError } from '../layers/decompress-stream';
import { LayerDefectError, describeDefect } from '../layers/layer-defect';
import { chainIds } from '../layers/layer-store';
import { shortId } from '../util/ids';
import { KeyedMutex } from '../util/lock';
import { deleteImage } from './image-delete';

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
 * same blob as the same diff ID again fails at once with the reason. Kept in memory: the facts
 * are about content and never go stale, and after a restart a bad image costs one more
 * download before it is refused again.
 */
export class RefusedLayers {
  private readonly layers = new Map<string, Refusal>();
  private readonly images = new Map<string, string>();
  private readonly lock = new KeyedMutex();

  /** Why blob `digest` was refused as layer `diffId`, if it was. */
  layer(digest: string, diffId: string): Refusal | undefined {
    return this.layers.get(`${digest} ${diffId}`);
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

  addLayer(digest: string, diffId: string, r: Refusal): void {
    remember(this.layers, `${digest} ${diffId}`, r);
  }

  addImage(id: string, reason: string): void {
    remember(this.images, id, reason);
  }

  /** Runs refusals one at a time (two unpacks of one bad layer can fail together). */
  run(fn: () => Promise<void>): Promise<void> {
    return this.lock.run('refuse', fn);
  }

  /** Settles once the refusals in progress are done. */
  settled(): Promise<void> {
    return this.lock.run('refuse', async () => undefined);
  }
}

/** Refuses the pulled blob behind a layer that failed with `e`, and removes the images that needed it. */
async function refuse(engine: Engine, e: LayerDefectError): Promise<void> {
  // A plain tar (import, load) is what the layer was read from, if there is one: not a pull's.
  if (await engine.content.has(e.diffId)) return;
  const form = await engine.diffs.storedForm(e.diffId);
  if (!form) return; // refused already
  const reason = describeDefect(`layer ${form.digest}`, e.cause);
  engine.refused.addLayer(form.digest, e.diffId, { code: e.cause instanceof DiffIdMismatchError ? 'DIFF_ID_MISMATCH' : 'LAYER_INVALID', reason });
  await engine.dist.dropForm(e.diffId, form.digest);
  if (!engine.blobs.busy(form.digest) && !engine.dist.diffIdOf(form.digest)) await engine.content.remove(form.digest);
  const removed: string[] = [];
  for (const img of engine.images.list()) {
    const i = img.config.rootfs.diff_ids.indexOf(e.diffId);
    if (i < 0 || (await engine.layers.meta(chainIds(img.config.rootfs.diff_ids)[i])) || (await engine.diffs.has(e.diffId))) continue;
    engine.refused.addImage(img.id, reason);
    try {
      await deleteImage(engine, img.id, true);
      removed.push(shortId(img.id));
    } catch (err) {
      engine.log.warn('an image whose layer was refused could not be removed', { image: shortId(img.id), error: (err as Error).message });
    }
  }
  engine.log.error('a pulled layer was refused as it was unpacked; the images that need it were removed (pull them again once the registry serves them fixed)', { reason, images: removed });
}

/**
 * Awaits `unpack`, the unpack of image `imageId`'s layers (`name` is how the user called it).
 * A layer found unusable is refused (see RefusedLayers), and the failure becomes an
 * ImageRefusedError that says why; so does any other failure of an image a refusal removed
 * meanwhile (its layer's blob is gone).
 */
export async function unpackOrRefuse<T>(engine: Engine, imageId: string, name: string, unpack: Promise<T>): Promise<T> {
  try {
    return await unpack;
  } catch (e) {
    if (e instanceof LayerDefectError) await engine.refused.run(() => refuse(engine, e));
    else await engine.refused.settled();
    const why = engine.refused.image(imageId);
    if (why) throw new ImageRefusedError(imageId, `image ${name} was removed, it cannot be used: ${why}. Pull it again once its registry serves it fixed`);
    throw e;
  }
}
