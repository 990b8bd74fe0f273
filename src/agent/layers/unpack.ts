import { promises as fsp, constants as fsc } from 'node:fs';
import { posix } from 'node:path';
import { readTar, type TarEntry, type TarHeader } from './tar-reader';
import { cleanMemberPath, resolveInRoot, PathEscapeError } from './path-scope';
import { runOk } from '../util/proc';
import { applyXattrs, type XattrResult } from './xattrs';

export interface UnpackOptions {
  /**
   * Apply whiteouts (`.wh.NAME` deletes NAME, `.wh..wh..opq` hides the folder's lower
   * content) by deleting in `root`. Set when `root` is an overlay mount whose upper folder is
   * the new layer: overlayfs then records the deletions as its own whiteouts (0/0 character
   * devices), which needs no mknod or xattr call from Node. Without it whiteouts are dropped
   * (a base layer has nothing below it to hide).
   */
  applyWhiteouts: boolean;
  /** Called for things that were skipped (e.g. extended attributes). */
  warn?: (msg: string) => void;
  /**
   * `root` is the layer's own folder with no parents below it, for a layer that has parents
   * (unpacked while they still unpack). Only layers whose result there is the same as on an
   * overlay of the parents qualify: no whiteouts, every member's folder is a folder member of
   * this layer (no folder is made up, so none hides a parent's metadata), hard links point at
   * files of this layer. Anything else throws NeedsParentsError: unpack it on the parents.
   */
  standalone?: boolean;
}

/** A standalone unpack met a member that needs the parent layers (see UnpackOptions.standalone). */
export class NeedsParentsError extends Error {
  constructor(member: string, why: string) {
    super(`"${member}": ${why}`);
    this.name = 'NeedsParentsError';
  }
}

export interface UnpackStats {
  entries: number;
  bytes: number;
}

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

interface State {
  root: string;
  opts: UnpackOptions;
  /** Clean relative paths this layer created (kept when a later opaque marker hides the rest). */
  written: Set<string>;
  dirTimes: Array<{ path: string; mtime: number }>;
  xattrs: XattrResult;
  stats: UnpackStats;
  /** Folders (relative) known to be real folders at the absolute path given, created or checked by this unpack. */
  dirs: Map<string, string>;
  /** Independent writes in flight, by relative path (files and symlinks only). */
  pending: Map<string, Promise<void>>;
  /** standalone: folders this layer has as members (relative), still folders. */
  ownDirs: Set<string>;
}

/** Refuses, for a standalone unpack, what only unpacks right on top of the parents. */
function checkStandalone(s: State, h: TarHeader): void {
  const rel = cleanMemberPath(h.name);
  if (rel === '') return;
  if (posix.basename(rel).startsWith(WH_PREFIX)) throw new NeedsParentsError(rel, 'whiteout');
  const parentRel = posix.dirname(rel);
  if (parentRel !== '.' && !s.ownDirs.has(parentRel)) throw new NeedsParentsError(rel, 'its folder is not a member of this layer');
  if (h.type === 'hardlink' && !s.written.has(cleanMemberPath(h.linkname))) throw new NeedsParentsError(rel, 'hard link to a file of another layer');
  if (h.type === 'dir') { s.ownDirs.add(rel); return; }
  for (const d of s.ownDirs) if (d === rel || d.startsWith(`${rel}/`)) s.ownDirs.delete(d);
}

/** Most writes in flight at once (the filesystem calls run on libuv's thread pool). */
const MAX_PENDING = 32;
/** Files up to this size are read into memory so their write can overlap later entries. */
const BUFFERED_FILE = 1024 * 1024;

async function lstatOrNull(p: string) {
  try {
    return await fsp.lstat(p);
  } catch {
    return null;
  }
}

/** Forgets cached folders at or below `rel` ('' forgets all): something there may have changed. */
function forgetDirs(s: State, rel: string): void {
  if (rel === '') { s.dirs.clear(); return; }
  for (const k of s.dirs.keys()) if (k === rel || k.startsWith(`${rel}/`)) s.dirs.delete(k);
}

async function settle(s: State): Promise<void> {
  const all = [...s.pending.values()];
  s.pending.clear();
  await Promise.all(all);
}

