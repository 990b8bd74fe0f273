import type { RegistryClient } from '../registry/registry-client';
import { RegistryError } from '../registry/registry-error';
import { parseManifest, parsePlatform, selectPlatform, ManifestError, type ImageManifest, type Platform } from '../registry/manifest';
import { readBody } from '../registry/http-transport';
import type { ImageConfig } from './image-config';
import { sha256Digest } from '../util/ids';

export interface ResolvedManifest {
  /** Digest of what the reference points at (an index for multi-platform images): RepoDigests. */
  topDigest: string;
  /** The index bytes when the reference named one. */
  index?: { bytes: Buffer; mediaType: string };
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDigest: string;
}

function asRegistryError(e: unknown): never {
  if (e instanceof ManifestError) throw new RegistryError(e.code, e.message, e.code === 'NO_MATCHING_PLATFORM' ? 404 : 500);
  throw e;
}

/**
 * Fetches what `ref` (a tag or digest) names and, for an index, the manifest for `platform`;
 * every manifest is checked against the digest it was asked by.
 */
export async function resolveManifest(client: RegistryClient, repo: string, ref: string, platform: Platform): Promise<ResolvedManifest> {
  const top = await client.getManifest(repo, ref);
  if (ref.startsWith('sha256:') && top.digest !== ref) {
    throw new RegistryError('DIGEST_MISMATCH', `manifest ${ref} of ${client.endpoint.name}/${repo} failed verification: its bytes hash to ${top.digest}`);
  }
  let parsed;
  try { parsed = parseManifest(top.bytes, top.mediaType); } catch (e) { asRegistryError(e); }
  if (parsed.kind === 'manifest') return { topDigest: top.digest, manifest: parsed, manifestBytes: top.bytes, manifestDigest: top.digest };
  let desc;
  try { desc = selectPlatform(parsed, platform); } catch (e) { asRegistryError(e); }
  const m = await client.getManifest(repo, desc.digest);
  if (m.digest !== desc.digest || m.bytes.length !== desc.size) {
    throw new RegistryError('DIGEST_MISMATCH', `manifest ${desc.digest} of ${client.endpoint.name}/${repo} failed verification: got ${m.bytes.length} bytes hashing to ${m.digest}`);
  }
  let inner;
  try { inner = parseManifest(m.bytes, m.mediaType || desc.mediaType); } catch (e) { asRegistryError(e); }
  if (inner.kind !== 'manifest') throw new RegistryError('MANIFEST_UNSUPPORTED', `the index entry ${desc.digest} is itself an index`);
  return { topDigest: top.digest, index: { bytes: top.bytes, mediaType: parsed.mediaType }, manifest: inner, manifestBytes: m.bytes, manifestDigest: m.digest };
}

/** Fetches and verifies the image config; checks it against the manifest's layers. */
export async function fetchConfig(client: RegistryClient, repo: string, m: ImageManifest): Promise<{ bytes: Buffer; config: ImageConfig }> {
  const { res } = await client.getBlob(repo, m.config.digest);
  const bytes = await readBody(res, 8 * 1024 * 1024);
  const got = sha256Digest(bytes);
  if (got !== m.config.digest) {
    throw new RegistryError('DIGEST_MISMATCH', `image config ${m.config.digest} of ${client.endpoint.name}/${repo} failed verification: its bytes hash to ${got}`);
  }
  let config: ImageConfig;
  try { config = JSON.parse(bytes.toString('utf8')) as ImageConfig; } catch {
    throw new RegistryError('CONFIG_MISMATCH', `image config ${m.config.digest} is not JSON`);
  }
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== m.layers.length) {
    throw new RegistryError('CONFIG_MISMATCH', `image config ${m.config.digest} lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} layers (rootfs.diff_ids) but the manifest has ${m.layers.length}: the manifest and its config do not match`);
  }
  if (!diffIds.every((d) => /^sha256:[0-9a-f]{64}$/.test(d))) throw new RegistryError('CONFIG_MISMATCH', `image config ${m.config.digest} has an invalid diff ID`);
  return { bytes, config };
}

export function wantedPlatform(spec: string | null | undefined, arch: string): Platform {
  return parsePlatform(spec ?? '', { os: 'linux', architecture: arch });
}
