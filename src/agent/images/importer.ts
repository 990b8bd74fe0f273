import type { Readable } from 'node:stream';
import { badRequest } from '../http/api-error';
import type { ContentStore } from '../layers/content-store';
import type { LayerStore } from '../layers/layer-store';
import { LayerDefectError } from '../layers/layer-defect';
import type { ImageStore } from './image-store';
import { applyChanges, ChangeError } from './changes';
import { goArch, type ImageConfig } from './image-config';
import { parseReference, withDefaultTag, fullString, ReferenceError, type Reference } from './reference';
import { decompressed } from './decompress';
import { nowRfc3339 } from '../util/time';

export interface ImportRequest {
  source: AsyncIterable<Buffer> | Readable;
  repo?: string;
  tag?: string;
  changes: string[];
  message?: string;
}

/** The reference an import should be tagged with, or undefined for an untagged import. */
export function importReference(repo?: string, tag?: string): Reference | undefined {
  if (!repo) return undefined;
  let ref: Reference;
  try {
    ref = parseReference(repo);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  if (ref.digest) throw badRequest('cannot import digest reference');
  if (tag) {
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw badRequest(`invalid tag "${tag}"`);
    ref = { ...ref, tag };
  }
  return withDefaultTag(ref);
}

/**
 * `docker import`: stores the (maybe gzip'd) tar as one layer, writes an image config whose
 * run config comes from `changes`, and tags it. Returns the image ID.
 */
export async function importImage(
  req: ImportRequest,
  stores: { content: ContentStore; layers: LayerStore; images: ImageStore },
): Promise<string> {
  const ref = importReference(req.repo, req.tag);
  let runConfig;
  try {
    runConfig = applyChanges({}, req.changes);
  } catch (e) {
    if (e instanceof ChangeError) throw badRequest(e.message);
    throw e;
  }
  const { digest: diffId } = await stores.content.ingest(await decompressed(req.source as AsyncIterable<Buffer>));
  try {
    await stores.layers.ensure([diffId]);
  } catch (e) {
    if (!(await stores.layers.meta(diffId))) await stores.content.remove(diffId);
    if (e instanceof LayerDefectError) throw badRequest(`invalid layer archive: ${e.defect.message}`);
    if (e instanceof ReferenceError) throw badRequest(`invalid layer archive: ${e.message}`);
    throw e;
  }
  const created = nowRfc3339();
  const comment = req.message || 'Imported from -';
  const config: ImageConfig = {
    architecture: goArch(),
    os: 'linux',
    created,
    comment,
    config: runConfig,
    container_config: {},
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, comment }],
  };
  const id = await stores.images.add(Buffer.from(JSON.stringify(config)));
  if (ref) await stores.images.tag(id, fullString(ref));
  return id;
}
