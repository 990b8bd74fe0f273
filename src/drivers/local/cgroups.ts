import { TsmError } from '../../core/errors';
import { waitFor } from '../../core/wait';
import type { LocalHostApi, MountEntry } from './api';

/** One mounted cgroup hierarchy of the host. */
export interface CgroupHierarchy {
  mountPoint: string;
  version: 1 | 2;
  /** v1: the controllers (and name=) in the mount options; v2: []. */
  controllers: string[];
}

const MOUNT_FLAGS = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime', 'strictatime', 'xattr', 'clone_children', 'nsdelegate', 'memory_recursiveprot', 'memory_localevents', 'favordynmods']);

/** The cgroup hierarchies mounted under /sys/fs/cgroup (v1 ones, the unified one, or pure v2). */
export function cgroupHierarchies(mounts: MountEntry[]): CgroupHierarchy[] {
  const seen = new Set<string>();
  const out: CgroupHierarchy[] = [];
  for (const m of mounts) {
    if (m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') continue;
    if (m.target !== '/sys/fs/cgroup' && !m.target.startsWith('/sys/fs/cgroup/')) continue;
    if (seen.has(m.target)) continue;
    seen.add(m.target);
    const controllers = m.fstype === 'cgroup' ? m.options.split(',').filter((o) => !MOUNT_FLAGS.has(o) && !o.startsWith('release_agent')) : [];
    out.push({ mountPoint: m.target, version: m.fstype === 'cgroup' ? 1 : 2, controllers });
  }
  return out;
}

/** Limits written into the machine's cgroups. */
export interface CgroupLimits {
  memoryMb?: number;
  cpus?: number;
}

export const CPU_PERIOD_US = 100_000;

/** Files to write for the limits in one hierarchy: [file name, value], in order. */
export function limitFiles(h: CgroupHierarchy, limits: CgroupLimits, v2Controllers: string[] = []): [string, string][] {
  const files: [string, string][] = [];
  const quota = limits.cpus === undefined ? undefined : String(Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US)));
  const bytes = limits.memoryMb === undefined ? undefined : String(limits.memoryMb * 1024 * 1024);
  if (h.version === 1) {
    if (bytes && h.controllers.includes('memory')) files.push(['memory.limit_in_bytes', bytes]);
    if (quota && h.controllers.includes('cpu')) files.push(['cpu.cfs_period_us', String(CPU_PERIOD_US)], ['cpu.cfs_quota_us', quota]);
  } else {
    if (bytes && v2Controllers.includes('memory')) files.push(['memory.max', bytes]);
    if (quota && v2Controllers.includes('cpu')) files.push(['cpu.max', `${quota} ${CPU_PERIOD_US}`]);
  }
  return files;
}

/** Which limit has no hierarchy to go into: 'memory' | 'cpu'. */
export function missingControllers(hs: CgroupHierarchy[], limits: CgroupLimits, v2Controllers: string[]): string[] {
  const has = (c: string) => hs.some((h) => (h.version === 1 ? h.controllers.includes(c) : v2Controllers.includes(c)));
  return [...(limits.memoryMb !== undefined && !has('memory') ? ['memory'] : []), ...(limits.cpus !== undefined && !has('cpu') ? ['cpu'] : [])];
}

async function controllersV2(api: LocalHostApi, dir: string): Promise<string[]> {
  return ((await api.readFile(`${dir}/cgroup.controllers`)) ?? '').split(/\s+/).filter(Boolean);
}

/** v1 cpuset cgroups start empty: a process cannot join until cpus and mems are copied down. */
async function inheritCpuset(api: LocalHostApi, parent: string, dir: string): Promise<void> {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    if (((await api.readFile(`${dir}/${f}`)) ?? '').trim() === '') await api.writeFile(`${dir}/${f}`, (await api.readFile(`${parent}/${f}`)) ?? '');
  }
}

/** v2: delegate every available controller down to `dir` so the machine (and its engine) can use them. */
async function delegateV2(api: LocalHostApi, dir: string): Promise<void> {
  for (const c of await controllersV2(api, dir)) {
    await api.writeFile(`${dir}/cgroup.subtree_control`, `+${c}`).catch(() => undefined);
  }
}

