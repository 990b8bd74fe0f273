import type { Router, RequestContext } from '../http/router';
import { queryBool } from '../http/router';
import type { Engine } from '../engine';
import type { Lifecycle } from '../containers/lifecycle';
import { badRequest, ApiError } from '../http/api-error';
import { selectForSave, saveImages } from '../images/image-save';
import { loadImages } from '../images/image-load';
import { commitContainer } from '../images/commit';
import type { RunConfig } from '../images/image-config';
import { mountRootfs } from '../containers/launch';
import { isMountPoint, unmount } from '../util/mount';
import { tarTree } from '../layers/fs-tar';
import { opaqueDirs, upperChanges, type Change } from '../layers/upper-diff';
import { JsonProgress } from '../images/json-progress';
import { unpackOrRefuse } from '../images/layer-refusal';
import { familiarString, parseReference } from '../images/reference';

/** Streams a tar; an error after the first bytes can only cut the stream. */
async function streamTar(ctx: RequestContext, engine: Engine, gen: AsyncGenerator<Buffer>, what: string): Promise<void> {
  const first = await gen.next();
  const out = ctx.respond.stream(200, 'application/x-tar');
  try {
    if (!first.done) out.write(first.value);
    for await (const c of gen) if (!out.write(c)) await new Promise((r) => out.once('drain', r));
    out.end();
  } catch (e) {
    engine.log.error(`${what} failed`, { error: (e as Error).message });
    out.destroy(e as Error);
  }
}

async function save(ctx: RequestContext, engine: Engine, names: string[]): Promise<void> {
  if (names.length === 0) throw badRequest('no images named');
  const selected = selectForSave(engine, names);
  // Layers are written as they are checked: a pulled one meets its diff ID as it unpacks.
  for (const { img, tags } of selected) await unpackOrRefuse(engine, img.id, tags[0] ? familiarString(parseReference(tags[0])) : img.id, engine.layers.unpackAll(img.config.rootfs.diff_ids));
  await streamTar(ctx, engine, saveImages(engine, selected), 'save');
  for (const { img } of selected) engine.events.emit('image', 'save', img.id, img.id);
}

async function load(ctx: RequestContext, engine: Engine): Promise<void> {
  const p = new JsonProgress(() => ctx.respond.stream(200, 'application/json'));
  try {
    await loadImages(engine, ctx.req, (line) => p.write({ stream: `${line}\n` }));
  } catch (e) {
    if (!p.started) throw e;
    p.error((e as Error).message);
  }
  p.end();
}

async function commit(ctx: RequestContext, engine: Engine, lc: Lifecycle): Promise<void> {
  const q = ctx.query;
  const name = q.get('container');
  if (!name) throw badRequest('container is required');
  const rec = engine.containers.get(name);
  const body = await ctx.json<RunConfig>();
  const id = await commitContainer(engine, lc, rec, {
    repo: q.get('repo') ?? undefined, tag: q.get('tag') ?? undefined, comment: q.get('comment') ?? undefined,
    author: q.get('author') ?? undefined, changes: q.getAll('changes'), config: Object.keys(body).length ? body : undefined,
    pause: queryBool(q, 'pause', true),
  });
  ctx.respond.json(201, { Id: id });
}

/** GET /containers/{id}/export: the container's whole root filesystem. */
async function exportContainer(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const merged = engine.paths.container(rec.Id).merged;
  const mounted = isMountPoint(merged);
  if (!mounted) await mountRootfs(engine, rec);
  try {
    await streamTar(ctx, engine, tarTree(merged), 'export');
  } finally {
    if (!mounted && !engine.containers.get(rec.Id).State.Running) await unmount(merged);
  }
}

/** GET /containers/{id}/changes (docker diff). */
async function changes(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const p = engine.paths.container(rec.Id);
  const lowers = [...rec.Layers].reverse().map((c) => `${engine.layers.dir(c)}/diff`);
  let list: Change[];
  try {
    list = await upperChanges(p.upper, lowers, await opaqueDirs(p.upper, p.dir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') list = [];
    else throw new ApiError(500, `reading the changes of ${rec.Id.slice(0, 12)}: ${(e as Error).message}`);
  }
  ctx.respond.json(200, list.length ? list : null);
}

export function archiveRoutes(router: Router, engine: Engine, lc: Lifecycle): void {
  router
    .add('GET', '/images/get', (ctx) => save(ctx, engine, ctx.query.getAll('names')))
    .add('GET', '/images/{name*}/get', (ctx) => save(ctx, engine, [ctx.params.name]))
    .add('POST', '/images/load', (ctx) => load(ctx, engine))
    .add('POST', '/commit', (ctx) => commit(ctx, engine, lc))
    .add('GET', '/containers/{id}/export', (ctx) => exportContainer(ctx, engine))
    .add('GET', '/containers/{id}/changes', (ctx) => changes(ctx, engine));
}
