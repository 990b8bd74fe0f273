import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteJson, exists, mkdirp, readJsonIfExists, listDir } from '../util/fsx';
import { mountOverlay, unmount } from '../util/mount';
import { unpackTar, NeedsParentsError } from './unpack';
import { Drainable } from './decompress-stream';
import { LayerDefectError, isLayerDefect } from './layer-defect';
import { PathEscapeError } from './path-scope';
import { sha256Digest } from '../util/ids';

/** A layer's uncompressed tar, verified (the stream throws at its end on a mismatch), and the stored blob it comes from (none: a plain tar). */
export interface DiffContent { content: AsyncIterable<Buffer>; blob?: string }

/** Opens the uncompressed tar of a layer by diff ID. */
export type DiffOpener = (diffId: string) => Promise<DiffContent>;

/** One unpacked layer: `<root>/<chain hex>/diff` plus its metadata. */
export interface LayerMeta {
  chainId: string;
  diffId: string;
  parent?: string;
  /** Bytes of file content in this layer. */
  size: number;
  /** Bytes of the layer's uncompressed tar (what `docker save` writes). */
  tarSize?: number;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Digest(`${prev} ${d}`));
  }
  return out;
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/**
 * Layers unpacked once per chain ID, ready to be overlay lower folders. A layer is built
 * in a temp folder and renamed into place, so a half-unpacked layer is never used. A layer
 * whose content is unusable fails with LayerDefectError (its diff ID and why); a failed
 * parent fails its children with the parent's error.
 */
export class LayerStore {
  private readonly builds = new Map<string, Promise<LayerMeta>>();

  constructor(readonly root: string, private readonly open: DiffOpener, private readonly warn: (m: string) => void) {}

  async init(): Promise<void> {
    await mkdirp(this.root, 0o755);
    for (const name of await listDir(this.root)) {
      if (name.startsWith('tmp-')) {
        await unmount(join(this.root, name, 'merged'));
        await fsp.rm(join(this.root, name), { recursive: true, force: true });
      }
    }
  }

  dir(chainId: string): string {
    return join(this.root, hex(chainId));
  }

  /** The diff folder relative to the store root (short overlay option strings). */
  relDiff(chainId: string): string {
    return `${hex(chainId)}/diff`;
  }

  meta(chainId: string): Promise<LayerMeta | undefined> {
    return readJsonIfExists<LayerMeta>(join(this.dir(chainId), 'layer.json'));
  }

  /** True while the layer of this chain ID is being unpacked. */
  building(chainId: string): boolean {
    return this.builds.has(chainId);
  }

  /** The layer's metadata once any unpack of it in flight has settled (undefined when it is not there). */
  async settled(chainId: string): Promise<LayerMeta | undefined> {
    await this.builds.get(chainId)?.catch(() => undefined);
    return this.meta(chainId);
  }

  /** Settles once no layer is being unpacked (GC and shutdown wait for this). */
  async idle(): Promise<void> {
    while (this.builds.size > 0) await Promise.allSettled([...this.builds.values()]);
  }

