import { which } from '../runtime/which';
import { run } from '../util/proc';

/**
 * Extended attributes of layer members (pax SCHILY.xattr.*), set with setfattr from the attr
 * package: Node has no xattr call. They matter mostly for file capabilities
 * (security.capability: ping, arping, ... run unprivileged with them). Members with xattrs are
 * rare, so one process per member is affordable.
 *
 * Never set: trusted.overlay.* (overlayfs's own metadata: a layer carrying it could redirect or
 * hide paths of the layers below) and security.selinux (labels are the runtime's business).
 */
const REFUSED = [/^trusted\.overlay\./, /^security\.selinux$/];

export interface XattrResult {
  applied: number;
  /** name: why, for what could not be set. */
  skipped: string[];
}

let setfattr: string | null | undefined;

function setfattrBin(): string | undefined {
  if (setfattr === undefined) setfattr = which('setfattr') ?? null;
  return setfattr ?? undefined;
}

/** Sets `xattrs` on `path` itself (a symlink is not followed). */
export async function applyXattrs(path: string, xattrs: Record<string, Buffer>, out: XattrResult): Promise<void> {
  for (const [name, value] of Object.entries(xattrs)) {
    if (REFUSED.some((r) => r.test(name))) { out.skipped.push(`${name}: not taken from layers`); continue; }
    const bin = setfattrBin();
    if (!bin) { out.skipped.push(`${name}: setfattr is not installed (package attr)`); continue; }
    const r = await run(bin, ['-h', '-n', name, '-v', `0x${value.toString('hex')}`, path]);
    if (r.code === 0) out.applied++;
    else out.skipped.push(`${name}: ${r.stderr.trim().replace(/^setfattr: /, '') || `exit code ${r.code}`}`);
  }
}