/** Resolves a member's parent in scope (creating it) and returns the absolute path of the member itself. */
async function target(s: State, rel: string): Promise<string> {
  const parentRel = posix.dirname(rel);
  let parent = parentRel === '.' ? s.root : s.dirs.get(parentRel);
  if (!parent) {
    parent = await resolveInRoot(s.root, parentRel, true);
    const pst = await lstatOrNull(parent);
    if (!pst) await fsp.mkdir(parent, { recursive: true, mode: 0o755 });
    else if (!pst.isDirectory()) throw new PathEscapeError(`"${rel}": parent is not a directory`);
    s.dirs.set(parentRel, parent);
  }
  const out = `${parent}/${posix.basename(rel)}`;
  if (!out.startsWith(`${s.root}/`)) throw new PathEscapeError(`"${rel}" escapes the root`);
  return out;
}

/** Removes whatever is at `p` unless both it and the new entry are directories. Returns true when a directory stays. */
async function clear(p: string, newIsDir: boolean): Promise<boolean> {
  const st = await lstatOrNull(p);
  if (!st) return false;
  if (st.isDirectory() && newIsDir) return true;
  await fsp.rm(p, { recursive: true, force: true });
  return false;
}

async function applyMeta(p: string, h: TarHeader, isLink = false): Promise<void> {
  if (h.uid !== 0 || h.gid !== 0 || !IS_ROOT) await fsp.lchown(p, h.uid, h.gid);
  if (!isLink) await fsp.chmod(p, h.mode);
  await fsp.lutimes(p, h.mtime, h.mtime);
}

async function writeFile(p: string, h: TarHeader, body: AsyncIterable<Buffer> | Buffer, s: State): Promise<void> {
  const fh = await fsp.open(p, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    if (Buffer.isBuffer(body)) {
      if (body.length) await fh.write(body);
      s.stats.bytes += body.length;
    } else {
      for await (const chunk of body) {
        await fh.write(chunk);
        s.stats.bytes += chunk.length;
      }
    }
    if (h.uid !== 0 || h.gid !== 0 || !IS_ROOT) await fh.chown(h.uid, h.gid);
    await fh.chmod(h.mode);
    await fh.utimes(h.mtime, h.mtime);
  } finally {
    await fh.close();
  }
}

const IS_ROOT = process.getuid?.() === 0;

async function hardlink(s: State, p: string, h: TarHeader): Promise<void> {
  const rel = cleanMemberPath(h.linkname);
  if (rel === '') throw new PathEscapeError(`hard link "${h.name}" points at the root`);
  const parent = posix.dirname(rel) === '.' ? s.root : await resolveInRoot(s.root, posix.dirname(rel), true);
  const src = `${parent}/${posix.basename(rel)}`;
  if (!src.startsWith(`${s.root}/`)) throw new PathEscapeError(`hard link "${h.name}" -> "${h.linkname}" escapes the root`);
  const st = await lstatOrNull(src);
  if (!st) throw new PathEscapeError(`hard link "${h.name}" -> "${h.linkname}": target does not exist in the layer`);
  if (st.isDirectory()) throw new PathEscapeError(`hard link "${h.name}" -> "${h.linkname}": target is a directory`);
  await fsp.link(src, p);
}

async function special(p: string, h: TarHeader): Promise<void> {
  if (h.type === 'fifo') await runOk('mkfifo', ['-m', (h.mode & 0o777).toString(8), p]);
  else await runOk('mknod', ['-m', (h.mode & 0o777).toString(8), p, h.type === 'char' ? 'c' : 'b', String(h.devmajor), String(h.devminor)]);
  await applyMeta(p, h);
}

/** Handles `.wh.*` members; returns true when the member was a whiteout. */
async function whiteout(s: State, rel: string): Promise<boolean> {
  const base = posix.basename(rel);
  if (!base.startsWith(WH_PREFIX)) return false;
  if (!s.opts.applyWhiteouts) return true;
  const dirRel = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
  const dir = dirRel === '' ? s.root : await resolveInRoot(s.root, dirRel, true);
  if (base === WH_OPAQUE) {
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      const childRel = dirRel === '' ? n : `${dirRel}/${n}`;
      if (!s.written.has(childRel)) await fsp.rm(`${dir}/${n}`, { recursive: true, force: true });
    }
    return true;
  }
  if (base.startsWith(`${WH_PREFIX}${WH_PREFIX}`)) return true; // aufs metadata
  const victim = `${dir}/${base.slice(WH_PREFIX.length)}`;
  if (victim.startsWith(`${s.root}/`)) await fsp.rm(victim, { recursive: true, force: true });
  return true;
}

