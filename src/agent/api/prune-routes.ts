import type { Router, RequestContext } from '../http/router';
import type { Engine } from '../engine';
import type { Lifecycle } from '../containers/lifecycle';
import { parseFilters, validateFilterKeys, labelsMatch } from '../containers/filters';
import { deleteImage, type DeleteRecord } from '../images/image-delete';
import { imageSize, repoTags } from './image-routes';
import { listEntry } from '../containers/view';
import { dirSize } from '../util/fsx';
import { parseTimestampNs } from '../util/time';
import type { ContainerRecord } from '../containers/types';
import { volumeDiskUsage } from './volume-routes';

function untilFilter(values: string[] | undefined): (createdIso: string) => boolean {
  if (!values?.length) return () => true;
  const ns = parseTimestampNs(values[0]) ?? (/^\d+[smh]$/.test(values[0]) ? BigInt(Date.now() - durationMs(values[0])) * 1000000n : undefined);
  return (iso) => ns === undefined || BigInt(Date.parse(iso)) * 1000000n < ns;
}

function durationMs(d: string): number {
  const n = Number(d.slice(0, -1));
  return n * ({ s: 1000, m: 60000, h: 3600000 } as Record<string, number>)[d.slice(-1)];
}

/** POST /containers/prune: removes stopped containers (filters: until, label). */
async function pruneContainers(ctx: RequestContext, engine: Engine, lc: Lifecycle): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, ['until', 'label', 'label!']);
  const before = untilFilter(f.get('until'));
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const c of engine.containers.all()) {
    if (c.State.Running || c.State.Status === 'removing' || !before(c.Created)) continue;
    if (f.get('label')?.length && !labelsMatch(c.Config.Labels ?? {}, f.get('label')!)) continue;
    if (f.get('label!')?.length && labelsMatch(c.Config.Labels ?? {}, f.get('label!')!)) continue;
    reclaimed += await dirSize(engine.paths.container(c.Id).upper);
    await lc.remove(c.Id, false);
    deleted.push(c.Id);
  }
  ctx.respond.json(200, { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

/** POST /images/prune: dangling images (or with dangling=false every unused image). */
async function pruneImages(ctx: RequestContext, engine: Engine): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, ['dangling', 'until', 'label', 'label!']);
  const danglingOnly = (f.get('dangling')?.[0] ?? 'true') !== 'false';
  const before = untilFilter(f.get('until'));
  const out: DeleteRecord[] = [];
  let reclaimed = 0;
  for (const img of engine.images.list()) {
    if (danglingOnly && img.tags.length > 0) continue;
    if (engine.containers.all().some((c) => c.Image === img.id) || !before(img.config.created)) continue;
    if (f.get('label')?.length && !labelsMatch(img.config.config?.Labels ?? {}, f.get('label')!)) continue;
    reclaimed += await imageSize(engine, img);
    out.push(...(await deleteImage(engine, img.id, true)));
  }
  ctx.respond.json(200, { ImagesDeleted: out.length ? out : null, SpaceReclaimed: reclaimed });
}

async function containerUsage(engine: Engine, c: ContainerRecord): Promise<Record<string, unknown>> {
  const rw = await dirSize(engine.paths.container(c.Id).upper);
  return { ...listEntry(c), SizeRw: rw, SizeRootFs: rw };
}

/** GET /system/df */
async function diskUsage(ctx: RequestContext, engine: Engine): Promise<void> {
  let layersSize = 0;
  await engine.layers.idle();
  for (const l of await engine.layers.list()) layersSize += (await engine.layers.meta(l))?.size ?? 0;
  const images = [];
  for (const img of engine.images.list()) {
    const size = await imageSize(engine, img);
    images.push({
      Id: img.id, ParentId: '', RepoTags: repoTags(img), RepoDigests: [], Created: Math.floor(Date.parse(img.config.created) / 1000),
      Size: size, SharedSize: 0, VirtualSize: size, Labels: img.config.config?.Labels ?? {},
      Containers: engine.containers.all().filter((c) => c.Image === img.id).length,
    });
  }
  const containers = [];
  for (const c of engine.containers.all()) containers.push(await containerUsage(engine, c));
  ctx.respond.json(200, { LayersSize: layersSize, Images: images, Containers: containers, Volumes: await volumeDiskUsage(engine), BuildCache: [] });
}

/**
 * POST /build/prune, which `docker system prune` and `docker builder prune` call: tsagent has
 * no builder, so there is no build cache and nothing to remove (GET /system/df reports it
 * empty too). Filters are checked as dockerd checks them.
 */
function pruneBuildCache(ctx: RequestContext): void {
  validateFilterKeys(parseFilters(ctx.query.get('filters')), ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private']);
  ctx.respond.json(200, { CachesDeleted: null, SpaceReclaimed: 0 });
}

export function pruneRoutes(router: Router, engine: Engine, lc: Lifecycle): void {
  router
    .add('POST', '/build/prune', (ctx) => pruneBuildCache(ctx))
    .add('POST', '/containers/prune', (ctx) => pruneContainers(ctx, engine, lc))
    .add('POST', '/images/prune', (ctx) => pruneImages(ctx, engine))
    .add('GET', '/system/df', (ctx) => diskUsage(ctx, engine));
}
