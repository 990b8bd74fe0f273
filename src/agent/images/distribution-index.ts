import { join } from 'node:path';
import { atomicWriteJson, readJsonIfExists } from '../util/fsx';

/** A compressed (or plain) form of a layer as a registry serves it. */
export interface BlobForm {
  /** sha256 of the bytes the registry serves. */
  digest: string;
  mediaType: string;
  size: number;
  /** Where it was seen: registry name and repository path (for HEAD checks and cross-repo mounts). */
  seen: Array<{ registry: string; repository: string }>;
  /** True when the bytes are in the content store (pulled), so pushes can reuse them as they are. */
  stored: boolean;
}

/** A manifest an image was pulled with or pushed as, kept so a push can reuse it byte for byte. */
export interface ManifestRecord {
  /** registry/repository (`127.0.0.1:5000/team/app`). */
  repository: string;
  digest: string;
  mediaType: string;
  /** Layer digests the manifest references, bottom first. */
  layers: string[];
}

interface IndexFile {
  /** diff ID -> forms. */
  layers: Record<string, BlobForm[]>;
  /** image ID -> manifests (platform-specific, bytes in the content store). */
  manifests: Record<string, ManifestRecord[]>;
}

/**
 * What tsagent knows about images and layers in registries (`<data-root>/distribution.json`):
 * which compressed blobs a diff ID has (like dockerd's v2 metadata) and which manifests an
 * image was pulled with. Writes are serialised and atomic.
 */
export class DistributionIndex {
  private data: IndexFile = { layers: {}, manifests: {} };
  private writing: Promise<void> = Promise.resolve();
  private readonly held = new Map<string, number>();

  constructor(private readonly dataRoot: string) {}

  private get file(): string {
    return join(this.dataRoot, 'distribution.json');
  }

  async init(): Promise<void> {
    const d = await readJsonIfExists<IndexFile>(this.file);
    if (d) this.data = { layers: d.layers ?? {}, manifests: d.manifests ?? {} };
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.data)) as IndexFile;
    this.writing = this.writing.then(() => atomicWriteJson(this.file, snapshot), () => atomicWriteJson(this.file, snapshot));
    return this.writing;
  }

  forms(diffId: string): BlobForm[] {
    return this.data.layers[diffId] ?? [];
  }

  /** Every diff ID a form is recorded for. */
  diffIds(): string[] {
    return Object.keys(this.data.layers);
  }

  /** True while a pull in flight holds this diff ID (see hold): GC leaves its blobs alone. */
  isHeld(diffId: string): boolean {
    return this.held.has(diffId);
  }

  /**
   * Keeps these diff IDs' forms from GC while a pull that has not recorded its image yet
   * verifies them; returns the release.
   */
  hold(diffIds: readonly string[]): () => void {
    for (const d of diffIds) this.held.set(d, (this.held.get(d) ?? 0) + 1);
    return () => {
      for (const d of diffIds) {
        const n = (this.held.get(d) ?? 1) - 1;
        if (n > 0) this.held.set(d, n);
        else this.held.delete(d);
      }
    };
  }

  /** The diff ID a stored compressed blob unpacks to. */
  diffIdOf(digest: string): string | undefined {
    for (const [diff, forms] of Object.entries(this.data.layers)) if (forms.some((f) => f.digest === digest)) return diff;
    return undefined;
  }

  /** Records a form of a layer (merging where it was seen). */
  async addForm(diffId: string, form: Omit<BlobForm, 'seen'> & { seen?: BlobForm['seen'] }): Promise<void> {
    const forms = this.data.layers[diffId] ?? [];
    const old = forms.find((f) => f.digest === form.digest);
    const seen = [...(old?.seen ?? [])];
    for (const s of form.seen ?? []) if (!seen.some((x) => x.registry === s.registry && x.repository === s.repository)) seen.push(s);
    const next: BlobForm = { digest: form.digest, mediaType: form.mediaType, size: form.size, stored: form.stored || !!old?.stored, seen };
    this.data.layers[diffId] = [...forms.filter((f) => f.digest !== form.digest), next];
    await this.save();
  }

  /** Forgets a form (its blob was found corrupt or removed). */
  async dropForm(diffId: string, digest: string): Promise<void> {
    const forms = (this.data.layers[diffId] ?? []).filter((f) => f.digest !== digest);
    if (forms.length) this.data.layers[diffId] = forms;
    else delete this.data.layers[diffId];
    await this.save();
  }

  async forgetLayer(diffId: string): Promise<void> {
    delete this.data.layers[diffId];
    await this.save();
  }

  manifests(imageId: string): ManifestRecord[] {
    return this.data.manifests[imageId] ?? [];
  }

  async addManifest(imageId: string, m: ManifestRecord): Promise<void> {
    const list = (this.data.manifests[imageId] ?? []).filter((x) => !(x.repository === m.repository && x.digest === m.digest));
    this.data.manifests[imageId] = [...list, m];
    await this.save();
  }

  /** Forgets an image's manifests; returns the digests no other image still uses. */
  async forgetImage(imageId: string): Promise<string[]> {
    const gone = (this.data.manifests[imageId] ?? []).map((m) => m.digest);
    delete this.data.manifests[imageId];
    await this.save();
    const still = this.manifestDigests();
    return gone.filter((d) => !still.has(d));
  }

  /** Every manifest digest still recorded (GC keeps their bytes). */
  manifestDigests(): Set<string> {
    return new Set(Object.values(this.data.manifests).flat().map((m) => m.digest));
  }
}
