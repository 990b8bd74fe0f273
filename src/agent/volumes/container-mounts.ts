/**
 * The mounts of containers: resolved at create (volumes created, bind sources checked),
 * set up at start (driver mounts, copy-up of image content into empty volumes, OCI mounts),
 * released at stop, and anonymous volumes removed with the container when asked.
 */
import { promises as fsp } from 'node:fs';
import { posix } from 'node:path';
import type { Engine } from '../engine';
import type { ContainerRecord } from '../containers/types';
import type { SpecMount } from '../containers/spec';
import { badRequest, notFound } from '../http/api-error';
import { resolveInRoot } from '../layers/path-scope';
import { runOk } from '../util/proc';
import { collectMountPoints, parseBind, parseTmpfs, parseVolumesFrom, sortForMounting, type ApiMount, type MountPoint } from './mount-spec';

/** The record's mounts; records from before volumes existed only had binds and --tmpfs. */
export function mountPointsOf(rec: ContainerRecord): MountPoint[] {
  if (rec.MountPoints) return rec.MountPoints;
  return [
    ...(rec.HostConfig.Binds ?? []).filter((b) => b.startsWith('/') && b.includes(':')).map(parseBind),
    ...Object.entries(rec.HostConfig.Tmpfs ?? {}).map(([d, o]) => parseTmpfs(d, o ?? '')),
  ];
}

/** The mounts of `--volumes-from` containers, with their mode overridden by `:ro` / `:rw`. */
function volumesFrom(engine: Engine, specs: string[]): MountPoint[] {
  const out: MountPoint[] = [];
  for (const s of specs) {
    const { ref, mode } = parseVolumesFrom(s);
    const other = engine.containers.find(ref);
    if (!other) throw notFound(`No such container: ${ref}`);
    for (const m of mountPointsOf(other)) {
      if (m.Type === 'tmpfs') continue;
      const rw = mode === undefined ? m.RW : mode === 'rw';
      out.push({ ...m, RW: rw, Mode: mode ?? m.Mode, CopyData: false, Anonymous: false, CreateSource: false });
    }
  }
  return out;
}

/**
 * Resolves a new container's mounts: named volumes are created when missing, anonymous ones
 * get a random name, bind sources are checked (created for `-v`, a 400 for `--mount`).
 */
export async function resolveMounts(engine: Engine, rec: ContainerRecord): Promise<MountPoint[]> {
  const hc = rec.HostConfig;
  if (typeof hc.VolumeDriver === 'string' && hc.VolumeDriver && hc.VolumeDriver !== 'local') throw badRequest(`volume driver "${hc.VolumeDriver}" not found (tsagent has only the local driver)`);
  const mounts = Array.isArray(hc.Mounts) ? hc.Mounts as ApiMount[] : [];
  const from = Array.isArray(hc.VolumesFrom) ? (hc.VolumesFrom as string[]) : [];
  const list = collectMountPoints({
    binds: hc.Binds ?? [], mounts, tmpfs: hc.Tmpfs ?? {}, imageVolumes: Object.keys(rec.Config.Volumes ?? {}), from: volumesFrom(engine, from),
  });
  for (const m of list) {
    if (m.Type === 'bind') await checkBindSource(m);
  }
  const created: string[] = [];
  try {
    for (const m of list) {
      if (m.Type !== 'volume' || m.Source) continue;
      const api = mounts.find((x) => x.Type === 'volume' && x.Target && posix.normalize(x.Target).replace(/\/+$/, '') === m.Destination);
      const existed = !!m.Name && !!engine.volumes.find(m.Name);
      const v = await engine.volumes.create(m.Name, { labels: api?.VolumeOptions?.Labels, options: api?.VolumeOptions?.DriverConfig?.Options });
      if (!existed) created.push(v.Name);
      m.Name = v.Name;
      m.Source = engine.volumes.dataDir(v.Name);
    }
  } catch (e) {
    for (const n of created) if (engine.volumes.isAnonymous(engine.volumes.get(n))) await engine.volumes.remove(n).catch(() => undefined);
    throw e;
  }
  return list;
}

