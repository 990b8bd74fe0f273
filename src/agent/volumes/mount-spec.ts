/**
 * Parses the ways a container asks for mounts (HostConfig.Binds `-v`, HostConfig.Mounts
 * `--mount`, HostConfig.Tmpfs `--tmpfs`, the image's VOLUME list) into one list of
 * MountPoints, as dockerd's volume parser does. Pure: volume creation and host checks are
 * done by the caller (container-mounts.ts).
 */
import { posix } from 'node:path';
import { badRequest } from '../http/api-error';

/** One mount of a container, persisted in its record and shown by inspect. */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** Volume name ('' for binds and tmpfs; filled in for anonymous volumes at create). */
  Name: string;
  /** Host path of a bind; the volume's `_data` for volumes (filled in at create). */
  Source: string;
  Destination: string;
  Driver: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Copy the image's content at Destination into an empty volume at the next start. */
  CopyData?: boolean;
  /** tmpfs mount options (size=..., mode=...). */
  TmpfsOptions?: string[];
  /** `-v /host:/ctr` creates a missing host folder; `--mount type=bind` refuses it. */
  CreateSource?: boolean;
  /** Anonymous volume created for this container (removed by `docker rm -v`). */
  Anonymous?: boolean;
}

/** HostConfig.Mounts entry (the API's mount.Mount). */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } | null; Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const MODES = ['ro', 'rw', 'z', 'Z', 'nocopy', ...PROPAGATIONS];

function checkTarget(spec: string, kind: string, dst: string): string {
  if (!dst.startsWith('/')) throw badRequest(`invalid volume specification: '${spec}': invalid mount config for type "${kind}": invalid mount path: '${dst}' mount path must be absolute`);
  if (posix.normalize(dst) === '/') throw badRequest(`invalid volume specification: '${spec}': invalid mount config for type "${kind}": invalid specification: destination can't be '/'`);
  return posix.normalize(dst).replace(/\/+$/, '');
}

