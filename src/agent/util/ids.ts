import { randomBytes, createHash } from 'node:crypto';

/** A 64-hex-digit random identifier (containers, exec sessions). */
export function randomId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The OCI digest of `data`: `sha256:<hex>`. */
export function sha256Digest(data: string | Buffer): string {
  return `sha256:${sha256Hex(data)}`;
}

export function isFullHexId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
