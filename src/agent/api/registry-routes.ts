import type { Router, RequestContext } from '../http/router';
import type { Engine } from '../engine';
import { ApiError, badRequest } from '../http/api-error';
import { decodeRegistryAuth, authConfigFromJson } from '../registry/auth-config';
import { RegistryError } from '../registry/registry-error';
import { pullScope } from '../registry/registry-client';
import { parseReference, withDefaultTag, type Reference } from '../images/reference';
import { JsonProgress } from '../images/json-progress';
import { pullWithMirrors } from '../images/mirrors';
import { pushImage, pushTargets } from '../images/pusher';
import { openRegistry } from '../images/registry-session';

function parseRef(name: string): Reference {
  try {
    return parseReference(name);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

/** Runs a streamed registry operation: errors before the first message get a status, later ones an error message. */
async function streamed(ctx: RequestContext, engine: Engine, what: string, fn: (p: JsonProgress) => Promise<void>): Promise<void> {
  const p = new JsonProgress(() => ctx.respond.stream(200, 'application/json'));
  try {
    await fn(p);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    engine.log.warn(`${what} failed`, { error: msg });
    if (!p.started) {
      if (e instanceof RegistryError) throw new ApiError(e.status, msg);
      throw e;
    }
    p.error(msg);
  }
  p.end();
}

/** POST /images/create?fromImage=&tag=&platform= (docker pull; docker run pulls this way after a 404). */
export async function pullRoute(ctx: RequestContext, engine: Engine, fromImage: string): Promise<void> {
  let ref = parseRef(fromImage);
  const tag = ctx.query.get('tag');
  if (tag) {
    if (tag.startsWith('sha256:')) ref = { ...ref, digest: tag };
    else if (/^[\w][\w.-]{0,127}$/.test(tag)) ref = { ...ref, tag };
    else throw badRequest(`invalid tag "${tag}"`);
  }
  ref = withDefaultTag(ref);
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  await streamed(ctx, engine, 'pull', async (p) => { await pullWithMirrors(engine, { ref, auth, platform: ctx.query.get('platform') }, p); });
}

/** POST /images/{name}/push?tag= */
async function pushRoute(ctx: RequestContext, engine: Engine): Promise<void> {
  let ref = parseRef(ctx.params.name);
  if (ref.digest) throw badRequest('cannot push a digest reference');
  const tag = ctx.query.get('tag');
  if (tag) ref = { ...ref, tag };
  pushTargets(engine, ref);
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  await streamed(ctx, engine, 'push', (p) => pushImage(engine, { ref, auth }, p));
}

/** The registry domain a login's serveraddress names (`https://index.docker.io/v1/` is Docker Hub). */
export function loginDomain(address: string | undefined): string {
  const a = (address ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return !a || a === 'index.docker.io' ? 'docker.io' : a;
}

/** POST /auth (docker login): checks the credentials against the registry. */
async function login(ctx: RequestContext, engine: Engine): Promise<void> {
  const body = await ctx.json<Record<string, unknown>>();
  const auth = authConfigFromJson(body);
  const domain = loginDomain(auth.serveraddress);
  const client = openRegistry(engine, domain, auth);
  try {
    await client.authenticate([]);
    if (auth.username === undefined && !auth.identitytoken) await client.authenticate([pullScope('library/hello-world')]);
  } catch (e) {
    if (e instanceof RegistryError) {
      const status = e.code === 'UNAUTHORIZED' || e.code === 'DENIED' ? 401 : 500;
      throw new ApiError(status, `login attempt to ${domain} failed: ${e.message}`);
    }
    throw e;
  } finally {
    client.close();
  }
  engine.log.info('registry login succeeded', { registry: domain });
  ctx.respond.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
}

export function registryRoutes(router: Router, engine: Engine): void {
  router
    .add('POST', '/images/{name*}/push', (ctx) => pushRoute(ctx, engine))
    .add('POST', '/auth', (ctx) => login(ctx, engine));
}
