/**
 * Test images built from busybox-static as OCI layouts on disk (blobs, index.json), then
 * copied into a registry with `skopeo copy` (Debian package skopeo), so the registry holds
 * exactly what a third-party tool pushed: a busybox image, a multi-layer image with
 * whiteouts, zstd and plain-tar layers, and a multi-platform index with an attestation.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeBusyboxRootfs } from './busybox-rootfs';

export type Compression = 'gzip' | 'zstd' | 'none';

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd', none: 'application/vnd.oci.image.layer.v1.tar' } as Record<Compression, string>,
};

export interface Desc { mediaType: string; digest: string; size: number; platform?: Record<string, string>; annotations?: Record<string, string> }

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function run(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 512 * 1024 * 1024 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(`${cmd} is missing: install the ${cmd} package (scripts/setup.sh)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

/** A reproducible tar of a folder (sorted, numeric owners, fixed mtime). */
export function tarDir(dir: string): Buffer {
  return run('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@1700000000', '-C', dir, '-c', '.']);
}

export function compress(tar: Buffer, kind: Compression): Buffer {
  if (kind === 'gzip') return gzipSync(tar);
  if (kind === 'zstd') return run('zstd', ['-q', '-c', '-3'], tar);
  return tar;
}

/** Writes files (path -> content; content null makes a folder) into a fresh temp folder and tars it. */
export function tarOf(files: Record<string, string | Buffer | null>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-layer-'));
  try {
    for (const [p, c] of Object.entries(files)) {
      const full = join(dir, p);
      if (c === null) { mkdirSync(full, { recursive: true }); continue; }
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, c);
    }
    return tarDir(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The busybox root filesystem as one tar. */
export function busyboxTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-bb-'));
  try {
    writeBusyboxRootfs(dir);
    return tarDir(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ImageSpec {
  layers: Array<{ tar: Buffer; compression: Compression }>;
  architecture?: string;
  variant?: string;
  cmd?: string[];
  labels?: Record<string, string>;
}

/** An OCI image layout folder being filled. */
export class OciLayout {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  addBlob(data: Buffer, mediaType: string): Desc {
    const digest = sha256(data);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), data);
    return { mediaType, digest, size: data.length };
  }

  /** Adds config, layers and manifest; returns the manifest descriptor (with platform). */
  addImage(spec: ImageSpec): Desc & { diffIds: string[]; layerDigests: string[]; configDigest: string } {
    const layers = spec.layers.map((l) => this.addBlob(compress(l.tar, l.compression), OCI.layer[l.compression]));
    const diffIds = spec.layers.map((l) => sha256(l.tar));
    const arch = spec.architecture ?? 'amd64';
    const config = {
      architecture: arch, ...(spec.variant ? { variant: spec.variant } : {}), os: 'linux', created: '2024-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: spec.cmd ?? ['sh'], Labels: spec.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
    };
    const cfg = this.addBlob(Buffer.from(JSON.stringify(config)), OCI.config);
    const manifest = { schemaVersion: 2, mediaType: OCI.manifest, config: cfg, layers };
    const m = this.addBlob(Buffer.from(JSON.stringify(manifest)), OCI.manifest);
    return { ...m, platform: { os: 'linux', architecture: arch, ...(spec.variant ? { variant: spec.variant } : {}) }, diffIds, layerDigests: layers.map((l) => l.digest), configDigest: cfg.digest };
  }

  /** An attestation manifest entry like BuildKit's (platform unknown/unknown). */
  addAttestation(subject: Desc): Desc {
    const statement = this.addBlob(Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', subject: [] })), 'application/vnd.in-toto+json');
    const cfg = this.addBlob(Buffer.from('{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'), OCI.config);
    const manifest = { schemaVersion: 2, mediaType: OCI.manifest, config: cfg, layers: [statement] };
    const m = this.addBlob(Buffer.from(JSON.stringify(manifest)), OCI.manifest);
    return { ...m, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': subject.digest } };
  }

  /** Adds an index over `manifests` and names it `tag` in index.json. Returns the index descriptor. */
  addIndex(manifests: Desc[], tag: string): Desc {
    const index = { schemaVersion: 2, mediaType: OCI.index, manifests: manifests.map(({ mediaType, digest, size, platform, annotations }) => ({ mediaType, digest, size, platform, ...(annotations ? { annotations } : {}) })) };
    const d = this.addBlob(Buffer.from(JSON.stringify(index)), OCI.index);
    this.tag(d, tag);
    return d;
  }

  private tags: Desc[] = [];

  /** Names a manifest or index in index.json. */
  tag(d: Desc, tag: string): void {
    this.tags.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, annotations: { 'org.opencontainers.image.ref.name': tag } });
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.tags }));
  }
}

export interface CopyOptions { all?: boolean; format?: 'v2s2' | 'oci'; creds?: string; tlsVerify?: boolean; certDir?: string }

/** Runs a program without blocking the event loop (servers in this process must keep answering it). */
function runAsync(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`${cmd} is missing: install the ${cmd} package (scripts/setup.sh)`) : e));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`${cmd} ${args.join(' ')} failed: ${Buffer.concat(err).toString()}`))));
  });
}

/** `skopeo copy oci:DIR:TAG docker://DEST`, blobs and manifests as built (--preserve-digests) unless a format conversion is asked. */
export async function skopeoPush(layout: string, tag: string, dest: string, o: CopyOptions = {}): Promise<void> {
  await runAsync('skopeo', ['--insecure-policy', 'copy', '-q', ...(o.all ? ['--all'] : []), ...(o.format ? ['--format', o.format] : ['--preserve-digests']),
    ...(o.creds ? ['--dest-creds', o.creds] : []), `--dest-tls-verify=${o.tlsVerify ?? false}`, ...(o.certDir ? ['--dest-cert-dir', o.certDir] : []),
    `oci:${layout}:${tag}`, `docker://${dest}`]);
}

/** Runs skopeo with the given arguments (insecure policy); stdout. */
export function skopeo(args: string[]): Promise<string> {
  return runAsync('skopeo', ['--insecure-policy', ...args]);
}
