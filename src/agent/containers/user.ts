import { promises as fsp } from 'node:fs';
import { resolveInRoot } from '../layers/path-scope';
import type { SpecUser } from './spec';
import { badRequest } from '../http/api-error';

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/**
 * Resolves `user[:group]` (names or numbers) against the container's /etc/passwd and
 * /etc/group as dockerd does: numeric IDs need no entry, names must exist; supplementary
 * groups come from /etc/group membership.
 */
export function resolveUserFrom(spec: string, passwd: PasswdEntry[], groups: GroupEntry[]): SpecUser {
  const [u, g] = spec === '' ? ['0', undefined] : spec.split(':', 2);
  const numeric = /^\d+$/.test(u);
  const entry = passwd.find((p) => (numeric ? p.uid === Number(u) : p.name === u));
  if (!entry && !numeric) throw badRequest(`unable to find user ${u}: no matching entries in passwd file`);
  const uid = numeric ? Number(u) : entry!.uid;
  let gid = entry?.gid ?? 0;
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const ge = groups.find((x) => x.name === g);
      if (!ge) throw badRequest(`unable to find group ${g}: no matching entries in group file`);
      gid = ge.gid;
    }
  }
  // As dockerd: the primary group first, then (only when no group was given) the user's
  // memberships, so `id` shows groups=<gid>,... like Docker does.
  const member = entry && (g === undefined || g === '')
    ? groups.filter((x) => x.members.includes(entry.name) && x.gid !== gid).map((x) => x.gid)
    : [];
  const additionalGids = [gid, ...member];
  return { uid, gid, additionalGids };
}

async function readInRoot(rootfs: string, rel: string): Promise<string> {
  try {
    return await fsp.readFile(await resolveInRoot(rootfs, rel), 'utf8');
  } catch {
    return '';
  }
}

/** Reads the container's passwd/group files (symlinks resolved inside the rootfs) and resolves `spec`. */
export async function resolveUser(rootfs: string, spec: string): Promise<SpecUser> {
  if (spec === '' || spec === 'root' || spec === '0') {
    const groups = parseGroup(await readInRoot(rootfs, 'etc/group'));
    return resolveUserFrom(spec === '' ? '0' : spec, [{ name: 'root', uid: 0, gid: 0 }], groups);
  }
  const passwd = parsePasswd(await readInRoot(rootfs, 'etc/passwd'));
  const groups = parseGroup(await readInRoot(rootfs, 'etc/group'));
  return resolveUserFrom(spec, passwd, groups);
}
