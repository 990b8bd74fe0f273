/**
 * The agent's event log for GET /events: every container, image, network and volume event as dockerd
 * shapes it, kept in a ring of the last 256 (dockerd keeps the same number in memory) so `since`
 * and `until` can replay the past, plus live subscribers. Filters follow dockerd's events filter:
 * type, event, container, image, network, volume, label, scope (others match by actor ID/name).
 */
import type { Engine } from '../engine';
import type { ContainerRecord } from '../containers/types';
import { badRequest } from '../http/api-error';
import { labelsMatch, validateFilterKeys, type Filters } from '../containers/filters';

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

const LIMIT = 256;
export const EVENT_FILTERS = ['container', 'image', 'event', 'type', 'label', 'daemon', 'volume', 'network', 'plugin', 'node', 'service', 'secret', 'config', 'scope'];
const EVENT_TYPES = ['builder', 'config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

export class EventLog {
  private readonly ring: Array<{ ns: bigint; msg: EventMessage }> = [];
  private readonly subs = new Set<(m: EventMessage) => void>();

  constructor(engine: Engine) {
    const container = (action: string) => (id: string, code?: unknown, gone?: ContainerRecord) => {
      const rec = engine.containers.find(id) ?? gone;
      const attrs: Record<string, string> = { ...(rec?.Config.Labels ?? {}), image: rec?.Config.Image ?? '', name: rec?.Name.slice(1) ?? '' };
      if (action === 'die') attrs.exitCode = String(code ?? 0);
      this.add({ status: action, id, from: attrs.image, Type: 'container', Action: action, Actor: { ID: id, Attributes: attrs } });
    };
    engine.events.on('create', container('create'));
    engine.events.on('start', container('start'));
    engine.events.on('exit', container('die'));
    engine.events.on('destroy', container('destroy'));
    engine.events.on('health_status', (id: string, status: unknown) => container(`health_status: ${String(status)}`)(id));
    engine.events.on('commit', (id: string, imageId: string, imageRef: string) => {
      const rec = engine.containers.find(id);
      const attrs = { ...(rec?.Config.Labels ?? {}), image: rec?.Config.Image ?? '', name: rec?.Name.slice(1) ?? '', imageID: imageId, imageRef };
      this.add({ status: 'commit', id, from: attrs.image, Type: 'container', Action: 'commit', Actor: { ID: id, Attributes: attrs } });
    });
    // dockerd's image events: the actor is the image ID (a reference for pull and push), its
    // labels and `name` the attributes.
    engine.events.on('image', (action: string, id: string, name: string) => {
      const found = engine.images.lookup(id);
      const labels = found ? engine.images.record(found).config.config?.Labels ?? {} : {};
      this.add({ status: action, id, Type: 'image', Action: action, Actor: { ID: id, Attributes: { ...labels, name } } });
    });
    engine.events.on('volume', (action: string, name: string, attrs: Record<string, string>) => {
      this.add({ Type: 'volume', Action: action, Actor: { ID: name, Attributes: attrs } });
    });
    engine.events.on('network', (action: string, n: { Id: string; Name: string; Driver: string }, ctr?: string) => {
      this.add({ Type: 'network', Action: action, Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver, ...(ctr ? { container: ctr } : {}) } } });
    });
  }

  private add(m: Omit<EventMessage, 'scope' | 'time' | 'timeNano'>): void {
    const now = Date.now();
    const msg: EventMessage = { ...m, scope: 'local', time: Math.floor(now / 1000), timeNano: now * 1e6 };
    this.ring.push({ ns: BigInt(now) * 1000000n, msg });
    if (this.ring.length > LIMIT) this.ring.shift();
    for (const s of this.subs) s(msg);
  }

  /** Kept events with since <= time <= until (either bound optional), oldest first. */
  past(sinceNs?: bigint, untilNs?: bigint): EventMessage[] {
    return this.ring.filter((e) => (sinceNs === undefined || e.ns >= sinceNs) && (untilNs === undefined || e.ns <= untilNs)).map((e) => e.msg);
  }

  /** Calls `fn` for every new event until the returned function is called. */
  subscribe(fn: (m: EventMessage) => void): () => void {
    this.subs.add(fn);
    return () => { this.subs.delete(fn); };
  }
}

/** Checks an events filter as dockerd does: known keys, known types. */
export function validateEventFilters(f: Filters): void {
  validateFilterKeys(f, EVENT_FILTERS);
  for (const t of f.get('type') ?? []) if (!EVENT_TYPES.includes(t)) throw badRequest(`invalid filter 'type=${t}'`);
}

/** dockerd's fuzzy match: a value equal to or a prefix of the actor's ID or name. */
function fuzzy(values: string[] | undefined, ...sources: Array<string | undefined>): boolean {
  if (!values?.length) return true;
  return values.some((v) => sources.some((s) => s !== undefined && s !== '' && s.startsWith(v)));
}

export function eventMatches(f: Filters, m: EventMessage): boolean {
  const name = m.Actor.Attributes.name;
  const events = f.get('event');
  if (events?.length && !events.some((e) => e === m.Action || e === m.Action.split(':')[0])) return false;
  if (f.get('type')?.length && !f.get('type')!.includes(m.Type)) return false;
  if (f.get('scope')?.length && !f.get('scope')!.includes(m.scope)) return false;
  if (f.get('label')?.length && !labelsMatch(m.Actor.Attributes, f.get('label')!)) return false;
  if (!fuzzy(f.get('container'), m.Actor.ID, name)) return false;
  if (!fuzzy(f.get('network'), m.Actor.ID, name)) return false;
  if (!fuzzy(f.get('volume'), m.Actor.ID, name)) return false;
  if (!fuzzy(f.get('image'), m.Actor.ID, name, m.Actor.Attributes.image, m.Actor.Attributes.image?.split(':')[0])) return false;
  for (const k of ['daemon', 'plugin', 'node', 'service', 'secret', 'config']) if (!fuzzy(f.get(k), m.Actor.ID, name)) return false;
  return true;
}
