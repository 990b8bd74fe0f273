/**
 * `docker cp`: HEAD/GET/PUT /containers/{id}/archive. Paths resolve inside the container
 * (volumes and binds included, symlinks never leaving it; see volumes/container-fs.ts). A
 * running container is frozen for the time of the copy, so its processes cannot swap a folder
 * for a symlink while the agent walks the path (CVE-2018-15664's race).
 */
import { promises as fsp, createReadStream, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Router, RequestContext } from '../http/router';
import { queryBool } from '../http/router';
import type { Engine } from '../engine';
import type { ContainerRecord } from '../containers/types';
import { ApiError, badRequest, notFound } from '../http/api-error';
import { openContainerFs, resolveInContainer, goFileMode, mountFor, hostPath, type ContainerFs } from '../volumes/container-fs';
import { tarHeader, tarPadding, TAR_END } from '../layers/tar-writer';
import { headerFor } from '../layers/fs-tar';
import { readXattrTree } from '../layers/xattrs';
import { TarFormatError } from '../layers/tar-reader';
import { PathEscapeError } from '../layers/path-scope';
import { extractUpload } from '../volumes/upload-extract';
import { mountPointsOf } from '../volumes/container-mounts';
import { resolveUser } from '../containers/user';
import { rfc3339Nano } from '../util/time';

/** Go's filepath.Base: the last element, trailing slashes ignored ("/" for the root). */
function goBase(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' ? '/' : t.slice(t.lastIndexOf('/') + 1);
}

function queryPath(ctx: RequestContext): string {
  const p = ctx.query.get('path');
  if (!p) throw badRequest('bad parameter: path cannot be empty');
  return p.startsWith('/') ? p : `/${p}`;
}

/** Runs `fn` on the container's filesystem, frozen when running, released after. */
async function withFs<T>(engine: Engine, rec: ContainerRecord, fn: (fs: ContainerFs) => Promise<T>): Promise<T> {
  const fs = await openContainerFs(engine, rec);
  const freeze = rec.State.Running && !rec.State.Paused;
  if (freeze) await engine.runtime.pause(rec.Id).catch(() => undefined);
  try {
    return await fn(fs);
  } catch (e) {
    if (e instanceof PathEscapeError || e instanceof TarFormatError) throw badRequest(e.message);
    throw e;
  } finally {
    if (freeze) await engine.runtime.resume(rec.Id).catch(() => undefined);
    await fs.release();
  }
}

interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

/** dockerd's stat of a path: the last component is not followed unless the path ends in "/" or "/.". */
async function statPath(fs: ContainerFs, rec: ContainerRecord, path: string): Promise<{ stat: PathStat; host: string; ctr: string; st: Stats }> {
  const follow = /\/\.?$/.test(path);
  const r = await resolveInContainer(fs, path, follow);
  // The root of a running container is /proc/<pid>/root, a (magic) link to follow.
  const st = await (r.ctr === '/' ? fsp.stat(r.host) : fsp.lstat(r.host)).catch(() => undefined);
  if (!st) throw notFound(`Could not find the file ${path} in container ${rec.Name.slice(1)}`);
  const linkTarget = st.isSymbolicLink() ? (await resolveInContainer(fs, r.ctr, true)).ctr : '';
  const name = path.endsWith('/.') ? '.' : goBase(path);
  return {
    stat: { name, size: st.size, mode: goFileMode(st), mtime: rfc3339Nano(Math.floor(st.mtimeMs), (Math.floor(st.mtimeMs) % 1000) * 1e6 + Math.floor((st.mtimeMs % 1) * 1e6)), linkTarget },
    host: r.host, ctr: r.ctr, st,
  };
}

const statHeader = (s: PathStat) => ({ 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(s)).toString('base64') });

/**
 * A tar of container path `ctr` (at `host`) named `name`: folders recursively, symlinks as
 * links (never followed), and each child looked up by its container path, so the volumes
 * and binds of a stopped container show up where the container would see them.
 */
