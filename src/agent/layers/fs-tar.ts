import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { tarHeader, tarPadding, TAR_END, type TarWriteHeader } from './tar-writer';
import { readXattrTree } from './xattrs';

/** What to emit for one filesystem entry: the entry as is, a replacement header, or nothing. */
export type EntryMapper = (rel: string, st: Stats) => Promise<TarWriteHeader[] | 'as-is' | 'skip'> | TarWriteHeader[] | 'as-is' | 'skip';

/** The tar header of a filesystem entry named `rel` (its stat, and its target for a symlink). */
export function headerFor(rel: string, st: Stats, link: string): TarWriteHeader {
  const common = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
  if (st.isDirectory()) return { ...common, type: 'dir' };
  if (st.isSymbolicLink()) return { ...common, type: 'symlink', linkname: link };
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const rdev = st.rdev;
    return { ...common, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
  }
  if (st.isFIFO()) return { ...common, type: 'fifo' };
  return { ...common, type: 'file', size: st.size };
}

async function* fileBody(path: string, size: number): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 18 })) {
    const b = c as Buffer;
    const take = Math.min(b.length, size - n);
    if (take > 0) yield take === b.length ? b : b.subarray(0, take);
    n += take;
  }
  if (n < size) yield Buffer.alloc(size - n); // the file shrank while being read
  yield tarPadding(size);
}

/**
 * A tar stream of the tree under `root` (names relative, folders first, sorted), with hard
 * links for files seen before (same inode) and extended attributes as pax records. `map` can rewrite or drop entries (whiteouts).
 * Sockets are skipped, as tar does.
 */
export async function* tarTree(root: string, map?: EntryMapper, opts: { end?: boolean } = {}): AsyncGenerator<Buffer> {
  const inodes = new Map<string, string>();
  // Extended attributes (file capabilities, user.*), read for the whole tree at once.
  const xattrs = await readXattrTree(root);
  async function* walk(relDir: string): AsyncGenerator<Buffer> {
    const names = (await fsp.readdir(relDir ? join(root, relDir) : root)).sort();
    for (const n of names) {
      const rel = relDir ? `${relDir}/${n}` : n;
      const path = join(root, rel);
      const st = await fsp.lstat(path).catch(() => undefined);
      if (!st || st.isSocket()) continue;
      const m = map ? await map(rel, st) : 'as-is';
      if (m === 'skip') continue;
      if (m !== 'as-is') {
        for (const h of m) yield tarHeader(h);
        if (st.isDirectory() && m.some((h) => h.type === 'dir' && h.name === rel)) yield* walk(rel);
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (st.isFile() && st.nlink > 1 && inodes.has(key)) {
        yield tarHeader({ ...headerFor(rel, st, ''), type: 'hardlink', size: 0, linkname: inodes.get(key) });
        continue;
      }
      if (st.isFile() && st.nlink > 1) inodes.set(key, rel);
      const h = { ...headerFor(rel, st, st.isSymbolicLink() ? await fsp.readlink(path) : ''), xattrs: xattrs.get(path) };
      yield tarHeader(h);
      if (h.type === 'file') yield* fileBody(path, h.size ?? 0);
      if (st.isDirectory()) yield* walk(rel);
    }
  }
  yield* walk('');
  if (opts.end !== false) yield TAR_END;
}