  /**
   * Unpacks every layer of the chain that is not there yet, all at once (see ensureTop): each
   * layer goes into place after its parent. Rejects with the first layer's failure.
   */
  async unpackAll(diffIds: readonly string[]): Promise<LayerMeta[]> {
    const all: Array<Promise<LayerMeta>> = [];
    for (let i = 0; i < diffIds.length; i++) all.push(this.ensureTop(diffIds.slice(0, i + 1), i > 0 ? all[i - 1] : Promise.resolve()));
    const settled = await Promise.allSettled(all);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<LayerMeta>).value);
  }

  /** Unpacks every layer of the chain that is not there yet (the blobs must be in the content store by diff ID). */
  async ensure(diffIds: readonly string[]): Promise<LayerMeta[]> {
    const chain = chainIds(diffIds);
    const metas: LayerMeta[] = [];
    for (let i = 0; i < chain.length; i++) metas.push(await this.once(chain[i], () => this.build(chain.slice(0, i), chain[i], diffIds[i])));
    return metas;
  }

  /**
   * Unpacks the top layer of `diffIds` while its parents may still be unpacking elsewhere:
   * `parentsReady` settles once they are in place (rejects if they cannot be). The layer goes
   * straight into its own folder when it can (see UnpackOptions.standalone: no whiteouts, no
   * made-up folders, hard links within the layer), else on an overlay of the parents once they
   * are there. Either way it is moved into place only after its parents, so a layer folder
   * never exists without them. The caller must make sure the blob is in the store.
   */
  async ensureTop(diffIds: readonly string[], parentsReady: Promise<unknown>): Promise<LayerMeta> {
    parentsReady.catch(() => undefined); // awaited later; its failure is this layer's failure
    const chain = chainIds(diffIds);
    const top = chain[chain.length - 1];
    return this.once(top, () => this.build(chain.slice(0, -1), top, diffIds[diffIds.length - 1], parentsReady));
  }

  /**
   * The layer of `chainId`: the one in place, the unpack of it in flight, or a new unpack by
   * `build`. Registered before the first await, so building() and idle() see it at once.
   */
  private once(chainId: string, build: () => Promise<LayerMeta>): Promise<LayerMeta> {
    let p = this.builds.get(chainId);
    if (!p) {
      p = (async () => (await this.meta(chainId)) ?? build())().finally(() => this.builds.delete(chainId));
      this.builds.set(chainId, p);
    }
    return p;
  }

  private async build(parents: string[], chainId: string, diffId: string, parentsReady?: Promise<unknown>): Promise<LayerMeta> {
    const tmp = join(this.root, `tmp-${randomBytes(6).toString('hex')}`);
    const diff = join(tmp, 'diff');
    await fsp.mkdir(diff, { recursive: true, mode: 0o755 });
    await fsp.chmod(diff, 0o755);
    let src: Drainable | undefined;
    let blob: string | undefined;
    let overlay = false;
    const open = async () => {
      const d = await this.open(diffId);
      blob = d.blob;
      return new Drainable(d.content);
    };
    try {
      let stats: { bytes: number } | undefined;
      if (parents.length > 0 && parentsReady) {
        src = await open();
        try {
          stats = await unpackTar(src, diff, { applyWhiteouts: false, standalone: true, warn: this.warn });
          await src.drain(); // verifies the diff ID now, not after the parents
        } catch (e) {
          if (!(e instanceof NeedsParentsError)) throw e;
          await src.close();
          await fsp.rm(diff, { recursive: true, force: true });
          await fsp.mkdir(diff, { mode: 0o755 });
          await fsp.chmod(diff, 0o755);
          src = undefined;
        }
      }
      if (parentsReady) await parentsReady;
      if (!src) {
        src = await open();
        overlay = parents.length > 0;
        stats = overlay
          ? await this.unpackOnOverlay(parents, tmp, src)
          : await unpackTar(src, diff, { applyWhiteouts: false, warn: this.warn });
      }
      await src.drain();
      const meta: LayerMeta = { chainId, diffId, parent: parents[parents.length - 1], size: stats!.bytes, tarSize: src.bytes };
      await atomicWriteJson(join(tmp, 'layer.json'), meta);
      await fsp.rename(tmp, this.dir(chainId)).catch(async (e) => {
        if (!(await exists(join(this.dir(chainId), 'layer.json')))) throw e;
        await fsp.rm(tmp, { recursive: true, force: true });
      });
      return meta;
    } catch (e) {
      await src?.close();
      await unmount(join(tmp, 'merged')).catch(() => undefined);
      await fsp.rm(tmp, { recursive: true, force: true });
      if (!isLayerDefect(e)) throw e;
      // On the parents, a refused path may be the parents' doing (a parent folder that is a file there).
      throw new LayerDefectError({ diffId, chainId, blob, onParents: overlay && e instanceof PathEscapeError }, e as Error);
    }
  }

  /** Applies a layer on top of its parents through an overlay mount, so whiteouts become overlay whiteouts. */
  private async unpackOnOverlay(parents: string[], tmp: string, src: AsyncIterable<Buffer>) {
    const merged = join(tmp, 'merged');
    const work = join(tmp, 'work');
    await fsp.mkdir(merged);
    await fsp.mkdir(work);
    await mountOverlay({ lowers: [...parents].reverse().map((c) => this.relDiff(c)), lowerBase: this.root, upper: join(tmp, 'diff'), work, target: merged });
    try {
      return await unpackTar(src, merged, { applyWhiteouts: true, warn: this.warn });
    } finally {
      await unmount(merged);
      await fsp.rm(work, { recursive: true, force: true });
      await fsp.rmdir(merged);
    }
  }

  async remove(chainId: string): Promise<void> {
    await fsp.rm(this.dir(chainId), { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    return (await listDir(this.root)).filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