/** `-v` / Binds: `/ctr`, `name:/ctr[:mode]`, `/host:/ctr[:mode]`. */
export function parseBind(spec: string): MountPoint {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw badRequest(`invalid volume specification: '${spec}'`);
  if (parts.length === 1) {
    return { Type: 'volume', Name: '', Source: '', Destination: checkTarget(spec, 'volume', parts[0]), Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Anonymous: true };
  }
  const [src, dstRaw, mode = ''] = parts;
  const modes = mode.split(',').filter(Boolean);
  for (const m of modes) if (!MODES.includes(m)) throw badRequest(`invalid mode: ${m} (in '${spec}'; use ro, rw, nocopy, z, Z or a propagation mode)`);
  if (modes.includes('ro') && modes.includes('rw')) throw badRequest(`invalid mode: ${mode} (in '${spec}': ro and rw exclude each other)`);
  const rw = !modes.includes('ro');
  const prop = modes.find((m) => PROPAGATIONS.includes(m)) ?? '';
  if (src.startsWith('/')) {
    if (modes.includes('nocopy')) throw badRequest(`invalid mode: nocopy (in '${spec}': only volumes can be nocopy)`);
    return { Type: 'bind', Name: '', Source: posix.normalize(src), Destination: checkTarget(spec, 'bind', dstRaw), Driver: '', Mode: mode, RW: rw, Propagation: prop || 'rprivate', CreateSource: true };
  }
  if (/^[a-zA-Z0-9]$/.test(src)) throw badRequest(`create ${src}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(src)) {
    throw badRequest(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { Type: 'volume', Name: src, Source: '', Destination: checkTarget(spec, 'volume', dstRaw), Driver: 'local', Mode: mode || 'z', RW: rw, Propagation: '', CopyData: !modes.includes('nocopy') };
}

/** `--mount` / HostConfig.Mounts. */
export function parseApiMount(m: ApiMount): MountPoint {
  const type = m.Type ?? '';
  const desc = `${type}:${m.Source ?? ''}:${m.Target ?? ''}`;
  if (!m.Target) throw badRequest(`invalid mount config for type "${type}": field Target must not be empty`);
  const dst = checkTarget(desc, type, m.Target);
  const rw = !m.ReadOnly;
  switch (type) {
    case 'bind': {
      if (!m.Source) throw badRequest('invalid mount config for type "bind": field Source must not be empty');
      if (!m.Source.startsWith('/')) throw badRequest(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
      if (m.VolumeOptions || m.TmpfsOptions) throw badRequest('invalid mount config for type "bind": only BindOptions apply to a bind mount');
      const prop = m.BindOptions?.Propagation || 'rprivate';
      if (!PROPAGATIONS.includes(prop)) throw badRequest(`invalid mount config for type "bind": invalid propagation mode: ${prop}`);
      return { Type: 'bind', Name: '', Source: posix.normalize(m.Source), Destination: dst, Driver: '', Mode: '', RW: rw, Propagation: prop, CreateSource: !!m.BindOptions?.CreateMountpoint };
    }
    case 'volume': {
      if (m.BindOptions || m.TmpfsOptions) throw badRequest('invalid mount config for type "volume": only VolumeOptions apply to a volume mount');
      if (m.Source && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(m.Source)) throw badRequest(`invalid mount config for type "volume": invalid volume name "${m.Source}"`);
      if (m.VolumeOptions?.Subpath) throw badRequest('invalid mount config for type "volume": volume-subpath is not supported by tsagent yet');
      const driver = m.VolumeOptions?.DriverConfig?.Name || 'local';
      if (driver !== 'local') throw badRequest(`invalid mount config for type "volume": volume driver "${driver}" not found (tsagent has only the local driver)`);
      return { Type: 'volume', Name: m.Source ?? '', Source: '', Destination: dst, Driver: 'local', Mode: '', RW: rw, Propagation: '', CopyData: !m.VolumeOptions?.NoCopy, Anonymous: !m.Source };
    }
    case 'tmpfs': {
      if (m.Source) throw badRequest('invalid mount config for type "tmpfs": field Source must not be specified');
      if (m.BindOptions || m.VolumeOptions) throw badRequest('invalid mount config for type "tmpfs": only TmpfsOptions apply to a tmpfs mount');
      const size = m.TmpfsOptions?.SizeBytes;
      if (size !== undefined && (!Number.isInteger(size) || size < 0)) throw badRequest(`invalid mount config for type "tmpfs": invalid tmpfs size ${size}`);
      const opts = ['noexec', 'nosuid', 'nodev', ...(size ? [`size=${size}`] : []), ...(m.TmpfsOptions?.Mode ? [`mode=${(m.TmpfsOptions.Mode & 0o7777).toString(8)}`] : [])];
      return { Type: 'tmpfs', Name: '', Source: '', Destination: dst, Driver: '', Mode: '', RW: rw, Propagation: '', TmpfsOptions: opts };
    }
    default:
      throw badRequest(`invalid mount config: mount type unknown: "${type}" (use bind, volume or tmpfs)`);
  }
}

/** `--volumes-from ctr[:ro|rw]`: the container reference and the mode override. */
export function parseVolumesFrom(spec: string): { ref: string; mode?: 'ro' | 'rw' } {
  const [ref, mode, ...rest] = spec.split(':');
  if (!ref || rest.length || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) throw badRequest(`invalid volumes-from specification: '${spec}' (use CONTAINER[:ro|rw])`);
  return { ref, mode: mode as 'ro' | 'rw' | undefined };
}

/** `--tmpfs /dst[:opts]` (HostConfig.Tmpfs) with dockerd's defaults. */
export function parseTmpfs(dst: string, opts: string): MountPoint {
  const d = checkTarget(`${dst}:${opts}`, 'tmpfs', dst);
  const o = opts ? opts.split(',').filter(Boolean) : [];
  return { Type: 'tmpfs', Name: '', Source: '', Destination: d, Driver: '', Mode: opts, RW: !o.includes('ro'), Propagation: '', TmpfsOptions: ['noexec', 'nosuid', 'nodev', ...o] };
}

/**
 * Every mount of a new container, in dockerd's precedence: volumes-from first, then Binds and
 * Mounts (a duplicate destination among these is a 400), then the image's VOLUMEs where nothing
 * else is mounted, and --tmpfs replacing what it covers.
 */
export function collectMountPoints(opts: {
  binds: string[]; mounts: ApiMount[]; tmpfs: Record<string, string>; imageVolumes: string[]; from: MountPoint[];
}): MountPoint[] {
  const byDst = new Map<string, MountPoint>();
  for (const m of opts.from) byDst.set(m.Destination, m);
  const explicit = new Set<string>();
  const add = (m: MountPoint) => {
    if (explicit.has(m.Destination)) throw badRequest(`Duplicate mount point: ${m.Destination}`);
    explicit.add(m.Destination);
    byDst.set(m.Destination, m);
  };
  for (const b of opts.binds) add(parseBind(b));
  for (const m of opts.mounts) add(parseApiMount(m));
  for (const [dst, o] of Object.entries(opts.tmpfs)) {
    const t = parseTmpfs(dst, o ?? '');
    if (explicit.has(t.Destination)) throw badRequest(`Duplicate mount point: ${t.Destination}`);
    byDst.set(t.Destination, t);
  }
  for (const v of opts.imageVolumes) {
    const dst = checkTarget(v, 'volume', v);
    if (byDst.has(dst)) continue;
    byDst.set(dst, { Type: 'volume', Name: '', Source: '', Destination: dst, Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Anonymous: true });
  }
  return [...byDst.values()];
}

/** Mounts in the order they must be made: parents before children (dockerd sorts by depth). */
export function sortForMounting<T extends { Destination: string }>(ms: T[]): T[] {
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return [...ms].sort((a, b) => depth(a.Destination) - depth(b.Destination));
}
