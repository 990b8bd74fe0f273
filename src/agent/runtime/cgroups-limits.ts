/**
 * Resource limits: dockerd's checks and defaults for the HostConfig resource fields, their
 * OCI `linux.resources` form (runc writes the cgroup files), and the cgroup v1 / v2 files
 * and values each limit ends up as (runc's conversion), used to verify a container's cgroup
 * and to read its usage for stats. Pure apart from the host facts passed in.
 */
import { existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus } from 'node:os';
import { badRequest } from '../http/api-error';
import type { HostConfig } from '../containers/types';

/** What the host offers (for dockerd's range checks). */
export interface HostResources {
  cpus: number;
  /** Online CPU numbers, e.g. [0, 1]. */
  onlineCpus: number[];
  /** The kernel accounts swap per cgroup (v1 memory.memsw.*, v2 memory.swap.max). */
  swapLimit: boolean;
}

export interface OciResources {
  memory?: { limit: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string };
  pids?: { limit: number };
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** Parses a cpuset ("0-2,4") into CPU numbers; undefined when malformed. */
export function parseCpuset(s: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 4096) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

function num(h: HostConfig, key: string): number {
  const v = h[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`invalid ${key}: expected a number`);
  return v;
}

/**
 * dockerd's checks of the resource fields (400 with its messages) and its defaults: with
 * --memory and no --memory-swap, swap is as large as the memory (MemorySwap = 2 × Memory).
 * Mutates and returns `h`.
 */
export function validateResources(h: HostConfig, host: HostResources): HostConfig {
  const memory = num(h, 'Memory');
  let swap = num(h, 'MemorySwap');
  if (memory < 0) throw badRequest('invalid Memory: can not be negative');
  if (memory > 0 && memory < MIN_MEMORY) throw badRequest('Minimum memory limit allowed is 6MB');
  if (swap > 0 && memory === 0) throw badRequest('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (memory > 0 && swap > 0 && swap < memory) throw badRequest('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (swap < -1) throw badRequest('invalid MemorySwap: use -1 for unlimited swap');
  if (memory > 0 && swap === 0) swap = memory * 2;
  // dockerd: without swap accounting, memory is limited without swap (and says so).
  if (memory > 0 && !host.swapLimit) swap = -1;
  if (memory > 0) { h.Memory = memory; h.MemorySwap = swap; }
  const nano = num(h, 'NanoCpus');
  const quota = num(h, 'CpuQuota');
  const period = num(h, 'CpuPeriod');
  if (nano > 0 && period > 0) throw badRequest('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw badRequest('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || (nano > 0 && (nano < 1e7 || nano > host.cpus * 1e9))) {
    throw badRequest(`Range of CPUs is from 0.01 to ${host.cpus.toFixed(2)}, as there are only ${host.cpus} CPUs available`);
  }
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw badRequest('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (quota !== 0 && quota !== -1 && quota < 1000) throw badRequest('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const shares = num(h, 'CpuShares');
  if (shares < 0) throw badRequest('invalid CpuShares: can not be negative');
  if (h.CpusetCpus) {
    const set = parseCpuset(String(h.CpusetCpus));
    if (!set) throw badRequest(`Invalid value ${h.CpusetCpus} for cpuset cpus`);
    if (set.some((c) => !host.onlineCpus.includes(c))) {
      throw badRequest(`Requested CPUs are not available - requested ${h.CpusetCpus}, available: ${formatCpuset(host.onlineCpus)}`);
    }
  }
  const oom = num(h, 'OomScoreAdj');
  if (oom < -1000 || oom > 1000) throw badRequest(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  for (const u of (h.Ulimits as unknown[] | null | undefined) ?? []) rlimit(u);
  return h;
}

export function formatCpuset(cpus: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(i === j ? String(cpus[i]) : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return parts.join(',');
}

/** The OCI `linux.resources` limits (without devices) for a checked HostConfig. */
export function ociResources(h: HostConfig): OciResources {
  const out: OciResources = {};
  // Unlimited swap (-1) is a new cgroup's default: leaving it out also works on hosts without
  // swap accounting, where runc would fail to write memory.memsw / memory.swap.max.
  if (h.Memory && h.Memory > 0) out.memory = { limit: h.Memory, ...(h.MemorySwap && h.MemorySwap > 0 ? { swap: h.MemorySwap } : {}) };
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (h.CpuShares) cpu.shares = h.CpuShares;
  if (h.NanoCpus) { cpu.period = 100_000; cpu.quota = Math.round((h.NanoCpus * 100_000) / 1e9); }
  if (h.CpuQuota) cpu.quota = h.CpuQuota;
  if (h.CpuPeriod) cpu.period = h.CpuPeriod;
  if (h.CpusetCpus) cpu.cpus = h.CpusetCpus;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (h.PidsLimit && h.PidsLimit > 0) out.pids = { limit: h.PidsLimit };
  return out;
}

/** runc's cgroup v2 conversion of cpu shares (2..262144) to cpu.weight (1..10000). */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * The cgroup v2 files and values `r` becomes (what runc writes): memory.max,
 * memory.swap.max (v2 counts swap alone: memory+swap minus memory), cpu.max "quota period",
 * cpu.weight, cpuset.cpus, pids.max.
 */
export function cgroupV2Files(r: OciResources): Record<string, string> {
  const out: Record<string, string> = {};
  if (r.memory) {
    out['memory.max'] = String(r.memory.limit);
    if (r.memory.swap !== undefined) out['memory.swap.max'] = r.memory.swap === -1 ? 'max' : String(r.memory.swap - r.memory.limit);
  }
  if (r.cpu) {
    if (r.cpu.quota !== undefined || r.cpu.period !== undefined) {
      const q = r.cpu.quota === undefined || r.cpu.quota <= 0 ? 'max' : String(r.cpu.quota);
      out['cpu.max'] = `${q} ${r.cpu.period ?? 100_000}`;
    }
    if (r.cpu.shares) out['cpu.weight'] = String(sharesToWeight(r.cpu.shares));
    if (r.cpu.cpus) out['cpuset.cpus'] = r.cpu.cpus;
  }
  if (r.pids) out['pids.max'] = String(r.pids.limit);
  return out;
}

/** The cgroup v1 files (as `<controller>/<file>`) and values `r` becomes. */
export function cgroupV1Files(r: OciResources): Record<string, string> {
  const out: Record<string, string> = {};
  if (r.memory) {
    out['memory/memory.limit_in_bytes'] = String(r.memory.limit);
    if (r.memory.swap !== undefined && r.memory.swap > 0) out['memory/memory.memsw.limit_in_bytes'] = String(r.memory.swap);
  }
  if (r.cpu) {
    if (r.cpu.quota !== undefined) out['cpu/cpu.cfs_quota_us'] = String(r.cpu.quota);
    if (r.cpu.period !== undefined) out['cpu/cpu.cfs_period_us'] = String(r.cpu.period);
    if (r.cpu.shares) out['cpu/cpu.shares'] = String(r.cpu.shares);
    if (r.cpu.cpus) out['cpuset/cpuset.cpus'] = r.cpu.cpus;
  }
  if (r.pids) out['pids/pids.max'] = String(r.pids.limit);
  return out;
}

export interface Rlimit { type: string; hard: number; soft: number }

const RLIMITS = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** A HostConfig Ulimits entry ({Name, Soft, Hard}) as an OCI rlimit; 400 when malformed. */
export function rlimit(u: unknown): Rlimit {
  const e = u as { Name?: unknown; Soft?: unknown; Hard?: unknown } | null;
  if (!e || typeof e.Name !== 'string' || !RLIMITS.includes(e.Name)) throw badRequest(`invalid ulimit type: ${String(e?.Name)}; use one of ${RLIMITS.join(', ')}`);
  const soft = Number(e.Soft);
  const hard = Number(e.Hard);
  if (!Number.isInteger(soft) || !Number.isInteger(hard)) throw badRequest(`invalid ulimit ${e.Name}: soft and hard must be integers`);
  if (soft > hard) throw badRequest(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  const max = (v: number) => (v < 0 ? Number.MAX_SAFE_INTEGER : v);
  return { type: `RLIMIT_${e.Name.toUpperCase()}`, soft: max(soft), hard: max(hard) };
}

/** OCI process.rlimits for HostConfig.Ulimits. */
export function rlimits(h: HostConfig): Rlimit[] {
  return ((h.Ulimits as unknown[] | null | undefined) ?? []).map(rlimit);
}

/** This host's CPUs (count and online numbers), read once. */
let hostCache: HostResources | undefined;
export function hostResources(): HostResources {
  if (hostCache) return hostCache;
  let online: number[] | undefined;
  try {
    online = parseCpuset(readFileSync('/sys/devices/system/cpu/online', 'utf8').trim());
  } catch { /* fall back to the count */ }
  const n = cpus().length || 1;
  hostCache = { cpus: online?.length ?? n, onlineCpus: online ?? [...Array(n).keys()], swapLimit: swapAccounting() };
  return hostCache;
}

/** ociResources in the shape containers/spec.ts takes. */
export function specResources(h: HostConfig): { memory?: number; memorySwap?: number; cpuShares?: number; cpuQuota?: number; cpuPeriod?: number; cpusetCpus?: string; pidsLimit?: number } {
  const r = ociResources(h);
  return {
    memory: r.memory?.limit, memorySwap: r.memory?.swap, cpuShares: r.cpu?.shares, cpuQuota: r.cpu?.quota,
    cpuPeriod: r.cpu?.period, cpusetCpus: r.cpu?.cpus, pidsLimit: r.pids?.limit,
  };
}

/** Whether this host's memory controller limits swap per cgroup. */
function swapAccounting(): boolean {
  try {
    if (statfsSync('/sys/fs/cgroup').type === 0x63677270) {
      // v2: the root has no memory.swap.max; any child with the memory controller does.
      return readdirSync('/sys/fs/cgroup', { withFileTypes: true }).some((d) => d.isDirectory() && existsSync(`/sys/fs/cgroup/${d.name}/memory.swap.max`));
    }
    return existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  } catch {
    return false;
  }
}
