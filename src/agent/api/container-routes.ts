import type { Router, RequestContext } from '../http/router';
import { queryBool, queryInt } from '../http/router';
import type { Engine } from '../engine';
import type { Lifecycle } from '../containers/lifecycle';
import type { ExecManager } from '../exec/exec-manager';
import { badRequest, conflict, notFound } from '../http/api-error';
import { randomId } from '../util/ids';
import { randomName, VALID_NAME } from '../containers/names';
import { buildRecord, normalizeBody, type CreateBody } from '../containers/create';
import { chainIds } from '../layers/layer-store';
import { listEntry, inspectContainer } from '../containers/view';
import { parseFilters, validateFilterKeys, containerMatches, CONTAINER_FILTERS } from '../containers/filters';
import { KeyedMutex } from '../util/lock';
import { dirSize } from '../util/fsx';
import { run } from '../util/proc';
import type { ContainerRecord } from '../containers/types';
import { parseWindowSize, writeWindowSize } from '../tty/window-size';
import { removeAnonymousVolumes, resolveMounts } from '../volumes/container-mounts';
import { networksAtCreate, type EndpointsConfig } from '../network/sandbox';
import { unpackOrRefuse } from '../images/layer-refusal';

const names = new KeyedMutex();

async function createContainer(ctx: RequestContext, engine: Engine): Promise<void> {
  const raw = await ctx.json<CreateBody>();
  if (!raw.Image) throw badRequest('Config cannot be empty in order to create a container');
  const body = normalizeBody(raw);
  const image = engine.images.lookup(raw.Image);
  if (!image) throw notFound(`No such image: ${body.Image}`);
  const img = engine.images.record(image);
  const layers = chainIds(img.config.rootfs.diff_ids);
  await unpackOrRefuse(engine, image, raw.Image, engine.layers.ensure(img.config.rootfs.diff_ids));
  const requested = ctx.query.get('name');
  if (requested && !VALID_NAME.test(requested)) {
    throw badRequest(`Invalid container name (${requested}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const rec = await names.run('names', async () => {
    const name = requested ? requested.replace(/^\//, '') : randomName((n) => !!engine.containers.byName(`/${n}`));
    const taken = engine.containers.byName(`/${name}`);
    if (taken) {
      throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    let id = randomId();
    while (engine.containers.all().some((c) => c.Id.slice(0, 12) === id.slice(0, 12))) id = randomId();
    const r = buildRecord(id, name, body, img, layers);
    // Networks first: a bad network name must not leave a volume made for this container behind.
    networksAtCreate(engine.network, r, (body.NetworkingConfig as { EndpointsConfig?: EndpointsConfig } | undefined)?.EndpointsConfig);
    r.MountPoints = await resolveMounts(engine, r);
    await engine.containers.save(r);
    return r;
  });
  engine.log.info('container created', { id: rec.Id.slice(0, 12), name: rec.Name, image: body.Image });
  engine.events.emit('create', rec.Id);
  ctx.respond.json(201, { Id: rec.Id, Warnings: [] });
}

async function withSizes(engine: Engine, rec: ContainerRecord, entry: Record<string, unknown>): Promise<Record<string, unknown>> {
  const rw = await dirSize(engine.paths.container(rec.Id).upper);
  let image = 0;
  for (const c of rec.Layers) image += (await engine.layers.meta(c))?.size ?? 0;
  return { ...entry, SizeRw: rw, SizeRootFs: rw + image };
}

async function listContainers(ctx: RequestContext, engine: Engine): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, CONTAINER_FILTERS);
  const all = queryBool(ctx.query, 'all');
  const limit = queryInt(ctx.query, 'limit') ?? -1;
  const imageMatches = (id: string) => (ref: string) => engine.images.lookup(ref) === id;
  let list = engine.containers.all()
    .filter((c) => all || limit > 0 || c.State.Running || f.has('status') || f.has('exited'))
    .filter((c) => containerMatches(c, f, imageMatches(c.Image)))
    .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
  if (limit > 0) list = list.slice(0, limit);
  const size = queryBool(ctx.query, 'size');
  const out = [];
  for (const c of list) out.push(size ? await withSizes(engine, c, listEntry(c)) : listEntry(c));
  ctx.respond.json(200, out);
}

async function resize(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const size = parseWindowSize(queryInt(ctx.query, 'h'), queryInt(ctx.query, 'w'));
  if (typeof size === 'string') throw badRequest(size);
  if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
  if (rec.Config.Tty) await writeWindowSize(engine.paths.bundle(rec.Id), size.height, size.width);
  ctx.respond.empty(200);
}

/** GET /containers/{id}/top: the host's `ps` (ps_args, default -ef) narrowed to the container's processes, as dockerd does. */
async function top(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
  const pids = new Set(await engine.runtime.pids(rec.Id));
  const args = (ctx.query.get('ps_args') || '-ef').split(/\s+/).filter(Boolean);
  const r = await run('ps', args);
  if (r.code !== 0) throw badRequest(`Error running ps: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n').filter(Boolean);
  const titles = lines[0].trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol === -1) throw badRequest(`Couldn't find PID field in ps output`);
  const processes = lines.slice(1).map((l) => {
    const f = l.trim().split(/\s+/);
    return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
  }).filter((f) => pids.has(Number(f[pidCol])));
  ctx.respond.json(200, { Titles: titles, Processes: processes });
}

async function rename(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const name = ctx.query.get('name') ?? '';
  if (!VALID_NAME.test(name)) throw badRequest(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  await names.run('names', async () => {
    const taken = engine.containers.byName(`/${name.replace(/^\//, '')}`);
    if (taken && taken.Id !== rec.Id) throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    rec.Name = `/${name.replace(/^\//, '')}`;
    await engine.containers.save(rec);
  });
  ctx.respond.empty(204);
}

export function containerRoutes(router: Router, engine: Engine, lc: Lifecycle, execs: ExecManager): void {
  const t = (ctx: RequestContext) => queryInt(ctx.query, 't') ?? queryInt(ctx.query, 'timeout');
  router
    .add('POST', '/containers/create', (ctx) => createContainer(ctx, engine))
    .add('GET', '/containers/json', (ctx) => listContainers(ctx, engine))
    .add('GET', '/containers/{id}/json', (ctx) => {
      const rec = engine.containers.get(ctx.params.id);
      ctx.respond.json(200, inspectContainer(engine, rec, execs.idsFor(rec.Id)));
    })
    .add('POST', '/containers/{id}/start', async (ctx) => { await lc.start(ctx.params.id); ctx.respond.empty(204); })
    .add('POST', '/containers/{id}/stop', async (ctx) => {
      await lc.stop(ctx.params.id, t(ctx), ctx.query.get('signal') ?? undefined);
      ctx.respond.empty(204);
    })
    .add('POST', '/containers/{id}/restart', async (ctx) => {
      await lc.restart(ctx.params.id, t(ctx), ctx.query.get('signal') ?? undefined);
      ctx.respond.empty(204);
    })
    .add('POST', '/containers/{id}/kill', async (ctx) => { await lc.kill(ctx.params.id, ctx.query.get('signal') ?? undefined); ctx.respond.empty(204); })
    .add('DELETE', '/containers/{id}', async (ctx) => {
      const rec = engine.containers.get(ctx.params.id);
      await lc.remove(rec.Id, queryBool(ctx.query, 'force'));
      if (queryBool(ctx.query, 'v')) await removeAnonymousVolumes(engine, rec);
      execs.forget(rec.Id);
      ctx.respond.empty(204);
    })
    .add('POST', '/containers/{id}/pause', async (ctx) => { await lc.pause(ctx.params.id); ctx.respond.empty(204); })
    .add('POST', '/containers/{id}/unpause', async (ctx) => { await lc.unpause(ctx.params.id); ctx.respond.empty(204); })
    .add('GET', '/containers/{id}/top', (ctx) => top(ctx, engine))
    .add('POST', '/containers/{id}/resize', (ctx) => resize(ctx, engine))
    .add('POST', '/containers/{id}/rename', (ctx) => rename(ctx, engine));
}
