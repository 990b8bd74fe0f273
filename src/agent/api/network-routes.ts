import type { Router, RequestContext } from '../http/router';
import type { Engine } from '../engine';
import { badRequest } from '../http/api-error';
import { parseFilters, validateFilterKeys, labelsMatch, type Filters } from '../containers/filters';
import type { NetworkManager, CreateNetworkRequest } from '../network/network-manager';
import type { NetworkRecord, EndpointSettings } from '../network/types';
import { connect, disconnect } from '../network/sandbox';
import { parseTimestampNs } from '../util/time';

/** GET /networks/{id} shape; `withContainers` lists the attached running endpoints. */
function networkView(mgr: NetworkManager, n: NetworkRecord, withContainers: boolean): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  if (withContainers) {
    for (const c of mgr.containersOn(n)) {
      const ep = Object.values(c.Net?.networks ?? {}).find((e) => e.NetworkID === n.Id);
      if (!ep?.EndpointID) continue;
      containers[c.Id] = { Name: c.Name.slice(1), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: `${ep.IPAddress}/${ep.IPPrefixLen}`, IPv6Address: '' };
    }
  }
  return {
    Name: n.Name, Id: n.Id, Created: n.Created, Scope: 'local', Driver: n.Driver, EnableIPv4: true, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: n.Subnet ? [{ Subnet: n.Subnet, Gateway: n.Gateway }] : [] },
    Internal: n.Internal, Attachable: n.Attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: n.Options, Labels: n.Labels,
  };
}

const NETWORK_FILTERS = ['name', 'id', 'label', 'driver', 'type', 'dangling', 'scope'];

function bool(v: string, key: string): boolean {
  if (['true', '1'].includes(v)) return true;
  if (['false', '0'].includes(v)) return false;
  throw badRequest(`invalid filter '${key}=${v}': use true or false`);
}

function networkMatches(mgr: NetworkManager, n: NetworkRecord, f: Filters): boolean {
  for (const [key, vals] of f) {
    if (vals.length === 0) continue;
    let ok = true;
    switch (key) {
      case 'name': ok = vals.some((v) => n.Name.includes(v)); break;
      case 'id': ok = vals.some((v) => n.Id.includes(v)); break;
      case 'label': ok = labelsMatch(n.Labels, vals); break;
      case 'driver': ok = vals.includes(n.Driver); break;
      case 'scope': ok = vals.includes('local'); break;
      case 'type':
        for (const v of vals) if (!['custom', 'builtin'].includes(v)) throw badRequest(`invalid filter: 'type'='${v}': use custom or builtin`);
        ok = vals.includes(n.Predefined ? 'builtin' : 'custom');
        break;
      case 'dangling': {
        const used = mgr.containersOn(n).length > 0;
        ok = vals.some((v) => (bool(v, key) ? !n.Predefined && !used : used));
        break;
      }
      default: ok = true;
    }
    if (!ok) return false;
  }
  return true;
}

async function list(ctx: RequestContext, mgr: NetworkManager): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, NETWORK_FILTERS);
  ctx.respond.json(200, mgr.store.all().filter((n) => networkMatches(mgr, n, f)).map((n) => networkView(mgr, n, false)));
}

async function create(ctx: RequestContext, engine: Engine): Promise<void> {
  const body = await ctx.json<CreateNetworkRequest>();
  if (!body || typeof body !== 'object') throw badRequest('invalid network config: expected a JSON object');
  const n = await engine.network.create(body);
  ctx.respond.json(201, { Id: n.Id, Warning: '' });
}

async function connectRoute(ctx: RequestContext, engine: Engine): Promise<void> {
  const body = await ctx.json<{ Container?: string; EndpointConfig?: Partial<EndpointSettings> | null }>();
  if (!body?.Container) throw badRequest('no container given: send {"Container": "<name or ID>"}');
  const n = engine.network.get(ctx.params.id);
  const rec = engine.containers.get(body.Container);
  await connect(engine.network, rec, n, body.EndpointConfig ?? {});
  await engine.containers.save(rec);
  engine.events.emit('network', 'connect', n, rec.Id);
  ctx.respond.empty(200);
}

async function disconnectRoute(ctx: RequestContext, engine: Engine): Promise<void> {
  const body = await ctx.json<{ Container?: string; Force?: boolean }>();
  if (!body?.Container) throw badRequest('no container given: send {"Container": "<name or ID>"}');
  const n = engine.network.get(ctx.params.id);
  const rec = engine.containers.get(body.Container);
  await disconnect(engine.network, rec, n, !!body.Force);
  await engine.containers.save(rec);
  engine.events.emit('network', 'disconnect', n, rec.Id);
  ctx.respond.empty(200);
}

/** POST /networks/prune: user-defined networks no container uses (filters: until, label). */
async function prune(ctx: RequestContext, engine: Engine): Promise<void> {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilterKeys(f, ['until', 'label', 'label!']);
  const until = f.get('until')?.[0];
  const untilNs = until ? parseTimestampNs(until) : undefined;
  if (until && untilNs === undefined) throw badRequest(`invalid filter 'until=${until}': use a timestamp or a duration such as 24h`);
  const untilMs = untilNs !== undefined ? Number(untilNs / 1000000n) : undefined;
  const deleted: string[] = [];
  for (const n of engine.network.store.all()) {
    if (n.Predefined || engine.network.containersOn(n).length) continue;
    if (untilMs !== undefined && Date.parse(n.Created) >= untilMs) continue;
    if (f.has('label') && !labelsMatch(n.Labels, f.get('label')!)) continue;
    if (f.has('label!') && f.get('label!')!.some((l) => labelsMatch(n.Labels, [l]))) continue;
    try {
      await engine.network.remove(n.Id);
      deleted.push(n.Name);
    } catch (e) {
      engine.log.warn('could not prune network', { network: n.Name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  ctx.respond.json(200, { NetworksDeleted: deleted });
}

export function networkRoutes(router: Router, engine: Engine): void {
  const mgr = engine.network;
  router
    .add('GET', '/networks', (ctx) => list(ctx, mgr))
    .add('GET', '/networks/{id}', (ctx) => { ctx.respond.json(200, networkView(mgr, mgr.get(ctx.params.id), true)); })
    .add('POST', '/networks/create', (ctx) => create(ctx, engine))
    .add('DELETE', '/networks/{id}', async (ctx) => { await mgr.remove(ctx.params.id); ctx.respond.empty(204); })
    .add('POST', '/networks/{id}/connect', (ctx) => connectRoute(ctx, engine))
    .add('POST', '/networks/{id}/disconnect', (ctx) => disconnectRoute(ctx, engine))
    .add('POST', '/networks/prune', (ctx) => prune(ctx, engine));
}
