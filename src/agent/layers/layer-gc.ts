import type { Engine } from '../engine';
import { chainIds, type LayerMeta } from './layer-store';

/**
 * Removes unpacked layers no image or container uses, and layer blobs no image lists (also
 * those of a pulled image whose layers were never unpacked). Waits for unpacks in flight
 * first, so none puts a layer in place behind it. Returns the chain IDs removed (upper
 * layers first).
 */
export async function removeUnusedLayers(engine: Engine): Promise<string[]> {
  await engine.layers.idle();
  const used = new Set<string>();
  for (const img of engine.images.list()) for (const c of chainIds(img.config.rootfs.diff_ids)) used.add(c);
  for (const c of engine.containers.all()) for (const l of c.Layers) used.add(l);
  const usedDiffs = new Set(engine.images.list().flatMap((i) => i.config.rootfs.diff_ids));
  const metas: LayerMeta[] = [];
  for (const chain of await engine.layers.list()) {
    if (used.has(chain)) continue;
    metas.push((await engine.layers.meta(chain)) ?? { chainId: chain, diffId: '', size: 0 });
  }
  // Children before parents, so a half-done removal never leaves a layer without its parent.
  const depth = (c: string): number => {
    let d = 0;
    for (let m = metas.find((x) => x.chainId === c); m?.parent; m = metas.find((x) => x.chainId === m!.parent)) d++;
    return d;
  };
  metas.sort((a, b) => depth(b.chainId) - depth(a.chainId));
  for (const m of metas) {
    await engine.layers.remove(m.chainId);
    if (m.diffId && !usedDiffs.has(m.diffId)) await removeLayerBlobs(engine, m.diffId);
  }
  for (const diffId of engine.dist.diffIds()) if (!usedDiffs.has(diffId)) await removeLayerBlobs(engine, diffId);
  return metas.map((m) => m.chainId);
}

/** Removes the stored content of a diff ID: its plain tar and the compressed blobs it was pulled as. */
async function removeLayerBlobs(engine: Engine, diffId: string): Promise<void> {
  if (engine.dist.isHeld(diffId)) return;
  await engine.content.remove(diffId);
  for (const f of engine.dist.forms(diffId)) if (f.stored && !engine.blobs.busy(f.digest)) await engine.content.remove(f.digest);
  await engine.dist.forgetLayer(diffId);
}
