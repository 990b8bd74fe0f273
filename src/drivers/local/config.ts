import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';
import { DEFAULT_BRIDGE, DEFAULT_SUBNET } from './flags';
import { formatCidr, parseCidr } from './ipv4';

/** Host resources a local machine created, recorded as they are made so remove() finds them. */
export interface LocalResources {
  /** Network namespace name (`tsm-<id>`), mounted at /run/netns/<name>. */
  netns?: string;
  /** Host end of the veth pair, enslaved to the bridge. */
  veth?: string;
  /** The IP lease in the host-wide lease file. */
  lease?: string;
  /** Absolute cgroup folders made for the machine, one per hierarchy. */
  cgroups?: string[];
  /** Per-machine NAT rules were added (only with --local-nat). */
  nat?: boolean;
}

/** Persisted config of a local machine (`machine.json` driver.config). */
export interface LocalConfig {
  bridge: string;
  /** Canonical CIDR, e.g. 10.213.0.0/24. */
  subnet: string;
  nat: boolean;
  /** Memory limit in MB. */
  memoryMb?: number;
  /** CPU limit in CPUs (CFS quota). */
  cpus?: number;
  /** Random hex id naming the netns, veth and cgroups; unique host-wide. Set by create. */
  id?: string;
  /** The machine's IP on the bridge. */
  ip?: string;
  /** Host PID of the machine's PID 1 (tini) while it runs. */
  pid?: number;
  /** Start time (clock ticks, field 22 of /proc/<pid>/stat) of that PID, to detect PID reuse. */
  pidStartTime?: number;
  resources: LocalResources;
}

/** Linux interface names: at most 15 bytes, no slash, colon or whitespace. */
export const IFNAME = /^[a-zA-Z0-9_.-]{1,15}$/;

/** Memory below this cannot boot sshd plus an engine. */
export const MIN_MEMORY_MB = 64;

function bridgeOf(v: unknown, problems: Problem[]): string {
  const s = String(v ?? DEFAULT_BRIDGE).trim();
  if (!IFNAME.test(s)) {
    problems.push({ field: '--local-bridge', message: `"${s}" is not a valid interface name`, suggestion: 'use 1-15 letters, digits, "_", "." or "-", e.g. tsm0' });
  }
  return s;
}

function subnetOf(v: unknown, problems: Problem[]): string {
  const s = String(v ?? DEFAULT_SUBNET).trim();
  const parsed = parseCidr(s);
  if (typeof parsed === 'string') {
    problems.push({ field: '--local-subnet', message: parsed, suggestion: `use a private IPv4 subnet, e.g. ${DEFAULT_SUBNET}` });
    return s;
  }
  if (parsed.prefix < 8 || parsed.prefix > 29) {
    problems.push({ field: '--local-subnet', message: `prefix /${parsed.prefix} is out of range`, suggestion: 'use a prefix from /8 to /29' });
  }
  return formatCidr(parsed);
}

function memoryOf(v: unknown, problems: Problem[]): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < MIN_MEMORY_MB || n > 1024 * 1024 * 16) {
    problems.push({ field: '--local-memory', message: `"${String(v)}" is not a memory size in MB`, suggestion: `use a whole number of MB, at least ${MIN_MEMORY_MB}, e.g. 2048` });
    return undefined;
  }
  return n;
}

function cpusOf(v: unknown, problems: Problem[]): number | undefined {
  if (v === undefined || v === '') return undefined;
  const s = String(v).trim();
  const n = Number(s);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(s) || !(n >= 0.01) || n > 1024) {
    problems.push({ field: '--local-cpus', message: `"${s}" is not a number of CPUs`, suggestion: 'use a positive number such as 1 or 1.5' });
    return undefined;
  }
  return n;
}

function natOf(v: unknown, problems: Problem[]): boolean {
  if (v === undefined || v === '' || typeof v === 'boolean') return v === true;
  const s = String(v).toLowerCase();
  if (['1', 'true', 'yes'].includes(s)) return true;
  if (['0', 'false', 'no'].includes(s)) return false;
  problems.push({ field: '--local-nat', message: `"${String(v)}" is not a boolean`, suggestion: 'use true or false' });
  return false;
}

/** Builds a local machine's config from flag values; reports every problem at once. */
export function localConfigFromFlags(values: FlagValues): { config: LocalConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const config: LocalConfig = {
    bridge: bridgeOf(values['local-bridge'], problems),
    subnet: subnetOf(values['local-subnet'], problems),
    nat: natOf(values['local-nat'], problems),
    resources: {},
  };
  const memoryMb = memoryOf(values['local-memory'], problems);
  const cpus = cpusOf(values['local-cpus'], problems);
  if (memoryMb !== undefined) config.memoryMb = memoryMb;
  if (cpus !== undefined) config.cpus = cpus;
  return { config, problems };
}

/** Names derived from the machine id, all unique host-wide and within interface limits. */
export function namesFor(id: string): { netns: string; veth: string; cgroup: string } {
  return { netns: `tsm-${id}`, veth: `tsmh${id}`, cgroup: `tsmachine/${id}` };
}

/** Hex digits in a machine id: `tsmh` + id fits the 15-byte interface name limit. */
export const ID_LENGTH = 10;
