import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../engine';
import { notFound } from '../http/api-error';
import { tarFile, tarHeader, tarPadding, TAR_END } from '../layers/tar-writer';
import { chainIds } from '../layers/layer-store';
import { MT } from '../registry/manifest';
import { familiarName, familiarString, fullName, parseReference, withDefaultTag, ReferenceError } from './reference';
import type { ImageRecord } from './image-store';
import { sha256Digest } from '../util/ids';

interface Selected { img: ImageRecord; tags: string[] }

/** Which images and tags `docker save NAME...` writes: a tag names itself, a repository all its tags, an ID no tag. */
export function selectForSave(engine: Engine, names: string[]): Selected[] {
  const out = new Map<string, Selected>();
  const add = (img: ImageRecord, tags: string[]) => {
    const s = out.get(img.id) ?? { img, tags: [] };
    for (const t of tags) if (!s.tags.includes(t)) s.tags.push(t);
    out.set(img.id, s);
  };
  for (const name of names) {
    let ref;
    try { ref = parseReference(name); } catch (e) { if (!(e instanceof ReferenceError)) throw e; }
    if (ref && !ref.tag && !ref.digest && !/^(sha256:)?[0-9a-f]{12,64}$/.test(name)) {
      const repo = fullName(ref);
      const imgs = engine.images.list().filter((i) => i.tags.some((t) => t.startsWith(`${repo}:`)));
      if (imgs.length) { for (const i of imgs) add(i, i.tags.filter((t) => t.startsWith(`${repo}:`))); continue; }
    }
    const id = engine.images.lookup(name);
    if (!id) throw notFound(`No such image: ${name}`);
    const img = engine.images.record(id);
    const full = ref ? `${fullName(withDefaultTag(ref))}:${withDefaultTag(ref).tag}` : undefined;
    add(img, full && img.tags.includes(full) ? [full] : []);
  }
  return [...out.values()];
}

/** Size of a layer's uncompressed tar: stored, recorded at unpack, or counted. */
async function layerTarSize(engine: Engine, img: ImageRecord, i: number): Promise<number> {
  const diffId = img.config.rootfs.diff_ids[i];
  const plain = await engine.content.size(diffId);
  if (plain !== undefined) return plain;
  const meta = await engine.layers.meta(chainIds(img.config.rootfs.diff_ids)[i]);
  if (meta?.tarSize) return meta.tarSize;
  let n = 0;
  for await (const c of await engine.diffs.open(diffId)) n += c.length;
  return n;
}

const blob = (d: string) => `blobs/sha256/${d.slice(7)}`;

/**
 * `docker save`: Docker 25's archive, which is an OCI image layout (blobs/sha256, index.json,
 * oci-layout) plus the docker-archive files older tools read (manifest.json, repositories).
 * Layers are written uncompressed, once each.
 */
export async function* saveImages(engine: Engine, selected: Selected[]): AsyncGenerator<Buffer> {
  const written = new Set<string>();
  const manifestJson: unknown[] = [];
  const index: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  yield tarHeader({ name: 'blobs', type: 'dir', mode: 0o755 });
  yield tarHeader({ name: 'blobs/sha256', type: 'dir', mode: 0o755 });
  for (const { img, tags } of selected) {
    const layers: Array<{ digest: string; size: number }> = [];
    for (const [i, diffId] of img.config.rootfs.diff_ids.entries()) {
      const size = await layerTarSize(engine, img, i);
      layers.push({ digest: diffId, size });
      if (written.has(diffId)) continue;
      written.add(diffId);
      yield tarHeader({ name: blob(diffId), type: 'file', mode: 0o644, size });
      for await (const c of await engine.diffs.open(diffId)) yield c;
      yield tarPadding(size);
    }
    const configBytes = await readFile(join(engine.images.root, 'configs', `${img.id.slice(7)}.json`));
    if (!written.has(img.id)) { written.add(img.id); yield tarFile(blob(img.id), configBytes); }
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: img.id, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: MT.ociLayer, digest: l.digest, size: l.size })),
    }));
    const md = sha256Digest(manifest);
    if (!written.has(md)) { written.add(md); yield tarFile(blob(md), manifest); }
    const familiar = tags.map((t) => familiarString(parseReference(t)));
    manifestJson.push({ Config: blob(img.id), RepoTags: familiar.length ? familiar : null, Layers: layers.map((l) => blob(l.digest)) });
    const entry = { mediaType: MT.ociManifest, digest: md, size: manifest.length };
    if (tags.length === 0) index.push(entry);
    for (const t of tags) {
      const r = parseReference(t);
      index.push({ ...entry, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': r.tag } });
      (repositories[familiarName(r)] ??= {})[r.tag!] = img.config.rootfs.diff_ids[img.config.rootfs.diff_ids.length - 1]?.slice(7) ?? '';
    }
  }
  yield tarFile('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: index })));
  yield tarFile('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  yield tarFile('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  if (Object.keys(repositories).length) yield tarFile('repositories', Buffer.from(JSON.stringify(repositories)));
  yield TAR_END;
}
