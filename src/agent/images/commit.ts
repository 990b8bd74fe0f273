import type { Engine } from '../engine';
import type { Lifecycle } from '../containers/lifecycle';
import type { ContainerRecord } from '../containers/types';
import { badRequest } from '../http/api-error';
import { opaqueDirs, upperTar } from '../layers/upper-diff';
import { applyChanges, ChangeError } from './changes';
import type { ImageConfig, RunConfig } from './image-config';
import { importReference } from './importer';
import { familiarString, fullString } from './reference';
import { nowRfc3339 } from '../util/time';
import { mkdirp } from '../util/fsx';

export interface CommitRequest {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  changes: string[];
  /** Run config fields from the request body that override the container's. */
  config?: RunConfig;
  pause: boolean;
}

/** Reads the container's changes as a layer tar into the content store; returns its diff ID. */
async function diffLayer(engine: Engine, rec: ContainerRecord): Promise<string> {
  const p = engine.paths.container(rec.Id);
  await mkdirp(p.upper, 0o755); // a container never started has no upper folder yet: no changes
  const opaque = await opaqueDirs(p.upper, p.dir);
  const { digest } = await engine.content.ingest(upperTar(p.upper, opaque));
  return digest;
}

function runConfig(rec: ContainerRecord, req: CommitRequest): RunConfig {
  const base: RunConfig = { ...rec.Config, ...(req.config ?? {}) };
  try {
    return applyChanges(base, req.changes);
  } catch (e) {
    if (e instanceof ChangeError) throw badRequest(e.message);
    throw e;
  }
}

/**
 * `docker commit`: the container's upper folder (whiteouts and opaque folders converted)
 * becomes a new layer on top of its image; the run config is the container's, overridden by
 * the request and `changes`. A running container is paused meanwhile unless `pause` is false.
 */
export async function commitContainer(engine: Engine, lc: Lifecycle, rec: ContainerRecord, req: CommitRequest): Promise<string> {
  const ref = importReference(req.repo, req.tag);
  const config = runConfig(rec, req);
  const pause = req.pause && rec.State.Running && !rec.State.Paused;
  if (pause) await lc.pause(rec.Id);
  let diffId: string;
  try {
    diffId = await diffLayer(engine, rec);
  } finally {
    if (pause) await lc.unpause(rec.Id);
  }
  const parent = engine.images.list().find((i) => i.id === rec.Image)?.config;
  const below = await Promise.all(rec.Layers.map((c) => engine.layers.meta(c)));
  const diffIds = [...below.map((m, i) => m?.diffId ?? parent?.rootfs.diff_ids[i] ?? ''), diffId];
  await engine.layers.ensure(diffIds);
  const created = nowRfc3339();
  const image: ImageConfig & { container?: string } = {
    architecture: parent?.architecture ?? 'amd64',
    os: parent?.os ?? 'linux',
    created,
    ...(req.author ? { author: req.author } : {}),
    ...(req.comment ? { comment: req.comment } : {}),
    config,
    container: rec.Id,
    container_config: rec.Config,
    docker_version: '',
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...(parent?.history ?? []), { created, created_by: [rec.Path, ...rec.Args].join(' '), ...(req.comment ? { comment: req.comment } : {}) }],
  };
  const id = await engine.images.add(Buffer.from(JSON.stringify(image)));
  if (ref) {
    await engine.images.tag(id, fullString(ref));
    engine.events.emit('image', 'tag', id, familiarString(ref));
  }
  engine.events.emit('commit', rec.Id, id, ref ? familiarString(ref) : '');
  engine.log.info('container committed', { container: rec.Id.slice(0, 12), image: id.slice(0, 19), ref: ref ? fullString(ref) : undefined });
  return id;
}
