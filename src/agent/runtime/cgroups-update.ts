/**
 * POST /containers/{id}/update (`docker update`): changes a container's resource limits and
 * restart policy. Zero fields mean "unchanged", as in dockerd. A running container's cgroup
 * is changed with `runtime update --resources`; the record is saved only when that worked.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine';
import type { Router, RequestContext } from '../http/router';
import type { HostConfig } from '../containers/types';
import { ApiError, badRequest } from '../http/api-error';
import { VALID_POLICIES } from '../containers/restart-policy';
import { run } from '../util/proc';
import { hostResources, ociResources, validateResources } from './cgroups-limits';
import { validateRunOptions } from '../containers/run-options';

const FIELDS = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'CpusetCpus', 'CpusetMems', 'PidsLimit'] as const;

/** The HostConfig after applying an update body (pure apart from host facts); 400 on conflicts. */
export function applyUpdate(current: HostConfig, body: Record<string, unknown>): HostConfig {
  const next: HostConfig = { ...current };
  for (const f of FIELDS) {
    const v = body[f];
    if (v === undefined || v === null || v === 0 || v === '') continue;
    next[f] = v as never;
  }
  if (body.NanoCpus) { next.CpuQuota = 0; next.CpuPeriod = 0; }
  if ((body.CpuQuota || body.CpuPeriod) && !body.NanoCpus) next.NanoCpus = 0;
  if (body.Memory && !body.MemorySwap && current.MemorySwap && current.MemorySwap > 0 && (body.Memory as number) > current.MemorySwap) {
    throw badRequest('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  const rp = body.RestartPolicy as HostConfig['RestartPolicy'] | undefined;
  if (rp && rp.Name !== undefined && rp.Name !== '') {
    if (!VALID_POLICIES.includes(rp.Name)) throw badRequest(`invalid restart policy: unknown policy '${rp.Name}'`);
    if (next.AutoRemove && rp.Name !== 'no') throw badRequest('Restart policy cannot be updated because AutoRemove is enabled for the container');
    next.RestartPolicy = { Name: rp.Name, MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  for (const k of Object.keys(body)) {
    if (![...FIELDS, 'RestartPolicy'].includes(k as never) && body[k] && !(Array.isArray(body[k]) && (body[k] as unknown[]).length === 0)) {
      validateRunOptions({ [k]: body[k] } as HostConfig);
    }
  }
  return validateResources(next, hostResources());
}

async function update(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const body = await ctx.json<Record<string, unknown>>();
  const next = applyUpdate(rec.HostConfig, body);
  if (rec.State.Running) {
    const r = ociResources(next);
    const resources = { ...(r.memory ? { memory: r.memory } : {}), ...(r.cpu ? { cpu: r.cpu } : {}), ...(r.pids ? { pids: r.pids } : {}) };
    const file = join(engine.paths.execSpecs, `update-${rec.Id}.json`);
    await fsp.writeFile(file, JSON.stringify(resources), { mode: 0o600 });
    try {
      const res = await run(engine.runtime.bin, [...engine.runtime.globalArgs(), 'update', '--resources', file, rec.Id]);
      if (res.code !== 0) throw new ApiError(500, `Cannot update container ${rec.Id}: ${res.stderr.trim() || `runtime update exited ${res.code}`}`);
    } finally {
      await fsp.rm(file, { force: true });
    }
  }
  rec.HostConfig = next;
  await engine.containers.save(rec);
  ctx.respond.json(200, { Warnings: [] });
}

export function updateRoutes(router: Router, engine: Engine): void {
  router.add('POST', '/containers/{id}/update', (ctx) => update(ctx, engine));
}
