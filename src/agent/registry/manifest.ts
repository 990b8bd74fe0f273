/**
 * Image manifests as registries serve them: Docker v2 schema 2 and manifest lists, OCI image
 * manifests and indexes. Parsing checks shape, not digests (the caller verifies bytes first).
 * Schema 1 is refused. Pure.
 */
export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** What the client offers in Accept when it asks for a manifest. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export type Manifest = ImageManifest | ImageIndex;

export class ManifestError extends Error {
  constructor(message: string, readonly code: 'MANIFEST_INVALID' | 'MANIFEST_SCHEMA1' | 'MANIFEST_UNSUPPORTED' | 'NO_MATCHING_PLATFORM') {
    super(message);
    this.name = 'ManifestError';
  }
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Descriptor;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number' || d.size < 0) {
    throw new ManifestError(`invalid manifest: ${what} is not a descriptor (digest, size)`, 'MANIFEST_INVALID');
  }
  if (!DIGEST_RE.test(d.digest)) throw new ManifestError(`invalid manifest: ${what} has unsupported digest "${d.digest}" (only sha256)`, 'MANIFEST_INVALID');
  return d;
}

/** Layer compression from a layer media type; undefined for a type that is not a layer. */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' | undefined {
  const base = mediaType.replace('.nondistributable', '');
  if (base === MT.dockerLayerGzip || base === MT.dockerForeignGzip || base === MT.ociLayerGzip) return 'gzip';
  if (base === MT.ociLayerZstd) return 'zstd';
  if (base === MT.ociLayer || base === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  return undefined;
}

/** Parses manifest bytes; `contentType` is the registry's Content-Type (may be generic). */
export function parseManifest(bytes: Buffer, contentType?: string): Manifest {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestError('invalid manifest: not JSON', 'MANIFEST_INVALID');
  }
  const ct = (contentType ?? '').split(';')[0].trim();
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : ct;
  if (json.schemaVersion === 1 || mediaType === MT.dockerSchema1 || mediaType === MT.dockerSchema1Signed) {
    throw new ManifestError('manifest is Docker image manifest schema 1, which is deprecated and not supported: push the image again with a current client (schema 2 or OCI)', 'MANIFEST_SCHEMA1');
  }
  if (Array.isArray(json.manifests)) {
    return { kind: 'index', mediaType: mediaType || MT.ociIndex, manifests: json.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (json.config && Array.isArray(json.layers)) {
    const layers = json.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    for (const [i, l] of layers.entries()) {
      if (!layerCompression(l.mediaType ?? '')) throw new ManifestError(`unsupported layer media type "${l.mediaType}" (layers[${i}])`, 'MANIFEST_UNSUPPORTED');
    }
    return { kind: 'manifest', mediaType: mediaType || MT.ociManifest, config: descriptor(json.config, 'config'), layers };
  }
  throw new ManifestError(`unsupported manifest media type "${mediaType || 'unknown'}"`, 'MANIFEST_UNSUPPORTED');
}

/** Parses "linux/arm64/v8" (os and variant optional: "arm64"). */
export function parsePlatform(s: string, dflt: Platform): Platform {
  const parts = s.split('/').filter(Boolean);
  if (parts.length === 0) return dflt;
  if (parts.length === 1) return { os: dflt.os, architecture: parts[0] };
  return { os: parts[0], architecture: parts[1], variant: parts[2] };
}

const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/** An index entry that is an attestation (BuildKit's provenance/SBOM manifests), not an image. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

/**
 * The entry of an index for `want`: same os and architecture, attestations skipped; with a
 * variant, entries of the same variant (arm64 with no variant counts as v8) win.
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const wantVariant = want.variant ?? DEFAULT_VARIANT[want.architecture];
  const candidates = index.manifests.filter((d) => d.platform && !isAttestation(d)
    && d.platform.os === want.os && d.platform.architecture === want.architecture);
  const variantOf = (d: Descriptor) => d.platform?.variant ?? DEFAULT_VARIANT[want.architecture];
  const exact = candidates.find((d) => variantOf(d) === wantVariant);
  const chosen = exact ?? (want.variant ? undefined : candidates[0]);
  if (!chosen) {
    const have = index.manifests.filter((d) => d.platform && !isAttestation(d))
      .map((d) => [d.platform!.os, d.platform!.architecture, d.platform!.variant].filter(Boolean).join('/'));
    const w = [want.os, want.architecture, want.variant].filter(Boolean).join('/');
    throw new ManifestError(`no matching manifest for ${w} in the manifest list entries (available: ${have.join(', ') || 'none'})`, 'NO_MATCHING_PLATFORM');
  }
  return chosen;
}
