import type { Router, RequestContext } from '../http/router';
import { queryBool } from '../http/router';
import type { Engine } from '../engine';
import type { ContainerRecord } from '../containers/types';
import { badRequest, conflict, ApiError } from '../http/api-error';
import { parseFilters, validateFilterKeys, labelsMatch, type Filters } from '../containers/filters';
import { dirSize } from '../util/fsx';
import type { VolumeRecord } from '../volumes/volume-store';
import { removeAnonymousVolumes, volumeUsers } from '../volumes/container-mounts';

/** The API's Volume object. */
export function volumeView(engine: Engine, v: VolumeRecord): Record<string, unknown> {
  return {
    CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: Object.keys(v.Labels).length ? v.Labels : null,
    Mountpoint: engine.volumes.dataDir(v.Name), Name: v.Name, Options: Object.keys(v.Options).length ? v.Options : null, Scope: 'local',
  };
}

function boolFilter(f: Filters, key: string): boolean | undefined {
  const v = f.get(key)?.[0];
  if (v === undefined) return undefined;
  if (['true', '1'].includes(v)) return true;
  if (['false', '0'].includes(v)) return false;
  throw badRequest(`invalid filter '${key}=${v}'`);
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw badRequest(`invalid ${field}: expected an object of strings`);
  return v as Record<string, string>;
}

async function create(ctx: RequestContext, engine: Engine): Promise<void> {
  const body = await ctx.json<{ Name?: unknown; Driver?: unknown; DriverOpts?: unknown; Labels?: unknown }>();
  if (body.Name !== undefined && typeof body.Name !== 'string') throw badRequest('invalid Name: expected a string');
  if (body.Driver !== undefined && typeof body.Driver !== 'string') throw badRequest('invalid Driver: expected a string');
  const v = await engine.volumes.create(body.Name ?? '', { driver: body.Driver, options: stringMap(body.DriverOpts, 'DriverOpts'), labels: stringMap(body.Labels, 'Labels') });
  ctx.respond.json(201, volumeView(engine, v));
}

function list(ctx: RequestContext, engine: Engine): void {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, ['name', 'label', 'label!', 'dangling', 'driver']);
  const dangling = boolFilter(f, 'dangling');
  const out = engine.volumes.all().filter((v) => {
    if (f.get('name')?.length && !f.get('name')!.some((n) => v.Name.includes(n))) return false;
    if (f.get('driver')?.length && !f.get('driver')!.includes(v.Driver)) return false;
    if (f.get('label')?.length && !labelsMatch(v.Labels, f.get('label')!)) return false;
    if (f.get('label!')?.length && labelsMatch(v.Labels, f.get('label!')!)) return false;
    if (dangling !== undefined && (volumeUsers(engine, v.Name).length === 0) !== dangling) return false;
    return true;
  }).sort((a, b) => a.Name.localeCompare(b.Name));
  ctx.respond.json(200, { Volumes: out.map((v) => volumeView(engine, v)), Warnings: null });
}

async function remove(ctx: RequestContext, engine: Engine): Promise<void> {
  const name = ctx.params.name;
  const force = queryBool(ctx.query, 'force');
  if (!engine.volumes.find(name)) {
    if (force) { ctx.respond.empty(204); return; }
    engine.volumes.get(name);
  }
  const users = volumeUsers(engine, name);
  if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
  await engine.volumes.remove(name);
  ctx.respond.empty(204);
}

/** POST /volumes/prune: unused anonymous volumes (API >= 1.42; `all=true` adds named ones). */
async function prune(ctx: RequestContext, engine: Engine): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, ['label', 'label!', 'all']);
  const [maj, min] = ctx.apiVersion.split('.').map(Number);
  const all = boolFilter(f, 'all') ?? (maj === 1 && min < 42);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const v of engine.volumes.all()) {
    if (!all && !engine.volumes.isAnonymous(v)) continue;
    if (f.get('label')?.length && !labelsMatch(v.Labels, f.get('label')!)) continue;
    if (f.get('label!')?.length && labelsMatch(v.Labels, f.get('label!')!)) continue;
    if (volumeUsers(engine, v.Name).length) continue;
    const size = await dirSize(engine.volumes.dataDir(v.Name)).catch(() => 0);
    try {
      await engine.volumes.remove(v.Name);
    } catch (e) {
      engine.log.warn('could not prune volume', { volume: v.Name, error: (e as Error).message });
      continue;
    }
    deleted.push(v.Name);
    reclaimed += size;
  }
  ctx.respond.json(200, { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

/** The Volumes section of GET /system/df. */
export async function volumeDiskUsage(engine: Engine): Promise<Array<Record<string, unknown>>> {
  const out = [];
  for (const v of engine.volumes.all()) {
    const size = await dirSize(engine.volumes.dataDir(v.Name)).catch(() => -1);
    out.push({ ...volumeView(engine, v), UsageData: { Size: size, RefCount: volumeUsers(engine, v.Name).length } });
  }
  return out;
}

export function volumeRoutes(router: Router, engine: Engine): void {
  engine.volumes.onEvent = (action, name, attrs) => engine.events.emit('volume', action, name, attrs ?? {});
  // dockerd removes the anonymous volumes of --rm containers with them.
  engine.events.on('destroy', (_id: string, _code: unknown, rec?: ContainerRecord) => {
    if (rec?.HostConfig.AutoRemove) void removeAnonymousVolumes(engine, rec).catch(() => undefined);
  });
  router
    .add('POST', '/volumes/create', (ctx) => create(ctx, engine))
    .add('GET', '/volumes', (ctx) => list(ctx, engine))
    .add('POST', '/volumes/prune', (ctx) => prune(ctx, engine))
    .add('GET', '/volumes/{name}', (ctx) => ctx.respond.json(200, volumeView(engine, engine.volumes.get(ctx.params.name))))
    .add('DELETE', '/volumes/{name}', (ctx) => remove(ctx, engine))
    .add('PUT', '/volumes/{name}', () => { throw new ApiError(503, 'volume update needs a swarm cluster volume; tsagent has none'); });
}
