/**
 * `docker run` options beyond the basics: --security-opt, --init (a static tini bind-mounted
 * as /sbin/docker-init, as dockerd does) and the host's device nodes for --privileged.
 */
import { readdirSync, statSync, existsSync, realpathSync, promises as fsp } from 'node:fs';
import { resolveInRoot } from '../layers/path-scope';
import { join } from 'node:path';
import { badRequest } from '../http/api-error';
import type { HostConfig } from './types';
import type { SpecMount } from './spec';
import { INIT_BINARIES } from './init-binaries';

/** Where the init binary appears inside the container (dockerd's path). */
export const INIT_PATH = '/sbin/docker-init';

/** Parses HostConfig.SecurityOpt as dockerd does; 400 on anything it would not accept. */
export function securityOptions(h: HostConfig): { noNewPrivileges: boolean } {
  let noNewPrivileges = false;
  for (const raw of (h.SecurityOpt as unknown[] | null | undefined) ?? []) {
    if (typeof raw !== 'string') throw badRequest('invalid SecurityOpt: expected a list of strings');
    if (raw === 'no-new-privileges') { noNewPrivileges = true; continue; }
    const m = /^([a-z-]+)[=:](.*)$/.exec(raw);
    if (!m) throw badRequest(`invalid --security-opt 2: "${raw}"`);
    const [, key, value] = m;
    switch (key) {
      case 'no-new-privileges':
        if (value !== 'true' && value !== 'false') throw badRequest(`invalid --security-opt 2: "${raw}": no-new-privileges takes true or false`);
        noNewPrivileges = value === 'true';
        break;
      case 'seccomp':
      case 'apparmor':
      case 'label': {
        // tsagent applies no seccomp/AppArmor/SELinux profile: unconfined is what it does anyway.
        const ok = key === 'label' ? value === 'disable' : value === 'unconfined';
        if (!ok) throw badRequest(`--security-opt ${raw} is not supported by tsagent (it applies no ${key} profiles); use ${key === 'label' ? 'label=disable' : `${key}=unconfined`} or leave it out`);
        break;
      }
      default:
        throw badRequest(`invalid --security-opt 2: "${raw}"`);
    }
  }
  return { noNewPrivileges };
}

/** The host's static init binary (tini) for --init; undefined when none is installed. */
export function findInitBinary(): string | undefined {
  for (const p of INIT_BINARIES) {
    if (existsSync(p)) return realpathSync(p);
  }
  return undefined;
}

/** The read-only bind mount of the init binary and the argv it wraps. */
export function initWrap(argv: string[], bin: string): { mount: SpecMount; args: string[] } {
  return {
    mount: { destination: INIT_PATH, type: 'bind', source: bin, options: ['bind', 'ro', 'rprivate'] },
    args: [INIT_PATH, '--', ...argv],
  };
}

const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every character and block device under /dev (runc's HostDevices), as OCI linux.devices. */
export function hostDevices(dir = '/dev'): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...hostDevices(p));
      continue;
    }
    if (!e.isCharacterDevice() && !e.isBlockDevice()) continue;
    if (p === '/dev/console') continue;
    try {
      const st = statSync(p, { bigint: true });
      const rdev = st.rdev;
      const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
      const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
      out.push({ path: p, type: e.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) });
    } catch { /* gone */ }
  }
  return out;
}

/** One --device mapping resolved against the host. */
export interface DeviceMapping { path: string; type: 'c' | 'b'; major: number; minor: number; fileMode: number; uid: number; gid: number; access: string }

function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  return { major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)), minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)) };
}

