import { DiffIdMismatchError, ZstdFormatError } from './decompress-stream';
import { GzipFormatError } from './gunzip-members';
import { PathEscapeError } from './path-scope';
import { TarFormatError } from './tar-reader';

/** zlib's own errors for bad deflate data carry codes such as Z_DATA_ERROR. */
const isZlibError = (e: unknown) => typeof (e as { code?: unknown }).code === 'string' && /^Z_/.test((e as { code: string }).code);

/**
 * True when `e` says a layer's content is unusable, so any copy of the same blob fails the
 * same way: it is not the gzip, zstd or tar its media type says, it would write outside its
 * folder, or it does not hash to its diff ID. False for failures of this host (disk full, I/O
 * errors, a corrupt stored blob), which another try or another download can mend.
 */
export function isLayerDefect(e: unknown): boolean {
  return e instanceof DiffIdMismatchError || e instanceof PathEscapeError || e instanceof TarFormatError
    || e instanceof GzipFormatError || e instanceof ZstdFormatError || isZlibError(e);
}

/** How a defect reads after `subject` ("layer sha256:..."): what kind of check it failed, then why. */
export function describeDefect(subject: string, cause: Error): string {
  if (cause instanceof DiffIdMismatchError) return `${subject} failed verification: ${cause.message}`;
  if (cause instanceof PathEscapeError || cause instanceof TarFormatError) return `${subject} is not a safe layer archive: ${cause.message}`;
  if (cause instanceof ZstdFormatError) return `${subject} could not be decompressed as zstd: ${cause.message}`;
  return `${subject} could not be decompressed as gzip: ${cause.message}`;
}

/** A layer that failed to unpack because of its content (see isLayerDefect), by diff ID. */
export class LayerDefectError extends Error {
  constructor(readonly diffId: string, readonly cause: Error) {
    super(describeDefect(`layer ${diffId}`, cause));
    this.name = 'LayerDefectError';
  }
}
