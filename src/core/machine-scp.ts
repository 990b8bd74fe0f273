import { TsmError } from './errors';
import { hostExec, type Exec } from './exec';
import { machineSshTarget, type MachineSshTarget } from './machine-ssh';
import type { Store } from './store';

/** One side of a copy: a local path, or `machine:path`. */
export interface CopyArg {
  machine?: string;
  path: string;
}

/** Parses `machine:path` (docker-machine's syntax); a path with a `/` before the colon is local. */
export function parseCopyArg(arg: string): CopyArg {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9.-]*):(.*)$/.exec(arg);
  if (!m) return { path: arg };
  return { machine: m[1], path: m[2] || '.' };
}

/** An scp URI: the path after `host:port/` is relative to the home folder; `//abs` is absolute. */
function target(t: MachineSshTarget, path: string): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `scp://${t.user}@${host}:${t.port}/${path}`;
}

/**
 * Copies files with OpenSSH scp, authenticating with each machine's key and checking its pinned
 * host key. Between two machines the data passes through this host (-3).
 */
export async function copyFiles(store: Store, src: string, dst: string, o: { recursive?: boolean; exec?: Exec } = {}): Promise<void> {
  const a = parseCopyArg(src);
  const b = parseCopyArg(dst);
  if (!a.machine && !b.machine) {
    throw new TsmError('INVALID_FLAG', 'neither side of the copy names a machine', { suggestion: 'write one side as MACHINE:PATH, e.g. "tsmachine scp ./f dev:/tmp/f"' });
  }
  const targets = new Map<string, MachineSshTarget>();
  for (const m of [a.machine, b.machine]) if (m && !targets.has(m)) targets.set(m, await machineSshTarget(store, m));
  const args = ['-q', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${[...targets.values()].map((t) => t.knownHostsPath).join(' ')}`];
  for (const t of targets.values()) args.push('-i', t.privateKeyPath);
  if (o.recursive) args.push('-r');
  if (a.machine && b.machine) args.push('-3');
  const side = (c: CopyArg) => (c.machine ? target(targets.get(c.machine)!, c.path) : c.path);
  await (o.exec ?? hostExec)('scp', [...args, side(a), side(b)]);
}
