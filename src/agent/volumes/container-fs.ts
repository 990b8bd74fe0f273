/**
 * A container's filesystem as its processes see it, for `docker cp`: a running container is
 * reached through /proc/<pid>/root (its own mount namespace: volumes, binds and tmpfs are
 * there); a stopped one through its overlay rootfs (mounted for the time of the request) with
 * its volume and bind mounts mapped by destination. Paths resolve like the kernel would inside
 * the container: symlinks are read in container terms and `..` stops at `/`, so a resolved
 * host path is always inside the rootfs or inside one of the container's mount sources.
 */
import { promises as fsp, type Stats } from 'node:fs';
import type { Engine } from '../engine';
import type { ContainerRecord } from '../containers/types';
import { mountRootfs } from '../containers/launch';
import { isMountPoint, unmount } from '../util/mount';
import { walkInRoot } from '../layers/path-scope';
import { mountPointsOf } from './container-mounts';
import type { MountPoint } from './mount-spec';

interface FsMount { dst: string; src: string }

export interface ContainerFs {
  /** Host path of the container's `/`. */
  root: string;
  /** Mounts to map by hand (stopped containers); empty when `root` already shows them. */
  mounts: FsMount[];
  /** Undoes what opening mounted. */
  release(): Promise<void>;
}

export interface Resolved {
  /** The clean absolute path inside the container. */
  ctr: string;
  /** Where that is on the host. */
  host: string;
}

/** Opens the filesystem of `rec` (mounting its rootfs when it is not running). */
export async function openContainerFs(engine: Engine, rec: ContainerRecord): Promise<ContainerFs> {
  if (rec.State.Running && rec.State.Pid > 0) return { root: `/proc/${rec.State.Pid}/root`, mounts: [], release: async () => undefined };
  const merged = engine.paths.container(rec.Id).merged;
  const mounted = isMountPoint(merged);
  if (!mounted) await mountRootfs(engine, rec);
  const mounts = mountPointsOf(rec).filter((m) => m.Type !== 'tmpfs' && m.Source).map((m) => ({ dst: m.Destination, src: m.Source }));
  return {
    root: merged,
    mounts,
    release: async () => {
      if (!mounted && !engine.containers.find(rec.Id)?.State.Running) await unmount(merged);
    },
  };
}

/** The host path of a clean container path: under the deepest mount covering it, else under the root. */
export function hostPath(fs: ContainerFs, ctr: string): string {
  let best: FsMount | undefined;
  for (const m of fs.mounts) {
    if ((ctr === m.dst || ctr.startsWith(`${m.dst}/`)) && (!best || m.dst.length > best.dst.length)) best = m;
  }
  return best ? `${best.src}${ctr.slice(best.dst.length)}` : `${fs.root}${ctr === '/' ? '' : ctr}`;
}

/** The container mount point covering `ctr` (deepest), if any. */
export function mountFor(rec: ContainerRecord, ctr: string): MountPoint | undefined {
  let best: MountPoint | undefined;
  for (const m of mountPointsOf(rec)) {
    if ((ctr === m.Destination || ctr.startsWith(`${m.Destination}/`)) && (!best || m.Destination.length > best.Destination.length)) best = m;
  }
  return best;
}

/**
 * Resolves a path as the container would (walkInRoot over the container's mounts): every
 * symlink on the way is followed inside the container (the last one only with `followFinal`);
 * missing components are kept as they are.
 */
export async function resolveInContainer(fs: ContainerFs, path: string, followFinal: boolean): Promise<Resolved> {
  const stack = await walkInRoot(path, followFinal, (cs) => hostPath(fs, `/${cs.join('/')}`));
  const ctr = `/${stack.join('/')}`;
  return { ctr, host: hostPath(fs, ctr) };
}

const S = { dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, pipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23, setgid: 2 ** 22, char: 2 ** 21, sticky: 2 ** 20 };

/** A stat's mode as Go's os.FileMode (what the docker CLI decodes from the path-stat header). */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += S.dir;
  if (st.isSymbolicLink()) m += S.symlink;
  if (st.isBlockDevice()) m += S.device;
  if (st.isCharacterDevice()) m += S.device + S.char;
  if (st.isFIFO()) m += S.pipe;
  if (st.isSocket()) m += S.socket;
  if (st.mode & 0o4000) m += S.setuid;
  if (st.mode & 0o2000) m += S.setgid;
  if (st.mode & 0o1000) m += S.sticky;
  return m;
}
