import type { Router, RequestContext } from '../http/router';
import type { ExecManager, ExecConfig } from '../exec/exec-manager';
import { queryInt } from '../http/router';
import { badRequest } from '../http/api-error';
import { parseWindowSize } from '../tty/window-size';

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';

async function startExec(ctx: RequestContext, execs: ExecManager): Promise<void> {
  const session = execs.get(ctx.params.id);
  const body = await ctx.json<{ Detach?: boolean; Tty?: boolean }>();
  if (body.Tty !== undefined) session.config.Tty = body.Tty;
  if (body.Detach) {
    await execs.start(session.id, undefined, true);
    ctx.respond.empty(200);
    return;
  }
  // Check before taking over the connection, so errors are still proper HTTP answers.
  execs.precheck(session.id);
  const io = ctx.respond.hijack(session.config.Tty ? RAW : MUX);
  io.on('error', () => undefined);
  try {
    await execs.start(session.id, io, false);
  } catch (e) {
    io.end();
    throw e;
  }
}

export function execRoutes(router: Router, execs: ExecManager): void {
  router
    .add('POST', '/containers/{id}/exec', async (ctx) => {
      const body = await ctx.json<ExecConfig>();
      ctx.respond.json(201, { Id: execs.create(ctx.params.id, body) });
    })
    .add('POST', '/exec/{id}/start', (ctx) => startExec(ctx, execs))
    .add('POST', '/exec/{id}/resize', async (ctx) => {
      execs.get(ctx.params.id);
      const size = parseWindowSize(queryInt(ctx.query, 'h'), queryInt(ctx.query, 'w'));
      if (typeof size === 'string') throw badRequest(size);
      await execs.resize(ctx.params.id, size.height, size.width);
      ctx.respond.empty(200);
    })
    .add('GET', '/exec/{id}/json', (ctx) => ctx.respond.json(200, execs.inspect(ctx.params.id)));
}