async function extractOne(s: State, e: TarEntry): Promise<void> {
  const h = e.header;
  const rel = cleanMemberPath(h.name);
  if (rel === '') return; // the root itself keeps the layer folder's metadata
  if (posix.basename(rel).startsWith(WH_PREFIX)) forgetDirs(s, '');
  if (await whiteout(s, rel)) return;
  if (h.type !== 'dir') forgetDirs(s, rel);
  const p = await target(s, rel);
  const keepDir = await clear(p, h.type === 'dir');
  s.written.add(rel);
  await createMember(s, e, rel, p, keepDir);
  if (Object.keys(h.xattrs).length > 0) await applyXattrs(p, h.xattrs, s.xattrs);
}

async function createMember(s: State, e: TarEntry, rel: string, p: string, keepDir: boolean): Promise<void> {
  const h = e.header;
  switch (h.type) {
    case 'dir':
      if (!keepDir) { forgetDirs(s, rel); await fsp.mkdir(p, { mode: 0o700 }); }
      await fsp.lchown(p, h.uid, h.gid);
      await fsp.chmod(p, h.mode);
      s.dirTimes.push({ path: p, mtime: h.mtime });
      if ((await fsp.lstat(p)).isDirectory()) s.dirs.set(rel, p);
      return;
    case 'file': return writeFile(p, h, e.body, s);
    case 'symlink':
      await fsp.symlink(h.linkname, p);
      return applyMeta(p, h, true);
    case 'hardlink': return hardlink(s, p, h);
    default: return special(p, h);
  }
}

/**
 * Extracts a tar stream into `root` without ever writing outside it: member names are
 * cleaned (absolute names stay inside, `..` escapes are refused), parent folders are
 * resolved with symlinks interpreted inside `root`, a member never writes through an
 * existing symlink (it replaces it), and hard links must point at a file inside `root`.
 * Throws PathEscapeError for hostile archives; the caller discards the partial result.
 */
/**
 * Starts a symlink or a small file whose folder is known and whose path nothing in flight
 * touches, without waiting for it; returns false when the entry must go the careful way.
 */
async function tryConcurrent(s: State, e: TarEntry): Promise<boolean> {
  const h = e.header;
  if (h.type !== 'symlink' && !(h.type === 'file' && h.size <= BUFFERED_FILE)) return false;
  if (Object.keys(h.xattrs).length > 0) return false;
  const rel = cleanMemberPath(h.name);
  const base = posix.basename(rel);
  const parentRel = posix.dirname(rel);
  const parent = parentRel === '.' ? s.root : s.dirs.get(parentRel);
  if (rel === '' || base.startsWith(WH_PREFIX) || !parent || s.pending.has(rel) || s.dirs.has(rel)) return false;
  for (const k of s.dirs.keys()) if (k.startsWith(`${rel}/`)) return false;
  const p = `${parent}/${base}`;
  const body = h.type === 'file' ? await readAll(e.body, h.size) : undefined;
  s.written.add(rel);
  s.pending.set(rel, (async () => {
    if (body) return retryCleared(p, () => writeFile(p, h, body, s));
    await retryCleared(p, () => fsp.symlink(h.linkname, p));
    await applyMeta(p, h, true);
  })());
  return true;
}

/**
 * Creates without looking first (one syscall less per entry): symlink() and O_CREAT|O_EXCL never
 * follow or reuse what is there, so on EEXIST the old entry is removed and the create retried.
 */
async function retryCleared(p: string, create: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    await clear(p, false);
    await create();
  }
}

async function readAll(body: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
}

export async function unpackTar(source: AsyncIterable<Buffer>, root: string, opts: UnpackOptions): Promise<UnpackStats> {
  const s: State = { root, opts, written: new Set(), dirTimes: [], xattrs: { skipped: [] }, stats: { entries: 0, bytes: 0 }, dirs: new Map(), pending: new Map(), ownDirs: new Set() };
  try {
    for await (const e of readTar(source)) {
      s.stats.entries++;
      if (opts.standalone) checkStandalone(s, e.header);
      if (await tryConcurrent(s, e)) {
        if (s.pending.size >= MAX_PENDING) await settle(s);
        continue;
      }
      await settle(s);
      await extractOne(s, e);
    }
    await settle(s);
  } finally {
    await Promise.allSettled(s.pending.values());
  }
  for (const d of s.dirTimes.reverse()) await fsp.utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
  if (s.xattrs.skipped.length > 0) {
    const shown = [...new Set(s.xattrs.skipped)].slice(0, 5).join('; ');
    opts.warn?.(`${s.xattrs.skipped.length} extended attribute(s) of layer members were not set: ${shown}`);
  }
  return s.stats;
}