async function* tarPath(fs: ContainerFs, ctr: string, host: string, name: string, st: Stats, xattrs: Map<string, Record<string, Buffer>>): AsyncGenerator<Buffer> {
  const h = { ...headerFor(name, st, st.isSymbolicLink() ? await fsp.readlink(host) : ''), xattrs: xattrs.get(host) };
  yield tarHeader(h);
  if (h.type === 'file') {
    let n = 0;
    const size = h.size ?? 0;
    for await (const c of createReadStream(host, { flags: 'r', highWaterMark: 1 << 18 })) {
      const b = (c as Buffer).subarray(0, Math.max(0, size - n));
      n += b.length;
      if (b.length) yield b;
    }
    if (n < size) yield Buffer.alloc(size - n);
    yield tarPadding(size);
  }
  // /proc and /sys are the kernel's views, not the container's content: kept as empty folders.
  if (h.type !== 'dir' || ctr === '/proc' || ctr === '/sys') return;
  for (const n of (await fsp.readdir(host)).sort()) {
    const childCtr = ctr === '/' ? `/${n}` : `${ctr}/${n}`;
    const child = hostPath(fs, childCtr);
    const cst = await fsp.lstat(child).catch(() => undefined);
    if (!cst || cst.isSocket()) continue;
    yield* tarPath(fs, childCtr, child, `${name}/${n}`, cst, xattrs);
  }
}

async function head(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const path = queryPath(ctx);
  const { stat } = await withFs(engine, rec, (fs) => statPath(fs, rec, path));
  ctx.respond.empty(200, statHeader(stat));
}

async function get(ctx: RequestContext, engine: Engine): Promise<void> {
  if (ctx.method === 'HEAD') return head(ctx, engine);
  const rec = engine.containers.get(ctx.params.id);
  const path = queryPath(ctx);
  await withFs(engine, rec, async (fs) => {
    const { stat, host, ctr, st } = await statPath(fs, rec, path);
    const out = ctx.respond.stream(200, 'application/x-tar', statHeader(stat));
    try {
      // Extended attributes of the tree (those under other mounts of a stopped container are not read).
      const xattrs = await readXattrTree(host);
      for await (const c of tarPath(fs, ctr, host, stat.name === '/' ? '.' : stat.name, st, xattrs)) if (!out.write(c)) await new Promise((r) => out.once('drain', r));
      out.end(TAR_END);
    } catch (e) {
      engine.log.error('archive failed', { id: rec.Id.slice(0, 12), error: (e as Error).message });
      out.destroy(e as Error);
    }
  });
}

async function put(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const path = queryPath(ctx);
  const noOverwriteDirNonDir = queryBool(ctx.query, 'noOverwriteDirNonDir');
  const copyUIDGID = queryBool(ctx.query, 'copyUIDGID');
  await withFs(engine, rec, async (fs) => {
    const r = await resolveInContainer(fs, path, true);
    const st = await fsp.stat(r.host).catch(() => undefined);
    if (!st) throw notFound(`Could not find the file ${path} in container ${rec.Name.slice(1)}`);
    if (!st.isDirectory()) throw badRequest('extraction point is not a directory');
    const m = mountFor(rec, r.ctr);
    if (m && m.Type !== 'tmpfs' && !m.RW) throw badRequest(`mounted volume is marked read-only (${m.Destination} in container ${rec.Name.slice(1)})`);
    if (!m && rec.HostConfig.ReadonlyRootfs) throw badRequest(`container rootfs is marked read-only (container ${rec.Name.slice(1)})`);
    const owner = copyUIDGID ? await resolveUser(fs.root, rec.Config.User ?? '') : undefined;
    try {
      const rw = new Map(mountPointsOf(rec).map((x) => [x.Destination, x.RW]));
      const targets = fs.mounts.map((x) => ({ dst: x.dst, src: x.src, rw: rw.get(x.dst) ?? true }));
      await extractUpload(ctx.req, r.ctr, r.host, targets, { noOverwriteDirNonDir, owner, warn: (msg) => engine.log.warn(msg) });
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'EROFS') throw badRequest(`cannot copy into a read-only filesystem in container ${rec.Name.slice(1)}: ${(e as Error).message}`);
      throw e;
    }
  });
  ctx.respond.empty(200);
}

export function cpRoutes(router: Router, engine: Engine): void {
  router
    .add('GET', '/containers/{id}/archive', (ctx) => get(ctx, engine))
    .add('PUT', '/containers/{id}/archive', (ctx) => put(ctx, engine));
}
