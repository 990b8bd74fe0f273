import type { Router, RequestContext } from '../http/router';
import { queryBool } from '../http/router';
import type { Engine } from '../engine';
import { badRequest, ApiError, notFound } from '../http/api-error';
import { parseTimestampNs } from '../util/time';
import { importImage, importReference } from '../images/importer';
import { pullRoute } from './registry-routes';
import { deleteImage } from '../images/image-delete';
import type { ImageRecord } from '../images/image-store';
import { familiarString, parseReference, fullString, withDefaultTag } from '../images/reference';
import { chainIds } from '../layers/layer-store';
import { parseFilters, validateFilterKeys, labelsMatch } from '../containers/filters';

export async function imageSize(engine: Engine, img: ImageRecord): Promise<number> {
  let size = 0;
  for (const c of chainIds(img.config.rootfs.diff_ids)) size += (await engine.layers.settled(c))?.size ?? 0;
  return size;
}

export function repoTags(img: ImageRecord): string[] {
  return img.tags.map((t) => familiarString(parseReference(t)));
}

export function repoDigests(img: ImageRecord): string[] {
  return img.digests.map((t) => familiarString(parseReference(t)));
}

/** The minor number of the request's API version (1.x). */
const apiMinor = (ctx: RequestContext) => Number(ctx.apiVersion.split('.')[1] ?? 0);

/**
 * Image inspect; VirtualSize is dropped from API 1.44 as in dockerd. ContainerConfig is kept at every
 * version, unlike dockerd (gone from 1.45): docker-compose 1.29 negotiates the server's newest API
 * and reads it when it recreates a service, failing with KeyError 'ContainerConfig' without it.
 */
