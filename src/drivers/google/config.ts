import { isIP } from 'node:net';
import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';
import { flagBool as bool, flagList as list, flagPorts as parsePorts, flagString as str, type PortSpec } from '../flag-values';

export type { PortSpec } from '../flag-values';
import { DEFAULT_IMAGE_FAMILY, DEFAULT_IMAGE_PROJECT, DEFAULT_SCOPES } from './flags';

/** A boot image: the newest of a family, or one image by name. */
export type ImageRef = { project: string; family: string } | { project: string; name: string };

/**
 * What a google machine created, recorded as it goes so remove() finds it. Names are
 * deterministic, so the instance, the rules and the address are recorded *before* their insert:
 * an interrupted insert is still deleted (remove treats not-found as success).
 */
export interface GoogleResources {
  /** The instance (its name; zone in the config). Never set with --google-use-existing. */
  instance?: string;
  /** The shared rule (`tsmachine`, or `tsmachine-<network>`) when this machine created it. */
  firewall?: string;
  /** This machine's own rule `tsmachine-<instance>` for the swarm and --google-open-port ports. */
  machineFirewall?: string;
  /** A regional static address reserved for this machine (--google-address NAME that was missing). */
  address?: string;
  /** --google-use-existing: the ssh-keys line added to the instance's metadata. */
  sshKey?: string;
  /** --google-use-existing: the network tags added to the instance. */
  tags?: string[];
}

/** Persisted config of a google machine (`machine.json` driver.config). */
export interface GoogleConfig {
  project: string;
  zone: string;
  machineType: string;
  image: ImageRef;
  username: string;
  diskSizeGb: number;
  diskType: string;
  network: string;
  subnetwork?: string;
  /** An IP address, or the name of a regional static address. */
  address?: string;
  preemptible: boolean;
  /** Extra network tags (the driver adds its own). */
  tags: string[];
  scopes: string[];
  useInternalIp: boolean;
  useInternalIpOnly: boolean;
  useExisting: boolean;
  openPorts: PortSpec[];
  /** Open the swarm ports too (the core's `create --swarm`). */
  swarm: boolean;
  /** Compute API endpoint override (URL). */
  endpoint?: string;
  /** GCE name of the instance, derived from the machine name at create. */
  instanceName?: string;
  /** Image the instance was created from (resolved at create time). */
  sourceImage?: string;
  /** Last known addresses. */
  ip?: string;
  internalIp?: string;
  resources: GoogleResources;
}

/** GCE resource names: RFC 1035 labels. */
export const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PROJECT = /^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const SIMPLE = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const IMAGE_PATH = /^(?:https:\/\/[^/]+\/compute\/(?:v1|beta)\/)?projects\/([^/]+)\/global\/images\/(family\/)?([a-z][-a-z0-9]*)$/;





/** Parses --google-machine-image; undefined means the default Ubuntu 24.04 LTS family. */
export function parseImage(v: unknown, project: string, problems: Problem[]): ImageRef {
  const s = str(v);
  if (!s) return { project: DEFAULT_IMAGE_PROJECT, family: DEFAULT_IMAGE_FAMILY };
  const m = IMAGE_PATH.exec(s);
  if (m) return m[2] ? { project: m[1], family: m[3] } : { project: m[1], name: m[3] };
  if (GCE_NAME.test(s)) return { project, name: s };
  problems.push({
    field: '--google-machine-image',
    message: `"${s}" is not an image`,
    suggestion: `use NAME, projects/P/global/images/NAME or projects/P/global/images/family/F, e.g. projects/${DEFAULT_IMAGE_PROJECT}/global/images/family/${DEFAULT_IMAGE_FAMILY}`,
  });
  return { project, name: s };
}

function endpointOf(v: unknown, problems: Problem[]): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  try {
    const u = new URL(s);
    if (u.protocol === 'http:' || u.protocol === 'https:') return s.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  problems.push({ field: '--google-endpoint', message: `"${s}" is not an http(s) URL`, suggestion: 'e.g. https://compute.googleapis.com' });
  return undefined;
}

function scopesOf(v: unknown): string[] {
  const items = v === undefined ? DEFAULT_SCOPES : list(v);
  return items.map((s) => (s.includes('/') ? s : `https://www.googleapis.com/auth/${s}`));
}

