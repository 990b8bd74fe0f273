import type { Duplex, Writable } from 'node:stream';
import { join } from 'node:path';
import type { Router, RequestContext } from '../http/router';
import { parseFilters } from '../containers/filters';
import { queryBool } from '../http/router';
import type { Engine } from '../engine';
import { nextEvent } from '../containers/lifecycle';
import { badRequest } from '../http/api-error';
import { tailLog, fileSize } from '../logs/log-tail';
import { frame } from '../logs/mux';
import { formatNs, recordBytes, type LogRecord } from '../logs/k8s-log';
import { parseTimestampNs } from '../util/time';
import type { ContainerRecord } from '../containers/types';
import { EventLog, eventMatches, validateEventFilters, type EventMessage } from './event-log';
import { attachContainerTty, checkTtyInputAvailable, detachKeysOr400, wantsTtyInput } from '../tty/container-tty';

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';

/** Resolves when the container's current (or next) run ends, or it is removed. */
function runEnded(engine: Engine, id: string, signal: AbortSignal): Promise<unknown> {
  return Promise.race([nextEvent(engine, 'exit', id, -1, signal), nextEvent(engine, 'destroy', id, -1, signal)]);
}

function writeAsync(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  return new Promise((resolve) => { if (out.write(data)) resolve(); else { out.once('drain', resolve); out.once('close', resolve); } });
}

function recordWriter(out: Writable, tty: boolean, opts: { stdout: boolean; stderr: boolean; timestamps?: boolean }) {
  return async (records: LogRecord[]) => {
    const chunks: Buffer[] = [];
    for (const r of records) {
      if (r.stream === 'stdout' ? !opts.stdout : !opts.stderr) continue;
      let data = recordBytes(r);
      if (opts.timestamps) data = Buffer.concat([Buffer.from(`${formatNs(r.timeNs)} `), data]);
      chunks.push(tty ? data : frame(r.stream === 'stdout' ? 1 : 2, data));
    }
    if (chunks.length) await writeAsync(out, Buffer.concat(chunks));
  };
}

/**
 * Copies the client's input to the container's stdin FIFO (non-TTY `-i` containers); when
 * the client closes its side of a StdinOnce container (`docker run -i`), stdin is closed.
 * The FIFO is made here when the attach comes before the start.
 */
async function stdinTarget(engine: Engine, rec: ContainerRecord, wanted: boolean): Promise<boolean> {
  if (!wanted || !rec.Config.OpenStdin || rec.Config.Tty) return false;
  if (!rec.State.Running) await engine.stdin.ensure(rec.Id, join(engine.paths.bundle(rec.Id), 'stdin'));
  return !!engine.stdin.get(rec.Id);
}

function forwardStdin(engine: Engine, rec: ContainerRecord, sock: Duplex, enabled: boolean): void {
  if (!enabled) { sock.on('data', () => undefined); return; }
  sock.on('data', (d: Buffer) => {
    const t = engine.stdin.get(rec.Id);
    if (t && !t.write(d)) { sock.pause(); t.once('drain', () => sock.resume()); }
  });
  sock.on('end', () => { if (rec.Config.StdinOnce) engine.stdin.requestClose(rec.Id); });
}

/** POST /containers/{id}/attach: output from now (stream) and/or the past (logs), read from conmon's log. */
async function attach(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const q = ctx.query;
  const stream = queryBool(q, 'stream');
  const logs = queryBool(q, 'logs');
  const opts = { stdout: queryBool(q, 'stdout'), stderr: queryBool(q, 'stderr') };
  const tty = !!rec.Config.Tty;
  const abort = new AbortController();
  const ended = runEnded(engine, rec.Id, abort.signal);
  const path = engine.paths.container(rec.Id).log;
  const offset = logs ? 0 : await fileSize(path);
  const withStdin = await stdinTarget(engine, rec, queryBool(q, 'stdin'));
  const ttyInput = wantsTtyInput(rec, queryBool(q, 'stdin'));
  const detachKeys = ttyInput ? detachKeysOr400(q.get('detachKeys')) : [];
  if (ttyInput) checkTtyInputAvailable();
  const sock = ctx.respond.hijack(tty ? RAW : MUX);
  sock.on('close', () => abort.abort());
  sock.on('error', () => abort.abort());
  if (ttyInput) attachContainerTty(engine, rec, sock, { detachKeys, onDetach: () => abort.abort(), signal: abort.signal });
  else forwardStdin(engine, rec, sock, withStdin);
  const follow = stream && (rec.State.Running || rec.State.Status === 'created' || rec.State.Status === 'exited');
  try {
    await tailLog({ path, offset, follow, done: ended, signal: abort.signal, onRecords: recordWriter(sock, tty, opts) });
  } finally {
    abort.abort();
    sock.end();
  }
}

