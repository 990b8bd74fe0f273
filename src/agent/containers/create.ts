import { hostname } from 'node:os';
import type { RunConfig } from '../images/image-config';
import type { ImageRecord } from '../images/image-store';
import { badRequest } from '../http/api-error';
import { nowRfc3339 } from '../util/time';
import { initialState, type ContainerRecord, type HostConfig } from './types';
import { VALID_POLICIES } from './restart-policy';
import { hostResources, validateResources } from '../runtime/cgroups-limits';
import { findInitBinary, securityOptions, validateRunOptions } from './run-options';
import { mergeHealthcheck, validateHealthcheck } from '../health/healthcheck';
import { portRequests } from '../network/ports';
import { sharedNetworkOf, type PortMap } from '../network/types';

/** The body of POST /containers/create: a run config plus HostConfig and NetworkingConfig. */
export interface CreateBody extends RunConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: unknown;
}

/**
 * dockerd's merge of the request's run config with the image's: image Env entries not set by
 * the request are appended, labels and ports are unions, and the image Cmd is used only when
 * the request sets neither Cmd nor Entrypoint. Pure.
 */
export function mergeRunConfig(user: RunConfig, image: RunConfig): RunConfig {
  const out: RunConfig = { ...user };
  if (!out.User) out.User = image.User ?? '';
  out.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  const env = [...(user.Env ?? [])];
  const keys = new Set(env.map((e) => e.split('=')[0]));
  for (const e of image.Env ?? []) if (!keys.has(e.split('=')[0])) env.push(e);
  out.Env = env;
  out.Labels = { ...(image.Labels ?? {}), ...(user.Labels ?? {}) };
  if (!user.Entrypoint || user.Entrypoint.length === 0) {
    if (!user.Cmd || user.Cmd.length === 0) {
      out.Cmd = image.Cmd ?? null;
      out.ArgsEscaped = image.ArgsEscaped;
    }
    if (user.Entrypoint == null) out.Entrypoint = image.Entrypoint ?? null;
  }
  if (!out.WorkingDir) out.WorkingDir = image.WorkingDir ?? '';
  out.Volumes = { ...(image.Volumes ?? {}), ...(user.Volumes ?? {}) };
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  const health = mergeHealthcheck(user.Healthcheck, image.Healthcheck);
  if (health) out.Healthcheck = health;
  out.OnBuild = image.OnBuild ?? null;
  return out;
}

/** `--network container:NAME` shares that container's network stack: nothing of its own may be set (dockerd's errors). */
function checkContainerNetworkMode(h: HostConfig, mode: string): void {
  if (mode === 'container:') throw badRequest('invalid network mode: invalid container format container:<name|id>');
  const bindings = Object.values((h.PortBindings ?? {}) as Record<string, unknown[] | null>).some((b) => (b?.length ?? 0) > 0);
  if (bindings || h.PublishAllPorts) throw badRequest('conflicting options: port publishing and the container type network mode');
  if (h.Dns?.length) throw badRequest('conflicting options: dns and the network mode');
  if (h.ExtraHosts?.length) throw badRequest('conflicting options: custom host-to-IP mapping and the network mode');
  if ((h as { Links?: string[] }).Links?.length) throw badRequest('conflicting options: container type network can\'t be used with links. This would result in undefined behavior');
}

