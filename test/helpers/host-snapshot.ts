import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** What a machine can leave behind on this host; compared before and after a test. */
export interface HostSnapshot {
  netns: string[];
  links: string[];
  mounts: string[];
  cgroups: string[];
  /** PIDs of processes whose command line mentions `marker` (e.g. the test's store path). */
  processes: string[];
}

function cgroupDirs(): string[] {
  const out: string[] = [];
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return out;
  const candidates = existsSync(join(root, 'cgroup.controllers')) ? [root] : readdirSync(root).map((c) => join(root, c));
  for (const base of candidates) {
    const dir = join(base, 'tsmachine');
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) out.push(join(dir, entry.name));
  }
  return out.sort();
}

function processesMentioning(marker: string): string[] {
  const pids: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(marker)) pids.push(`${pid} ${cmd.trim()}`);
    } catch {
      // gone already
    }
  }
  return pids;
}

export function hostSnapshot(marker: string): HostSnapshot {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort();
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((l): l is string => Boolean(l))
    .sort();
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(marker)).sort();
  return { netns, links, mounts, cgroups: cgroupDirs(), processes: processesMentioning(marker) };
}

/** Entries present in `after` that were not in `before`, per kind; empty object when nothing leaked. */
export function leaked(before: HostSnapshot, after: HostSnapshot): Partial<HostSnapshot> {
  const out: Partial<HostSnapshot> = {};
  for (const k of Object.keys(after) as (keyof HostSnapshot)[]) {
    const extra = after[k].filter((x) => !before[k].includes(x));
    if (extra.length > 0) out[k] = extra;
  }
  return out;
}