function named(v: unknown, field: string, re: RegExp, example: string, problems: Problem[]): string {
  const s = str(v) ?? '';
  if (!re.test(s)) problems.push({ field, message: s ? `"${s}" is not a valid name` : 'is required', suggestion: `e.g. ${field} ${example}` });
  return s;
}

/** Builds a google machine's config from flag values; reports every problem at once. */
export function googleConfigFromFlags(values: FlagValues): { config: GoogleConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const project = str(values['google-project']) ?? '';
  if (!project) {
    problems.push({ field: '--google-project', message: 'is required', suggestion: 'give the project ID with --google-project or GOOGLE_PROJECT' });
  } else if (!PROJECT.test(project)) {
    problems.push({ field: '--google-project', message: `"${project}" is not a project ID`, suggestion: 'use the project ID (not its name or number), e.g. my-project-123' });
  }
  const diskSizeGb = Number(values['google-disk-size'] ?? 10);
  if (!Number.isInteger(diskSizeGb) || diskSizeGb < 10 || diskSizeGb > 65536) {
    problems.push({ field: '--google-disk-size', message: `"${String(values['google-disk-size'])}" is not a disk size in GB`, suggestion: 'use a whole number of GB from 10 (the image size) up' });
  }
  const tags = list(values['google-tags']);
  for (const t of tags) if (!GCE_NAME.test(t)) problems.push({ field: '--google-tags', message: `"${t}" is not a valid network tag`, suggestion: 'use lowercase letters, digits and "-", starting with a letter' });
  const address = str(values['google-address']);
  if (address && !isIP(address) && !GCE_NAME.test(address)) {
    problems.push({ field: '--google-address', message: `"${address}" is neither an IP address nor an address name` });
  }
  const useInternalIpOnly = bool(values['google-use-internal-ip-only'], '--google-use-internal-ip-only', problems);
  if (useInternalIpOnly && address) {
    problems.push({ field: '--google-address', message: 'cannot be used with --google-use-internal-ip-only', suggestion: 'drop one of the two' });
  }
  const config: GoogleConfig = {
    project,
    zone: named(values['google-zone'] ?? 'us-central1-a', '--google-zone', SIMPLE, 'us-central1-a', problems),
    machineType: named(values['google-machine-type'] ?? 'e2-small', '--google-machine-type', SIMPLE, 'e2-small', problems),
    image: parseImage(values['google-machine-image'], project, problems),
    username: named(values['google-username'] ?? 'docker-user', '--google-username', /^[a-z_][a-z0-9_-]{0,31}$/, 'docker-user', problems),
    diskSizeGb,
    diskType: named(values['google-disk-type'] ?? 'pd-balanced', '--google-disk-type', SIMPLE, 'pd-balanced', problems),
    network: named(values['google-network'] ?? 'default', '--google-network', /^[a-z0-9][-a-z0-9/]*$/, 'default', problems),
    preemptible: bool(values['google-preemptible'], '--google-preemptible', problems),
    tags,
    scopes: scopesOf(values['google-scopes']),
    useInternalIp: bool(values['google-use-internal-ip'], '--google-use-internal-ip', problems),
    useInternalIpOnly,
    useExisting: bool(values['google-use-existing'], '--google-use-existing', problems),
    openPorts: parsePorts(values['google-open-port'], '--google-open-port', problems),
    swarm: bool(values.swarm, '--swarm', problems),
    resources: {},
  };
  const subnetwork = str(values['google-subnetwork']);
  if (subnetwork) config.subnetwork = named(subnetwork, '--google-subnetwork', /^[a-z0-9][-a-z0-9/]*$/, 'my-subnet', problems);
  if (address) config.address = address;
  const endpoint = endpointOf(values['google-endpoint'], problems);
  if (endpoint) config.endpoint = endpoint;
  return { config, problems };
}

/** The zone's region: `us-central1-a` -> `us-central1`. */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** A GCE-valid instance name for a machine name (lowercase, dots to dashes, starts with a letter). */
export function instanceNameFor(machine: string): string {
  let s = machine.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (!/^[a-z]/.test(s)) s = `tsm-${s}`;
  return s.slice(0, 63).replace(/-+$/, '') || 'tsm';
}
