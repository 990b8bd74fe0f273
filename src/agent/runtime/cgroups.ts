import { promises as fsp, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_MAGIC = 0x63677270;

/** 2 on a unified hierarchy, 1 on legacy or hybrid hosts. */
export function cgroupVersion(): 1 | 2 {
  try {
    return statfsSync(CGROUP_ROOT).type === CGROUP2_MAGIC ? 2 : 1;
  } catch {
    return 1;
  }
}

/** Every hierarchy mount point a cgroup path lives in (v1 controllers + unified, or just the root on v2). */
function hierarchies(): string[] {
  if (cgroupVersion() === 2) return [CGROUP_ROOT];
  try {
    return readdirSync(CGROUP_ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(CGROUP_ROOT, d.name));
  } catch {
    return [];
  }
}

/** Removes the cgroup folder `path` (e.g. /tsagent/<id>) from every hierarchy; child folders first. */
export async function removeCgroup(path: string): Promise<void> {
  for (const h of hierarchies()) await rmdirTree(join(h, path));
}

async function rmdirTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  await fsp.rmdir(dir).catch(() => undefined);
}

/** Cgroup folders that exist for `path` (tests and diagnostics). */
export function existingCgroupDirs(path: string): string[] {
  const out: string[] = [];
  for (const h of hierarchies()) {
    try {
      readdirSync(join(h, path));
      out.push(join(h, path));
    } catch { /* absent */ }
  }
  return out;
}
