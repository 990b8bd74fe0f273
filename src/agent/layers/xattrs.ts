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
    if (r.code !== 0) out.skipped.push(`${name}: ${r.stderr.trim().replace(/^setfattr: /, '') || `exit code ${r.code}`}`);
  }
}

/** Names recorded when a tree is archived (commit, export, cp): not overlayfs's or SELinux's own. */
export const recordable = (name: string): boolean => !REFUSED.some((r) => r.test(name));

/** getfattr's escapes in file names (\ooo octal, \\) undone. */
function unescapeName(s: string): string {
  const bytes: number[] = [];
  const cs = [...s];
  for (let i = 0; i < cs.length; i++) {
    if (cs[i] === '\\' && cs[i + 1] === '\\') { bytes.push(0x5c); i++; continue; }
    const oct = cs.slice(i + 1, i + 4).join('');
    if (cs[i] === '\\' && /^[0-7]{3}$/.test(oct)) { bytes.push(parseInt(oct, 8)); i += 3; continue; }
    bytes.push(...Buffer.from(cs[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parses `getfattr -d -e hex --absolute-names` output: absolute path -> name -> raw value. */
export function parseGetfattr(text: string): Map<string, Record<string, Buffer>> {
  const out = new Map<string, Record<string, Buffer>>();
  let current: Record<string, Buffer> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = {};
      out.set(unescapeName(line.slice(8)), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) continue;
    const name = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (recordable(name) && /^0x([0-9a-f]{2})*$/i.test(v)) current[name] = Buffer.from(v.slice(2), 'hex');
  }
  for (const [k, v] of out) if (Object.keys(v).length === 0) out.delete(k);
  return out;
}

/**
 * The extended attributes of every entry under `root` (not following symlinks), by absolute
 * path, in one getfattr run; empty when getfattr is not installed.
 */
export async function readXattrTree(root: string): Promise<Map<string, Record<string, Buffer>>> {
  const bin = which('getfattr');
  if (!bin) return new Map();
  const r = await run(bin, ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root]);
  return parseGetfattr(r.stdout);
}
