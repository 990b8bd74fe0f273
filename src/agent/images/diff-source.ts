import type { ContentStore } from '../layers/content-store';
import { decompressStream, verifyDigest } from '../layers/decompress-stream';
import { layerCompression } from '../registry/manifest';
import type { DistributionIndex } from './distribution-index';
import type { DiffContent } from '../layers/layer-store';

const TRUST_MS = 60_000;

/**
 * The uncompressed content of a layer by diff ID: the plain tar when the store has it
 * (docker import, load), else a stored compressed blob (pull) decompressed on the fly. The
 * stream is verified twice: the stored blob against its digest, the output against the diff ID.
 */
export class DiffSource {
  /** `diffId digest` pairs whose blob this process has just verified, and when (see trustOnce). */
  private readonly justVerified = new Map<string, number>();

  constructor(private readonly content: ContentStore, private readonly dist: DistributionIndex) {}

  /**
   * The next open of `diffId` from blob `digest` skips the blob's own hash: a pull has just
   * downloaded it and checked it against its digest as it arrived. The content is still checked against the diff
   * ID: that happens on the way into the layer, nowhere before. Once, and within a minute (an
   * unpack that never came does not leave a blob trusted for later).
   */
  trustOnce(diffId: string, digest: string): void {
    const now = Date.now();
    for (const [k, at] of this.justVerified) if (now - at >= TRUST_MS) this.justVerified.delete(k);
    this.justVerified.set(`${diffId} ${digest}`, now);
  }

  private takeTrust(key: string): boolean {
    const at = this.justVerified.get(key);
    this.justVerified.delete(key);
    return at !== undefined && Date.now() - at < TRUST_MS;
  }

  /** The stored compressed form of a diff, if any. */
  async storedForm(diffId: string) {
    for (const f of this.dist.forms(diffId)) if (f.stored && f.digest !== diffId && (await this.content.has(f.digest))) return f;
    return undefined;
  }

  async has(diffId: string): Promise<boolean> {
    return (await this.content.has(diffId)) || !!(await this.storedForm(diffId));
  }

  async open(diffId: string): Promise<AsyncIterable<Buffer>> {
    return (await this.openContent(diffId)).content;
  }

  /** The content (see open) and the stored compressed blob it is read from, if it is not the plain tar. */
  async openContent(diffId: string): Promise<DiffContent> {
    if (await this.content.has(diffId)) return { content: this.content.readVerified(diffId) };
    const form = await this.storedForm(diffId);
    if (!form) throw new Error(`layer ${diffId} has no content in the store (pull or load the image again)`);
    const kind = layerCompression(form.mediaType) ?? 'gzip';
    const blob = this.takeTrust(`${diffId} ${form.digest}`) ? this.content.read(form.digest) : this.content.readVerified(form.digest);
    return { content: verifyDigest(decompressStream(blob, kind), diffId), blob: form.digest };
  }
}