async function checkBindSource(m: MountPoint): Promise<void> {
  const st = await fsp.stat(m.Source).catch(() => undefined);
  if (st) return;
  if (!m.CreateSource) throw badRequest(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
  await fsp.mkdir(m.Source, { recursive: true, mode: 0o755 });
}

/** Copies the image's content at the mount point into an empty volume (dockerd's copy-up). */
async function copyUp(rootfs: string, m: MountPoint, dataDir: string): Promise<void> {
  if ((await fsp.readdir(dataDir)).length > 0) return;
  const src = await resolveInRoot(rootfs, m.Destination);
  const st = await fsp.lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await fsp.chown(dataDir, st.uid, st.gid);
  await fsp.chmod(dataDir, st.mode & 0o7777);
  if ((await fsp.readdir(src)).length === 0) return;
  await runOk('cp', ['-a', '--', `${src}/.`, `${dataDir}/`]);
}

function toSpec(m: MountPoint, source: string): SpecMount {
  if (m.Type === 'tmpfs') return { destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: [...(m.TmpfsOptions ?? ['noexec', 'nosuid', 'nodev']), ...(m.RW ? [] : ['ro'])] };
  return { destination: m.Destination, type: 'bind', source, options: ['rbind', m.RW ? 'rw' : 'ro', m.Propagation || 'rprivate'] };
}

/**
 * Prepares a starting container's mounts (rootfs already mounted): mounts driver volumes,
 * copies image content into empty volumes, and returns the OCI mounts in mounting order.
 */
export async function setupMounts(engine: Engine, rec: ContainerRecord, rootfs: string): Promise<SpecMount[]> {
  const out: SpecMount[] = [];
  for (const m of sortForMounting(mountPointsOf(rec))) {
    if (m.Type !== 'volume') { out.push(toSpec(m, m.Source)); continue; }
    if (!engine.volumes.find(m.Name)) throw notFound(`error while mounting volume '${m.Destination}': volume ${m.Name} no longer exists; recreate the container`);
    const dir = await engine.volumes.mount(m.Name, rec.Id);
    if (m.CopyData) await copyUp(rootfs, m, dir);
    out.push(toSpec(m, dir));
  }
  return out;
}

/** The IDs of containers whose mounts use volume `name` (running ones only with `running`). */
export function volumeUsers(engine: Engine, name: string, running = false): string[] {
  return engine.containers.all()
    .filter((c) => (!running || c.State.Running) && mountPointsOf(c).some((m) => m.Type === 'volume' && m.Name === name))
    .map((c) => c.Id);
}

/** After a run: releases the container's volumes (driver mounts no running container needs). Never throws for a volume. */
export async function releaseMounts(engine: Engine, id: string): Promise<void> {
  const rec = engine.containers.find(id);
  if (!rec) return;
  for (const m of mountPointsOf(rec)) {
    if (m.Type !== 'volume' || !engine.volumes.find(m.Name)) continue;
    await engine.volumes.unmount(m.Name, id, volumeUsers(engine, m.Name, true).some((u) => u !== id))
      .catch((e) => engine.log.warn('could not release volume', { volume: m.Name, error: (e as Error).message }));
  }
}

/** `docker rm -v` and `--rm`: removes the container's anonymous volumes no other container uses. */
export async function removeAnonymousVolumes(engine: Engine, rec: ContainerRecord): Promise<void> {
  for (const m of mountPointsOf(rec)) {
    if (m.Type !== 'volume' || !m.Anonymous) continue;
    const v = engine.volumes.find(m.Name);
    if (!v || !engine.volumes.isAnonymous(v) || volumeUsers(engine, m.Name).some((u) => u !== rec.Id)) continue;
    await engine.volumes.remove(m.Name).catch((e) => engine.log.warn('could not remove anonymous volume', { volume: m.Name, error: (e as Error).message }));
  }
}

/** inspect's and `docker ps`'s Mounts entries. */
export function mountsView(rec: ContainerRecord): Array<Record<string, unknown>> {
  const flagTmpfs = new Set(Object.keys(rec.HostConfig.Tmpfs ?? {}).map((d) => posix.normalize(d).replace(/\/+$/, '')));
  return mountPointsOf(rec).filter((m) => m.Type !== 'tmpfs' || !flagTmpfs.has(m.Destination)).map((m) => (
    m.Type === 'volume'
      ? { Type: 'volume', Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation }
      : { Type: m.Type, Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation }
  ));
}