function logFilter(ctx: RequestContext) {
  const since = ctx.query.get('since');
  const until = ctx.query.get('until');
  const sinceNs = since && since !== '0' ? parseTimestampNs(since) : undefined;
  const untilNs = until && until !== '0' ? parseTimestampNs(until) : undefined;
  if ((since && since !== '0' && sinceNs === undefined) || (until && until !== '0' && untilNs === undefined)) throw badRequest('invalid since/until value');
  return (r: LogRecord) => (sinceNs === undefined || r.timeNs >= sinceNs) && (untilNs === undefined || r.timeNs <= untilNs);
}

/** GET /containers/{id}/logs */
async function logs(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec: ContainerRecord = engine.containers.get(ctx.params.id);
  const q = ctx.query;
  const opts = { stdout: queryBool(q, 'stdout'), stderr: queryBool(q, 'stderr'), timestamps: queryBool(q, 'timestamps') };
  if (!opts.stdout && !opts.stderr) throw badRequest('Bad parameters: you must choose at least one stream');
  const tailRaw = q.get('tail') ?? 'all';
  const tail = tailRaw === 'all' || tailRaw === '' ? -1 : Number(tailRaw);
  if (!Number.isInteger(tail)) throw badRequest(`invalid tail value "${tailRaw}"`);
  const keep = logFilter(ctx);
  const tty = !!rec.Config.Tty;
  const abort = new AbortController();
  const ended = runEnded(engine, rec.Id, abort.signal);
  const follow = queryBool(q, 'follow') && rec.State.Running && !q.get('until');
  const out = ctx.respond.stream(200, tty ? RAW : MUX);
  ctx.onClose(() => abort.abort());
  const write = recordWriter(out, tty, opts);
  const path = engine.paths.container(rec.Id).log;
  try {
    const past: LogRecord[] = [];
    const end = await tailLog({ path, offset: 0, follow: false, signal: abort.signal, onRecords: (rs) => { past.push(...rs.filter(keep)); } });
    const wanted = past.filter((r) => (r.stream === 'stdout' ? opts.stdout : opts.stderr));
    await write(tail < 0 ? wanted : tail === 0 ? [] : wanted.slice(-tail));
    if (follow) await tailLog({ path, offset: end, follow: true, done: ended, signal: abort.signal, onRecords: (rs) => write(rs.filter(keep)) });
  } finally {
    abort.abort();
    out.end();
  }
}

/** POST /containers/{id}/wait: headers at once, the exit status when the condition is met. */
async function wait(ctx: RequestContext, engine: Engine): Promise<void> {
  const rec = engine.containers.get(ctx.params.id);
  const condition = ctx.query.get('condition') || 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw badRequest(`invalid condition: "${condition}"`);
  const abort = new AbortController();
  let result: Promise<unknown[] | undefined>;
  if (condition === 'not-running' && !rec.State.Running) result = Promise.resolve([rec.State.ExitCode]);
  else result = nextEvent(engine, condition === 'removed' ? 'destroy' : 'exit', rec.Id, -1, abort.signal);
  const out = ctx.respond.stream(200, 'application/json');
  ctx.onClose(() => abort.abort());
  const args = await result;
  if (!args) return;
  // dockerd omits Error unless waiting failed (WaitResponse.Error is omitempty).
  out.end(`${JSON.stringify({ StatusCode: Number(args[0] ?? 0) })}\n`);
}

/**
 * GET /events: kept events from `since` (or up to `until`), then live ones until `until`
 * (legacy status/id/from fields included on container events). See event-log.ts.
 */
function events(ctx: RequestContext, log: EventLog): void {
  const f = parseFilters(ctx.query.get('filters'));
  validateEventFilters(f);
  const bound = (k: string) => {
    const v = ctx.query.get(k);
    if (!v) return undefined;
    const ns = parseTimestampNs(v);
    if (ns === undefined) throw badRequest(`invalid value for ${k}: ${v}`);
    return ns;
  };
  const sinceNs = bound('since');
  const untilNs = bound('until');
  if (sinceNs !== undefined && untilNs !== undefined && untilNs < sinceNs) throw badRequest('`since` time cannot be after `until` time');
  const out = ctx.respond.stream(200, 'application/json');
  const write = (m: EventMessage) => { if (eventMatches(f, m)) out.write(`${JSON.stringify(m)}\n`); };
  if (sinceNs !== undefined || untilNs !== undefined) for (const m of log.past(sinceNs, untilNs)) write(m);
  const nowNs = BigInt(Date.now()) * 1000000n;
  if (untilNs !== undefined && untilNs <= nowNs) { out.end(); return; }
  const stop = log.subscribe(write);
  ctx.onClose(stop);
  if (untilNs !== undefined) {
    const ms = Number((untilNs - nowNs) / 1000000n);
    setTimeout(() => { stop(); out.end(); }, Math.min(ms, 2 ** 31 - 1)).unref();
  }
}

export function streamRoutes(router: Router, engine: Engine): void {
  const log = new EventLog(engine);
  router
    .add('POST', '/containers/{id}/attach', (ctx) => attach(ctx, engine))
    .add('GET', '/containers/{id}/logs', (ctx) => logs(ctx, engine))
    .add('POST', '/containers/{id}/wait', (ctx) => wait(ctx, engine))
    .add('GET', '/events', (ctx) => events(ctx, log));
}
