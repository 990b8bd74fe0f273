import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, notFound, ApiError } from './api-error';
import type { Responder } from './responder';

export const API_VERSION = '1.51';
export const MIN_API_VERSION = '1.24';

/** What a handler gets for one request. */
export interface RequestContext {
  method: string;
  /** Path without the /vX.Y prefix. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (or the current one). */
  apiVersion: string;
  req: IncomingMessage;
  respond: Responder;
  /** The request body (read once). For upgraded connections, only Content-Length bytes. */
  body(): Promise<Buffer>;
  /** The body parsed as JSON; `{}` when empty. Invalid JSON is a 400. */
  json<T>(): Promise<T>;
  /** Registers a callback for when the client goes away. */
  onClose(cb: () => void): void;
  /** Set for requests that arrived with `Connection: Upgrade`. */
  upgraded?: { socket: Duplex };
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route { method: string; re: RegExp; names: string[]; handler: Handler }

/** Parses a docker boolean query value ("1", "true", "True" are true). */
export function queryBool(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (['1', 'true', 'True', 'TRUE', 'yes'].includes(v)) return true;
  if (['0', 'false', 'False', 'FALSE', 'no'].includes(v)) return false;
  throw badRequest(`invalid boolean value for ${name}: "${v}"`);
}

export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: "${v}" is not an integer`);
  return Number(v);
}

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

/** Splits "/v1.45/containers/json" into the version and the path; checks the version range. */
export function splitVersion(rawPath: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(rawPath);
  if (!m) return { version: API_VERSION, path: rawPath };
  if (compareVersions(m[1], MIN_API_VERSION) < 0) {
    throw badRequest(`client version ${m[1]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(m[1], API_VERSION) > 0) {
    throw badRequest(`client version ${m[1]} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return { version: m[1], path: m[2] };
}

/** A method + path-pattern router. `{name}` matches one segment, `{name*}` the rest (image names have slashes). */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const src = pattern.replace(/\{(\w+)(\*?)\}/g, (_, name: string, star: string) => {
      names.push(name);
      return star ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}/?$`), names, handler });
    return this;
  }

  /** The handler and params for a request; a 404 (no route) or a 405-like 404 as dockerd. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    for (const r of this.routes) {
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const m = r.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { handler: r.handler, params };
    }
    throw notFound('page not found');
  }
}

export { ApiError };