async function inspectImage(engine: Engine, img: ImageRecord, minor: number): Promise<Record<string, unknown>> {
  const size = await imageSize(engine, img);
  const chain = chainIds(img.config.rootfs.diff_ids);
  const dirs = chain.map((c) => `${engine.layers.dir(c)}/diff`).reverse();
  return {
    Id: img.id,
    RepoTags: repoTags(img),
    RepoDigests: repoDigests(img),
    Parent: '',
    Comment: img.config.comment ?? '',
    Created: img.config.created,
    ContainerConfig: { Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false,
      OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null,
      Labels: null, ...(img.config.container_config ?? {}) },
    DockerVersion: img.config.docker_version ?? '',
    Author: img.config.author ?? '',
    Config: img.config.config,
    Architecture: img.config.architecture,
    Os: img.config.os,
    Size: size,
    VirtualSize: minor >= 44 ? undefined : size,
    GraphDriver: { Name: 'overlay2', Data: { LowerDir: dirs.slice(1).join(':') || undefined, UpperDir: dirs[0], WorkDir: '', MergedDir: '' } },
    RootFS: { Type: 'layers', Layers: img.config.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

/** `before` / `since` filters: images created before (after) the named one. */
function createdBound(engine: Engine, values: string[] | undefined): number | undefined {
  if (!values?.length) return undefined;
  const img = engine.images.lookup(values[0]);
  if (!img) throw notFound(`No such image: ${values[0]}`);
  return Date.parse(engine.images.record(img).config.created);
}

async function listImages(ctx: RequestContext, engine: Engine): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, ['reference', 'dangling', 'label', 'before', 'since', 'until']);
  const before = createdBound(engine, f.get('before'));
  const since = createdBound(engine, f.get('since'));
  const until = f.get('until')?.length ? parseTimestampNs(f.get('until')![0]) : undefined;
  const out = [];
  for (const img of engine.images.list()) {
    const created = Date.parse(img.config.created);
    if (before !== undefined && !(created < before)) continue;
    if (since !== undefined && !(created > since)) continue;
    if (until !== undefined && !(BigInt(created) * 1000000n < until)) continue;
    const tags = repoTags(img);
    const dangling = f.get('dangling');
    if (dangling?.length && (dangling[0] === 'true') !== (tags.length === 0)) continue;
    const refs = f.get('reference');
    if (refs?.length && !refs.some((r) => tags.some((t) => matchReference(t, r)))) continue;
    const labels = f.get('label');
    if (labels?.length && !labelsMatch(img.config.config?.Labels ?? {}, labels)) continue;
    const size = await imageSize(engine, img);
    out.push({
      Id: img.id, ParentId: '', RepoTags: tags, RepoDigests: repoDigests(img), Created: Math.floor(Date.parse(img.config.created) / 1000),
      Size: size, SharedSize: -1, VirtualSize: apiMinor(ctx) >= 44 ? undefined : size, Labels: img.config.config?.Labels ?? {},
      Containers: engine.containers.all().filter((c) => c.Image === img.id).length,
    });
  }
  out.sort((a, b) => b.Created - a.Created);
  ctx.respond.json(200, out);
}

/** `reference` filter: glob on the familiar name, with or without tag. */
function matchReference(tag: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
  return re.test(tag) || re.test(tag.replace(/:[^:/]+$/, ''));
}

async function createImage(ctx: RequestContext, engine: Engine): Promise<void> {
  const q = ctx.query;
  const fromSrc = q.get('fromSrc');
  const fromImage = q.get('fromImage');
  if (fromSrc === '-') {
    const id = await importImage(
      { source: ctx.req, repo: q.get('repo') ?? undefined, tag: q.get('tag') ?? undefined, changes: q.getAll('changes'), message: q.get('message') ?? undefined },
      engine,
    );
    engine.log.info('image imported', { id, repo: q.get('repo') ?? undefined });
    const ref = importReference(q.get('repo') ?? undefined, q.get('tag') ?? undefined);
    if (ref) engine.events.emit('image', 'tag', id, familiarString(ref));
    engine.events.emit('image', 'import', id, id);
    const out = ctx.respond.stream(200, 'application/json');
    out.end(`${JSON.stringify({ status: id })}\r\n`);
    return;
  }
  if (fromSrc) throw new ApiError(501, 'importing from a URL is not supported by tsagent yet: download the archive and use "docker import -"');
  if (fromImage) return pullRoute(ctx, engine, fromImage);
  throw badRequest('one of fromSrc or fromImage is required');
}

async function tagImage(ctx: RequestContext, engine: Engine): Promise<void> {
  const img = engine.images.resolve(ctx.params.name);
  const repo = ctx.query.get('repo');
  if (!repo) throw badRequest('repository name (repo) is required');
  let ref;
  try {
    ref = parseReference(repo);
    if (ctx.query.get('tag')) ref = { ...ref, tag: ctx.query.get('tag')! };
    parseReference(familiarString(ref));
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  if (ref.digest) throw badRequest('refusing to create a tag with a digest reference');
  await engine.images.tag(img.id, fullString(withDefaultTag(ref)));
  engine.events.emit('image', 'tag', img.id, familiarString(withDefaultTag(ref)));
  ctx.respond.empty(201);
}

function history(ctx: RequestContext, engine: Engine): void {
  const img = engine.images.resolve(ctx.params.name);
  const tags = repoTags(img);
  const rows = [...img.config.history].reverse().map((h, i) => ({
    Id: i === 0 ? img.id : '<missing>', Created: Math.floor(Date.parse(h.created ?? img.config.created) / 1000),
    CreatedBy: h.created_by ?? '', Tags: i === 0 ? tags : null, Size: 0, Comment: h.comment ?? '',
  }));
  ctx.respond.json(200, rows);
}

/**
 * POST /build: tsagent has no builder yet. The build context is read to its end first, so the
 * CLI, still sending it, gets the answer rather than a broken pipe.
 */
async function build(ctx: RequestContext): Promise<void> {
  for await (const chunk of ctx.req) void chunk;
  throw new ApiError(501, 'docker build is not supported by tsagent yet: build the image with another engine and push it to a registry (then docker pull), or docker save it and docker load the archive here');
}

export function imageRoutes(router: Router, engine: Engine): void {
  router
    .add('POST', '/build', (ctx) => build(ctx))
    .add('GET', '/images/json', (ctx) => listImages(ctx, engine))
    .add('POST', '/images/create', (ctx) => createImage(ctx, engine))
    .add('GET', '/images/{name*}/json', async (ctx) => ctx.respond.json(200, await inspectImage(engine, engine.images.resolve(ctx.params.name), apiMinor(ctx))))
    .add('GET', '/images/{name*}/history', (ctx) => history(ctx, engine))
    .add('POST', '/images/{name*}/tag', (ctx) => tagImage(ctx, engine))
    .add('DELETE', '/images/{name*}', async (ctx) => {
      ctx.respond.json(200, await deleteImage(engine, ctx.params.name, queryBool(ctx.query, 'force')));
    });
}
