/**
 * `docker run` options beyond the basics: --security-opt, --init (a static tini bind-mounted
 * as /sbin/docker-init, as dockerd does) and the host's device nodes for --privileged.
 */
import { readdirSync, statSync, existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest } from '../http/api-error';
import type { HostConfig } from './types';
import type { SpecMount } from './spec';

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
  for (const p of ['/usr/libexec/docker/docker-init', '/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/local/bin/docker-init', '/usr/local/bin/tini-static']) {
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