/** HostConfig.Devices (--device host[:container][:rwm]) as device nodes; 400 for anything but a device node. */
export function resolveDevices(h: HostConfig): DeviceMapping[] {
  const out: DeviceMapping[] = [];
  for (const raw of (h.Devices as unknown[] | null | undefined) ?? []) {
    const d = raw as { PathOnHost?: unknown; PathInContainer?: unknown; CgroupPermissions?: unknown };
    const host = typeof d?.PathOnHost === 'string' ? d.PathOnHost : '';
    const inCtr = typeof d?.PathInContainer === 'string' && d.PathInContainer ? d.PathInContainer : host;
    const access = typeof d?.CgroupPermissions === 'string' && d.CgroupPermissions ? d.CgroupPermissions : 'rwm';
    if (!host.startsWith('/') || !inCtr.startsWith('/')) throw badRequest(`invalid device mapping ${JSON.stringify(raw)}: paths must be absolute`);
    if (!/^[rwm]{1,3}$/.test(access)) throw badRequest(`invalid device cgroup permissions "${access}": use a combination of r, w and m`);
    let st;
    try {
      st = statSync(host, { bigint: true });
    } catch (e) {
      throw badRequest(`error gathering device information while adding custom device "${host}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
    if (!type) throw badRequest(`error gathering device information while adding custom device "${host}": not a device node (tsagent maps single device nodes, not folders)`);
    out.push({ path: inCtr, type, ...deviceNumbers(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), access });
  }
  return out;
}

/** Sysctls a container may set (namespaced ones), as dockerd allows. */
export function validateSysctls(h: HostConfig): Record<string, string> {
  const s = (h.Sysctls as Record<string, unknown> | null | undefined) ?? {};
  for (const [k, v] of Object.entries(s)) {
    if (typeof v !== 'string') throw badRequest(`invalid sysctl ${k}: the value must be a string`);
    const ipc = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\..+)$/.test(k);
    const net = k.startsWith('net.');
    if (!ipc && !net) throw badRequest(`sysctl '${k}' is not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*) can be set`);
    if (net && h.NetworkMode === 'host') throw badRequest(`sysctl '${k}' is not allowed in host network mode`);
  }
  return s as Record<string, string>;
}

/** Resource fields tsagent does not apply: refused instead of silently ignored. */
const UNSUPPORTED: Array<[string, string]> = [
  ['BlkioWeight', '--blkio-weight'], ['BlkioWeightDevice', '--blkio-weight-device'], ['BlkioDeviceReadBps', '--device-read-bps'],
  ['BlkioDeviceWriteBps', '--device-write-bps'], ['BlkioDeviceReadIOps', '--device-read-iops'], ['BlkioDeviceWriteIOps', '--device-write-iops'],
  ['CpuRealtimePeriod', '--cpu-rt-period'], ['CpuRealtimeRuntime', '--cpu-rt-runtime'], ['DeviceCgroupRules', '--device-cgroup-rule'],
  ['DeviceRequests', '--gpus'], ['CpuCount', '--cpu-count'], ['CpuPercent', '--cpu-percent'],
];

/** Checks the extra run options (devices, sysctls, group-add, unsupported fields) at create time. */
export function validateRunOptions(h: HostConfig): void {
  for (const [key, flag] of UNSUPPORTED) {
    const v = h[key];
    if (v === undefined || v === null || v === 0 || (Array.isArray(v) && v.length === 0)) continue;
    throw badRequest(`${flag} (${key}) is not supported by tsagent`);
  }
  const sw = h.MemorySwappiness;
  if (sw !== undefined && sw !== null && sw !== -1 && (typeof sw !== 'number' || sw < 0 || sw > 100)) throw badRequest(`Invalid value: ${String(sw)}, valid memory swappiness range is 0-100`);
  const res = h.MemoryReservation;
  if (res !== undefined && res !== null && (typeof res !== 'number' || res < 0)) throw badRequest('invalid MemoryReservation: expected bytes');
  if (typeof res === 'number' && res > 0 && res < 6 * 1024 * 1024) throw badRequest('Minimum memory reservation allowed is 6MB');
  if (typeof res === 'number' && res > 0 && h.Memory && h.Memory > 0 && res > h.Memory) throw badRequest('Minimum memory limit can not be less than memory reservation limit, see usage');
  for (const g of (h.GroupAdd as unknown[] | null | undefined) ?? []) if (typeof g !== 'string' || !g) throw badRequest('invalid GroupAdd: expected group names or IDs');
  resolveDevices(h);
  validateSysctls(h);
}

/** Group IDs for --group-add: numbers as they are, names from the container's /etc/group. */
export function groupAddGids(names: string[], groupFile: string): number[] {
  const groups = groupFile.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 3 && /^\d+$/.test(f[2]));
  return names.map((n) => {
    if (/^\d+$/.test(n)) return Number(n);
    const g = groups.find((f) => f[0] === n);
    if (!g) throw badRequest(`Unable to find group ${n}: no matching entries in group file`);
    return Number(g[2]);
  });
}

/**
 * Adds to a generated OCI spec what the extra options need: device nodes and their cgroup
 * rules, sysctls, memory reservation / swappiness / OOM killer, cpuset mems, extra groups.
 */
export function extendSpec(spec: Record<string, unknown>, h: HostConfig, extraGids: number[]): void {
  const linux = spec.linux as { devices?: Array<Record<string, unknown>>; resources: Record<string, unknown>; sysctl?: Record<string, string> };
  const res = linux.resources as { devices: Array<Record<string, unknown>>; memory?: Record<string, unknown>; cpu?: Record<string, unknown> };
  for (const d of resolveDevices(h)) {
    const { access, ...node } = d;
    linux.devices = [...(linux.devices ?? []).filter((x) => x.path !== d.path), node];
    res.devices.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access });
  }
  const sysctl = validateSysctls(h);
  if (Object.keys(sysctl).length) linux.sysctl = { ...(linux.sysctl ?? {}), ...sysctl };
  const mem: Record<string, unknown> = { ...(res.memory ?? {}) };
  if (typeof h.MemoryReservation === 'number' && h.MemoryReservation > 0) mem.reservation = h.MemoryReservation;
  if (typeof h.MemorySwappiness === 'number' && h.MemorySwappiness >= 0) mem.swappiness = h.MemorySwappiness;
  if (h.OomKillDisable === true) mem.disableOOMKiller = true;
  if (Object.keys(mem).length) res.memory = mem;
  if (typeof h.CpusetMems === 'string' && h.CpusetMems) res.cpu = { ...(res.cpu ?? {}), mems: h.CpusetMems };
  if (extraGids.length) {
    const user = (spec.process as { user: { additionalGids?: number[] } }).user;
    user.additionalGids = [...new Set([...(user.additionalGids ?? []), ...extraGids])];
  }
}

/** A file inside the container rootfs (symlinks resolved inside it); '' when absent. */
export async function readFileInRoot(rootfs: string, rel: string): Promise<string> {
  try {
    return await fsp.readFile(await resolveInRoot(rootfs, rel), 'utf8');
  } catch {
    return '';
  }
}
