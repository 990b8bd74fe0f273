import type { Engine } from '../engine';
import type { ContainerRecord } from './types';
import { humanDuration, ZERO_TIME } from '../util/time';
import { etcPaths } from './etc-files';
import { mountsView } from '../volumes/container-mounts';
import { endpointsView, listPortsView, networkSettingsView } from '../network/view';
import { sharedNetworkOf } from '../network/types';
import { healthSuffix } from '../health/healthcheck';

/** "Up 5 seconds", "Exited (3) 2 minutes ago", "Created", as `docker ps` shows. */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.State;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : healthSuffix(s.Health)}`;
  if (s.Status === 'dead') return 'Dead';
  if (s.FinishedAt === ZERO_TIME || s.StartedAt === ZERO_TIME) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

function command(rec: ContainerRecord): string {
  return [rec.Path, ...rec.Args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

function networks(rec: ContainerRecord): Record<string, unknown> {
  return endpointsView(rec);
}

const mounts = mountsView;

/** GET /containers/json entry. */
export function listEntry(rec: ContainerRecord): Record<string, unknown> {
  return {
    Id: rec.Id,
    Names: [rec.Name],
    Image: rec.Config.Image ?? rec.Image,
    ImageID: rec.Image,
    Command: command(rec),
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: listPortsView(rec),
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: networks(rec) },
    Mounts: mounts(rec),
  };
}

/** GET /containers/{id}/json. */
export function inspectContainer(engine: Engine, rec: ContainerRecord, execIds: string[]): Record<string, unknown> {
  const p = engine.paths.container(rec.Id);
  // --network container:ID uses that container's hostname, hosts and resolv.conf files.
  const shared = sharedNetworkOf(rec.HostConfig.NetworkMode);
  const etc = etcPaths(shared !== undefined ? engine.paths.container(shared).dir : p.dir);
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: rec.State,
    Image: rec.Image,
    ResolvConfPath: etc.resolvConf,
    HostnamePath: etc.hostname,
    HostsPath: etc.hosts,
    LogPath: p.log,
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: rec.HostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: [...rec.Layers].reverse().map((c) => `${engine.layers.dir(c)}/diff`).join(':'),
        UpperDir: p.upper, WorkDir: p.work, MergedDir: p.merged,
      },
    },
    Mounts: mounts(rec),
    Config: rec.Config,
    NetworkSettings: networkSettingsView(rec),
  };
}
