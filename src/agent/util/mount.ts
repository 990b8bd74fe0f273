import { readFileSync } from 'node:fs';
import { runOk, run } from './proc';

/** Mount points (decoded) from /proc/self/mountinfo. */
export function mountPoints(): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}

/** Mount points at or below `root`. */
export function mountsUnder(root: string): string[] {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return mountPoints().filter((m) => m === root || m.startsWith(prefix));
}

export interface OverlayMount {
  /** Lower layers, topmost first, relative to `lowerBase` (keeps the option string short). */
  lowers: string[];
  lowerBase: string;
  upper: string;
  work: string;
  target: string;
  /** No upper folder: a read-only overlay of the lowers (at least two). */
  readOnly?: boolean;
}

/**
 * Mounts an overlay. The mount(8) child runs in `lowerBase`, so lower paths stay relative
 * and many layers fit in the one-page option limit.
 */
export async function mountOverlay(m: OverlayMount): Promise<void> {
  const opts = m.readOnly ? `lowerdir=${m.lowers.join(':')}` : `lowerdir=${m.lowers.join(':')},upperdir=${m.upper},workdir=${m.work},index=off`;
  if (opts.length > 4000) throw new Error(`too many layers to mount (${m.lowers.length}): option string exceeds one page`);
  await runOk('mount', ['-t', 'overlay', 'overlay', '-o', opts, m.target], { cwd: m.lowerBase });
}

/** Unmounts `target` if mounted; falls back to a lazy unmount when busy. */
export async function unmount(target: string): Promise<void> {
  if (!isMountPoint(target)) return;
  const r = await run('umount', [target]);
  if (r.code !== 0 && isMountPoint(target)) await runOk('umount', ['-l', target]);
}
