import { TsmError } from '../core/errors';
import type { SshClient } from './ssh-client';

/** The OS families tsmachine knows how to provision. */
export type OsFamily = 'debian' | 'rhel' | 'alpine' | 'tsos' | 'unknown';

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string;
  prettyName: string;
  family: OsFamily;
}

/** Unquotes one os-release value (shell-like: "..." with backslash escapes, or '...'). */
function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}

/** Parses os-release(5) text into its KEY=value pairs. */
export function parseOsReleaseVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) vars[m[1]] = unquote(m[2]);
  }
  return vars;
}

const FAMILY_IDS: Record<Exclude<OsFamily, 'unknown'>, string[]> = {
  tsos: ['tsos'],
  debian: ['debian', 'ubuntu', 'raspbian', 'linuxmint', 'pop'],
  rhel: ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'amzn', 'ol', 'scientific'],
  alpine: ['alpine'],
};

/** The family of an OS from its ID, then its ID_LIKE entries in order. */
export function osFamily(id: string, idLike: readonly string[]): OsFamily {
  for (const candidate of [id, ...idLike]) {
    for (const [family, ids] of Object.entries(FAMILY_IDS)) {
      if (ids.includes(candidate)) return family as OsFamily;
    }
  }
  return 'unknown';
}

/** Parses /etc/os-release text. */
export function parseOsRelease(text: string): OsRelease {
  const v = parseOsReleaseVars(text);
  const id = (v.ID ?? 'linux').toLowerCase();
  const idLike = (v.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const versionId = v.VERSION_ID ?? '';
  const prettyName = v.PRETTY_NAME || [v.NAME ?? 'Linux', versionId].filter(Boolean).join(' ');
  return { id, idLike, versionId, prettyName, family: osFamily(id, idLike) };
}

/** Reads and parses /etc/os-release (or /usr/lib/os-release) on the host. */
export async function detectOs(ssh: SshClient): Promise<OsRelease> {
  const r = await ssh.exec('cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release');
  if (r.code !== 0 || r.stdout.trim() === '') {
    throw new TsmError('PROVISION_FAILED', `cannot read /etc/os-release on ${ssh.endpoint}`, {
      suggestion: 'tsmachine supports Linux hosts with /etc/os-release (Debian, Ubuntu, RHEL, Fedora, Amazon Linux, Alpine, tsos)',
    });
  }
  return parseOsRelease(r.stdout);
}
