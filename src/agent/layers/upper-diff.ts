import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { mountOverlay, unmount } from '../util/mount';
import { tarTree } from './fs-tar';
import type { TarWriteHeader } from './tar-writer';

/** overlayfs records a deleted lower entry as a 0/0 character device in the upper folder. */
export const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

async function dirsOf(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(rel ? join(root, rel) : root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r, ...(await dirsOf(root, r)));
  }
  return out;
}

const PROBE = '.tsagent-opaque-probe';

/**
 * Folders of an overlay upper folder that are opaque (trusted.overlay.opaque, which Node
 * cannot read): the upper folder is mounted as a lower layer above a probe tree with a marker
 * in every folder; a marker that does not show through belongs to an opaque folder.
 */
export async function opaqueDirs(upper: string, scratchBase: string): Promise<Set<string>> {
  const dirs = await dirsOf(upper);
  if (dirs.length === 0) return new Set();
  const scratch = await mkdtemp(join(scratchBase, 'opq-'));
  const probe = join(scratch, 'probe');
  const mnt = join(scratch, 'mnt');
  try {
    for (const d of ['', ...dirs]) {
      await fsp.mkdir(join(probe, d), { recursive: true });
      await fsp.writeFile(join(probe, d, PROBE), '');
    }
    await fsp.mkdir(mnt);
    await mountOverlay({ lowers: [upper, probe], lowerBase: scratch, upper: '', work: '', target: mnt, readOnly: true });
    try {
      const out = new Set<string>();
      for (const d of dirs) if (!(await fsp.lstat(join(mnt, d, PROBE)).then(() => true, () => false))) out.add(d);
      return out;
    } finally {
      await unmount(mnt);
    }
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Mount points the runtime makes in a container's root when its image lacks them. Docker keeps
 * them in an init layer below the container's own, so neither `docker diff` nor `docker commit`
 * sees them; here they land in the upper folder, empty, and are left out by name.
 */
const MOUNT_POINTS = ['dev', 'proc', 'sys', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf'];

/** Entries of an upper folder that are only the runtime's empty mount points, and `etc` when it holds nothing else. */
export async function runtimeMountPoints(upper: string, opaque: Set<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const rel of MOUNT_POINTS) {
    const st = await fsp.lstat(join(upper, rel)).catch(() => undefined);
    if (!st) continue;
    if ((st.isFile() && st.size === 0) || (st.isDirectory() && (await fsp.readdir(join(upper, rel))).length === 0)) out.add(rel);
  }
  const etc = await fsp.readdir(join(upper, 'etc')).catch(() => undefined);
  if (etc?.length && !opaque.has('etc') && etc.every((n) => out.has(`etc/${n}`))) out.add('etc');
  return out;
}

/**
 * A layer tar of an upper folder: overlay whiteouts become `.wh.` files, opaque folders get
 * `.wh..wh..opq`; the runtime's mount points are left out (see runtimeMountPoints).
 */
export async function* upperTar(upper: string, opaque: Set<string>): AsyncGenerator<Buffer> {
  const mountPoints = await runtimeMountPoints(upper, opaque);
  yield* tarTree(upper, (rel, st) => {
    if (mountPoints.has(rel)) return 'skip';
    if (isWhiteout(st)) {
      const i = rel.lastIndexOf('/');
      return [{ name: `${rel.slice(0, i + 1)}.wh.${rel.slice(i + 1)}`, type: 'file', mode: 0o600, size: 0, mtime: Math.floor(st.mtimeMs / 1000) } as TarWriteHeader];
    }
    if (st.isDirectory() && opaque.has(rel)) {
      const dir: TarWriteHeader = { name: rel, type: 'dir', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      return [dir, { name: `${rel}/.wh..wh..opq`, type: 'file', mode: 0o600, size: 0 }];
    }
    return 'as-is';
  });
}

export interface Change { Path: string; Kind: 0 | 1 | 2 }

async function inLowers(lowers: string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    const st = await fsp.lstat(join(l, rel)).catch(() => undefined);
    if (st) return !isWhiteout(st);
  }
  return false;
}

/**
 * `docker diff`: what the upper folder changed relative to the lower layers (topmost first),
 * without the runtime's mount points (see runtimeMountPoints). Sorted by path.
 */
export async function upperChanges(upper: string, lowers: string[], opaque: Set<string>): Promise<Change[]> {
  const out: Change[] = [];
  const mountPoints = await runtimeMountPoints(upper, opaque);
  const walk = async (rel: string): Promise<void> => {
    for (const n of (await fsp.readdir(rel ? join(upper, rel) : upper)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      if (mountPoints.has(r)) continue;
      const st = await fsp.lstat(join(upper, r)).catch(() => undefined);
      if (!st) continue;
      if (isWhiteout(st)) { out.push({ Path: `/${r}`, Kind: 2 }); continue; }
      out.push({ Path: `/${r}`, Kind: (await inLowers(lowers, r)) ? 0 : 1 });
      if (!st.isDirectory()) continue;
      if (opaque.has(r)) {
        const present = new Set(await fsp.readdir(join(upper, r)));
        const hidden = new Set<string>();
        for (const l of lowers) for (const c of await fsp.readdir(join(l, r)).catch(() => [] as string[])) if (!present.has(c)) hidden.add(c);
        for (const c of hidden) out.push({ Path: `/${r}/${c}`, Kind: 2 });
      }
      await walk(r);
    }
  };
  await walk('');
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}
