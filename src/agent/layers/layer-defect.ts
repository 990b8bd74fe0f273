import { DiffIdMismatchError, ZstdFormatError } from './decompress-stream';
import { GzipFormatError } from './gunzip-members';
import { PathEscapeError } from './path-scope';
import { TarFormatError } from './tar-reader';

/** zlib's errors for bad or cut deflate data (not Z_MEM_ERROR and the like, which are this host's). */
const isZlibDataError = (e: unknown) => ['Z_DATA_ERROR', 'Z_BUF_ERROR'].includes((e as { code?: unknown }).code as string);

/**
 * True when `e` says the content a layer was read from is unusable: it is not the gzip, zstd
 * or tar its media type says, it would write outside its folder, or it does not hash to its
 * diff ID. False for failures of this host (disk full, I/O errors), which another try can
 * mend. A stored blob damaged on disk fails the same way as a bad download, so whoever acts
 * on a defect checks the blob against its digest first (see refuse in images/layer-refusal.ts).
 */
export function isLayerDefect(e: unknown): boolean {
  return e instanceof DiffIdMismatchError || e instanceof PathEscapeError || e instanceof TarFormatError
    || e instanceof GzipFormatError || e instanceof ZstdFormatError || isZlibDataError(e);
}

/** How a defect reads after `subject` ("layer sha256:..."): what kind of check it failed, then why. */
export function describeDefect(subject: string, defect: Error): string {
  if (defect instanceof DiffIdMismatchError) return `${subject} failed verification: ${defect.message}`;
  if (defect instanceof PathEscapeError || defect instanceof TarFormatError) return `${subject} is not a safe layer archive: ${defect.message}`;
  if (defect instanceof ZstdFormatError) return `${subject} could not be decompressed as zstd: ${defect.message}`;
  return `${subject} could not be decompressed as gzip: ${defect.message}`;
}

/** Where a layer that failed with a defect was read from and unpacked. */
export interface DefectSite {
  diffId: string;
  chainId: string;
  /** The stored compressed blob it was read from; undefined for a plain tar (import, load). */
  blob?: string;
  /**
   * True when it failed while unpacking on an overlay of its parents: then a path refused
   * may depend on what the parents hold (a parent folder that is a file there), so the same
   * layer may be fine on other parents.
   */
  onParents: boolean;
}

/** A layer that failed to unpack because of its content (see isLayerDefect). */
export class LayerDefectError extends Error {
  constructor(readonly site: DefectSite, readonly defect: Error) {
    super(describeDefect(`layer ${site.diffId}`, defect));
    this.name = 'LayerDefectError';
  }
}