/** Checks the HostConfig fields tsagent acts on; returns it with dockerd's defaults filled in. */
export function normalizeHostConfig(hc: HostConfig | undefined): HostConfig {
  const h: HostConfig = { ...(hc ?? {}) };
  const mode = h.NetworkMode || 'default';
  // Other names are user-defined networks, checked by network/sandbox.ts networksAtCreate.
  if (sharedNetworkOf(mode) !== undefined) checkContainerNetworkMode(h, mode);
  h.NetworkMode = mode === 'default' ? 'bridge' : mode;
  if (h.RestartPolicy?.Name !== undefined && !VALID_POLICIES.includes(h.RestartPolicy.Name)) {
    throw badRequest(`invalid restart policy: unknown policy '${h.RestartPolicy.Name}'; use one of 'no', 'always', 'unless-stopped', or 'on-failure'`);
  }
  const retries = h.RestartPolicy?.MaximumRetryCount ?? 0;
  if (retries < 0) throw badRequest('invalid restart policy: maximum retry count cannot be negative');
  if (retries !== 0 && h.RestartPolicy?.Name !== 'on-failure') throw badRequest('invalid restart policy: maximum retry count can only be used with \'on-failure\'');
  if (h.AutoRemove && h.RestartPolicy?.Name && !['', 'no'].includes(h.RestartPolicy.Name)) {
    throw badRequest('can\'t create \'AutoRemove\' container with restart policy');
  }
  portRequests(h.PortBindings as PortMap | undefined, false, undefined); // malformed bindings are a 400 at create, as in dockerd
  if (h.ShmSize === undefined || h.ShmSize === 0) h.ShmSize = 64 * 1024 * 1024;
  if (h.ShmSize < 0) throw badRequest('SHM size can not be less than 0');
  validateResources(h, hostResources());
  securityOptions(h);
  validateRunOptions(h);
  if (h.Init && !findInitBinary()) throw badRequest('--init needs a static tini on the host (Debian package tini: /usr/bin/tini-static)');
  h.RestartPolicy = h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 };
  h.LogConfig = h.LogConfig ?? { Type: 'k8s-file', Config: {} };
  return h;
}

/** dockerd's StrSlice: a string means a one-element list; anything else but a string list is a 400. */
export function strSlice(v: unknown, field: string): string[] | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw badRequest(`invalid ${field}: expected a string or a list of strings`);
}

/** Checks the types of the request fields tsagent reads (the API is reachable by any client). */
export function normalizeBody(body: CreateBody): CreateBody {
  const out = { ...body, Cmd: strSlice(body.Cmd, 'Cmd'), Entrypoint: strSlice(body.Entrypoint, 'Entrypoint') };
  if (out.Env != null && !(Array.isArray(out.Env) && out.Env.every((e) => typeof e === 'string'))) throw badRequest('invalid Env: expected a list of "KEY=value" strings');
  if (out.Labels != null && (typeof out.Labels !== 'object' || Object.values(out.Labels).some((v) => typeof v !== 'string'))) throw badRequest('invalid Labels: expected string values');
  if (typeof out.Image !== 'string') throw badRequest('invalid Image: expected a string');
  return out;
}

/** A new container record (state "created") for `image`. Pure apart from the clock. */
export function buildRecord(id: string, name: string, body: CreateBody, image: ImageRecord, layers: string[]): ContainerRecord {
  const { HostConfig: hc, NetworkingConfig: _nc, ...user } = normalizeBody(body);
  void _nc;
  validateHealthcheck(user.Healthcheck);
  // `--entrypoint ""` arrives as [""]: it resets the image entrypoint (empty, not absent).
  if (user.Entrypoint?.length === 1 && user.Entrypoint[0] === '') user.Entrypoint = [];
  const config = mergeRunConfig(user, image.config.config ?? {});
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (argv.length === 0) throw badRequest('no command specified');
  const hostConfig = normalizeHostConfig(hc);
  const sharesNetwork = sharedNetworkOf(hostConfig.NetworkMode) !== undefined;
  if (sharesNetwork && user.Hostname) throw badRequest('conflicting options: hostname and the network mode');
  if (sharesNetwork && (user as { MacAddress?: string }).MacAddress) throw badRequest('conflicting options: mac-address and the network mode');
  // Shared network: the hostname is the other container's, set at start.
  config.Hostname = user.Hostname || (hostConfig.NetworkMode === 'host' ? hostname() : sharesNetwork ? '' : id.slice(0, 12));
  config.Domainname = user.Domainname ?? '';
  config.Image = body.Image;
  return {
    Id: id,
    Name: `/${name.replace(/^\//, '')}`,
    Created: nowRfc3339(),
    Path: argv[0],
    Args: argv.slice(1),
    Config: config,
    HostConfig: hostConfig,
    Image: image.id,
    Layers: layers,
    State: initialState(),
    RestartCount: 0,
    Runtime: { runs: 0 },
  };
}
