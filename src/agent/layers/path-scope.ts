import { promises as fsp } from 'node:fs';
import { posix } from 'node:path';

/** A path from an archive or a user, refused when it climbs out of its root. */
export class PathEscapeError extends Error {}

/**
 * Cleans an archive member name to a relative path inside the root: leading slashes are
 * dropped (absolute names stay inside), `..` that would leave the root is refused.
 * Returns '' for the root itself.
 */
export function cleanMemberPath(name: string): string {
  const stripped = name.replace(/^\/+/, '');
  const clean = posix.normalize(stripped === '' ? '.' : stripped).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) throw new PathEscapeError(`path "${name}" escapes the root`);
  return clean === '.' ? '' : clean;
}

function parts(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

const MAX_LINKS = 255;

/**
 * The walk of a path as a process with its root at `/` would make it (like Go's securejoin):
 * symlinks are followed but read in root terms (an absolute target starts again at `/`), `..`
 * stops at `/`, and missing components are kept as they are. `hostOf` says where a resolved
 * prefix (components below `/`) is on the host, to lstat and readlink there. With
 * `followFinal` false the last component is not followed even when it is a symlink. Returns
 * the resolved components, so no result can name anything above `/`.
 */
export async function walkInRoot(path: string, followFinal: boolean, hostOf: (components: string[]) => string): Promise<string[]> {
  let todo = parts(path);
  const stack: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') { stack.pop(); continue; }
    if (todo.length === 0 && !followFinal) { stack.push(c); break; }
    const host = hostOf([...stack, c]);
    let st;
    try {
      st = await fsp.lstat(host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
      stack.push(c);
      continue;
    }
    if (!st.isSymbolicLink()) { stack.push(c); continue; }
    if (++links > MAX_LINKS) throw new PathEscapeError(`too many levels of symbolic links resolving "${path}"`);
    const target = await fsp.readlink(host);
    if (target.startsWith('/')) stack.length = 0;
    todo = [...parts(target), ...todo];
  }
  return stack;
}

/**
 * Resolves `rel` inside `root` the way the container will see it (walkInRoot), so the result
 * never leaves `root`.
 */
export async function resolveInRoot(root: string, rel: string, followFinal = true): Promise<string> {
  const stack = await walkInRoot(rel, followFinal, (cs) => `${root}/${cs.join('/')}`);
  const out = stack.length ? `${root}/${stack.join('/')}` : root;
  if (out !== root && !out.startsWith(`${root}/`)) throw new PathEscapeError(`"${rel}" escapes ${root}`);
  return out;
}
