/**
 * GET /containers/{id}/stats: a JSON object per second (stream=true, the default), or one
 * object (stream=false: after a priming sample so precpu_stats is filled, as dockerd does;
 * one-shot=true: at once, precpu_stats empty).
 */
import type { Engine } from '../engine';
import type { Router, RequestContext } from '../http/router';
import { queryBool } from '../http/router';
import type { ContainerRecord } from '../containers/types';
import { cgroupVersion } from '../runtime/cgroups';
import { nowRfc3339 } from '../util/time';
import { emptySample, sample, type Sample } from './cgroup-stats';

const INTERVAL_MS = 1000;

async function take(engine: Engine, rec: ContainerRecord): Promise<Sample> {
  if (!rec.State.Running) return emptySample();
  const s = await sample(cgroupVersion(), `${engine.config.cgroupParent}/${rec.Id}`, rec.State.Pid, nowRfc3339());
  if (['host', 'none'].includes(rec.HostConfig.NetworkMode ?? '')) delete s.networks;
  return s;
}

function frame(rec: ContainerRecord, cur: Sample, prev: Sample | undefined): Record<string, unknown> {
  const pre = prev ?? emptySample();
  return { ...cur, preread: pre.read, precpu_stats: pre.cpu_stats, name: rec.Name, id: rec.Id };
}

async function stats(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const stream = queryBool(ctx.query, 'stream', true);
  const oneShot = queryBool(ctx.query, 'one-shot');
  if (!stream) {
    let prev: Sample | undefined;
    if (!oneShot && rec.State.Running) {
      prev = await take(engine, rec);
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    ctx.respond.json(200, frame(rec, await take(engine, rec), prev));
    return;
  }
  const out = ctx.respond.stream(200, 'application/json');
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  ctx.onClose(() => { closed = true; if (timer) clearTimeout(timer); });
  let prev: Sample | undefined;
  const tick = async () => {
    if (closed) return;
    const live = engine.containers.find(rec.Id);
    if (!live) { out.end(); return; }
    const cur = await take(engine, live);
    if (closed) return;
    out.write(`${JSON.stringify(frame(live, cur, prev))}\n`);
    prev = cur;
    timer = setTimeout(() => void tick(), INTERVAL_MS);
  };
  await tick();
}

export function statsRoutes(router: Router, engine: Engine): void {
  router.add('GET', '/containers/{id}/stats', (ctx) => stats(ctx, engine));
}