/** Where the machine lives in the host's cgroups, and how its wrapper process joins them. */
export interface MachineCgroups {
  /** `<hierarchy>/tsmachine/<id>` in every hierarchy: the machine's cgroups (limits, accounting). */
  dirs: string[];
  /** Where the host-side wrapper (`unshare`, PID 1's parent) goes. */
  wrapperDirs: string[];
  /**
   * Pure cgroup v2 only: the cgroup PID 1 enters before it unshares the cgroup namespace itself.
   * The wrapper sits in the `wrapper` leaf instead, because a v2 cgroup that hands controllers to
   * its children (the engine's containers) may hold no process of its own.
   */
  enterBeforeCgroupns?: string;
}

/** True when /sys/fs/cgroup itself is the unified (v2) hierarchy. */
export function isPureV2(hs: CgroupHierarchy[]): boolean {
  return hs.length === 1 && hs[0].version === 2 && hs[0].mountPoint === '/sys/fs/cgroup';
}

/** The layout of a machine's cgroups on this host (pure). */
export function machineCgroupLayout(hs: CgroupHierarchy[], id: string): MachineCgroups {
  const dirs = hs.map((h) => `${h.mountPoint}/tsmachine/${id}`);
  if (isPureV2(hs)) return { dirs, wrapperDirs: [`${dirs[0]}/wrapper`], enterBeforeCgroupns: dirs[0] };
  return { dirs, wrapperDirs: dirs };
}

/**
 * Makes `<hierarchy>/tsmachine/<id>` in every hierarchy (plus the wrapper leaf on pure v2) and
 * writes the limits. Idempotent.
 */
export async function createMachineCgroups(api: LocalHostApi, id: string, limits: CgroupLimits): Promise<MachineCgroups> {
  const hs = cgroupHierarchies(await api.mounts());
  if (hs.length === 0) throw new TsmError('CREATE_FAILED', 'no cgroup hierarchy is mounted under /sys/fs/cgroup', { suggestion: 'mount the cgroup filesystems (cgroup2 on /sys/fs/cgroup)' });
  const layout = machineCgroupLayout(hs, id);
  for (const [i, h] of hs.entries()) {
    const parent = `${h.mountPoint}/tsmachine`;
    const dir = layout.dirs[i];
    if (h.version === 2) await delegateV2(api, h.mountPoint);
    await api.mkdirp(dir);
    if (h.version === 2) await delegateV2(api, parent);
    if (h.version === 1 && h.controllers.includes('cpuset')) {
      await inheritCpuset(api, h.mountPoint, parent);
      await inheritCpuset(api, parent, dir);
    }
    for (const [file, value] of limitFiles(h, limits, h.version === 2 ? await controllersV2(api, dir) : [])) {
      await api.writeFile(`${dir}/${file}`, value);
    }
  }
  for (const d of layout.wrapperDirs) await api.mkdirp(d);
  return layout;
}

/** PIDs in `dir` and every cgroup below it (empty when the folder is gone). */
export async function cgroupPids(api: LocalHostApi, dir: string): Promise<number[]> {
  const own = ((await api.readFile(`${dir}/cgroup.procs`)) ?? '').split(/\s+/).filter(Boolean).map(Number);
  const below = await Promise.all((await api.subdirs(dir)).map((d) => cgroupPids(api, `${dir}/${d}`)));
  return [...own, ...below.flat()];
}

async function rmdirDepthFirst(api: LocalHostApi, dir: string): Promise<void> {
  for (const d of await api.subdirs(dir)) await rmdirDepthFirst(api, `${dir}/${d}`);
  await api.rmdir(dir);
}

/**
 * Removes the machine's cgroup folders and everything below them (engines inside make their own),
 * depth first. A cgroup whose last process is still exiting is busy for a moment: retried.
 */
export async function removeCgroups(api: LocalHostApi, dirs: readonly string[], timeoutMs = 10_000): Promise<void> {
  for (const dir of dirs) {
    await waitFor(
      async () => {
        await rmdirDepthFirst(api, dir);
        return true;
      },
      { timeoutMs, what: `cgroup ${dir} to be removable (processes still in it?)`, intervalMs: 50 },
    );
  }
}
