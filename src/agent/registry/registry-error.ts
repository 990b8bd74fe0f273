/**
 * A registry operation that failed. `code` is stable (tests assert on it); `status` is the
 * Engine API status the agent answers with when the error ends a request before streaming.
 * Messages never contain credentials or tokens.
 */
export type RegistryErrorCode =
  | 'UNAUTHORIZED' | 'DENIED' | 'NOT_FOUND' | 'MANIFEST_INVALID' | 'MANIFEST_SCHEMA1' | 'MANIFEST_UNSUPPORTED'
  | 'NO_MATCHING_PLATFORM' | 'DIGEST_MISMATCH' | 'DIFF_ID_MISMATCH' | 'CONFIG_MISMATCH' | 'TLS' | 'CONNECT' | 'HTTP' | 'SIZE_MISMATCH' | 'LAYER_INVALID';

export class RegistryError extends Error {
  constructor(readonly code: RegistryErrorCode, message: string, readonly status = 500, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RegistryError';
  }
}

/** Distribution's error body: {"errors":[{"code","message","detail"}]}; a short text for messages. */
export function registryErrorText(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    if (Array.isArray(j.errors) && j.errors.length) {
      return j.errors.map((e) => `${(e.code ?? 'error').toLowerCase()}: ${e.message ?? ''}`.trim()).join('; ');
    }
  } catch { /* not JSON */ }
  const t = body.toString('utf8').trim().slice(0, 200);
  return t || 'no details';
}

/** The registry error codes in a body, e.g. ["MANIFEST_UNKNOWN"]. */
export function registryErrorCodes(body: Buffer): string[] {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string }> };
    return (j.errors ?? []).map((e) => String(e.code ?? ''));
  } catch {
    return [];
  }
}
