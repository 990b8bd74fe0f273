/**
 * Shared set-up for the registry suites: a real docker-registry, images copied into it by
 * skopeo from OCI layouts built here, and an agent that may reach it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciLayout, busyboxTar, tarOf, skopeoPush, type Desc } from '../../helpers/registry-images';

export interface BuiltImages {
  busybox: ReturnType<OciLayout['addImage']>;
  layered: ReturnType<OciLayout['addImage']>;
  amd64: ReturnType<OciLayout['addImage']>;
  arm64: ReturnType<OciLayout['addImage']>;
  index: Desc;
  layout: string;
  cleanup(): void;
}

/** Builds the test images in one OCI layout (tags: busybox, layered, multi). */
export function buildImages(): BuiltImages {
  const layout = mkdtempSync(join(tmpdir(), 'tsm-oci-'));
  const oci = new OciLayout(layout);
  const base = busyboxTar();
  const busybox = oci.addImage({ layers: [{ tar: base, compression: 'gzip' }], cmd: ['echo', 'hello from the registry'] });
  oci.tag(busybox, 'busybox');
  const layered = oci.addImage({
    layers: [
      { tar: base, compression: 'gzip' },
      { tar: tarOf({ 'data/keep': 'keep\n', 'data/gone': 'gone\n', 'etc/motd': 'motd\n', 'opq/a': 'a', 'opq/b': 'b' }), compression: 'zstd' },
      { tar: tarOf({ 'data/.wh.gone': '', 'etc/.wh.motd': '', 'opq/.wh..wh..opq': '', 'opq/c': 'c', 'data/added': 'added\n' }), compression: 'none' },
    ],
    labels: { suite: 'registry' },
  });
  oci.tag(layered, 'layered');
  const amd64 = oci.addImage({ layers: [{ tar: base, compression: 'gzip' }], cmd: ['echo', 'amd64 image'] });
  const arm64 = oci.addImage({ layers: [{ tar: tarOf({ platform: 'arm64\n' }), compression: 'gzip' }], architecture: 'arm64', variant: 'v8' });
  const index = oci.addIndex([amd64, arm64, oci.addAttestation(amd64)], 'multi');
  return { busybox, layered, amd64, arm64, index, layout, cleanup: () => rmSync(layout, { recursive: true, force: true }) };
}

/** Copies the built images into a registry: busybox as OCI and as Docker v2 schema 2, layered, multi (all platforms). */
export async function seedRegistry(img: BuiltImages, host: string, o: { creds?: string; certDir?: string; tlsVerify?: boolean } = {}): Promise<void> {
  await skopeoPush(img.layout, 'busybox', `${host}/test/busybox:oci`, o);
  await skopeoPush(img.layout, 'busybox', `${host}/test/busybox:v2`, { ...o, format: 'v2s2' });
  await skopeoPush(img.layout, 'layered', `${host}/test/layered:1`, o);
  await skopeoPush(img.layout, 'multi', `${host}/test/multi:1`, { ...o, all: true });
}

/** Non-empty output lines. */
export const lines = (s: string) => s.split('\n').map((l) => l.trimEnd()).filter(Boolean);
