import type { RunConfig } from '../images/image-config';
import type { MountPoint } from '../volumes/mount-spec';
import type { ContainerNet } from '../network/types';
import type { HealthState } from '../health/healthcheck';

/** The subset of dockerd's HostConfig tsagent acts on; everything else is kept and echoed back. */
export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  AutoRemove?: boolean;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  ReadonlyRootfs?: boolean;
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  PidsLimit?: number | null;
  ShmSize?: number;
  OomScoreAdj?: number;
  Tmpfs?: Record<string, string> | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  ExtraHosts?: string[] | null;
  ConsoleSize?: [number, number];
  [key: string]: unknown;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Present while the container has a healthcheck (health/health-monitor.ts). */
  Health?: HealthState;
}

/** What tsagent persists per container (`<data-root>/containers/<id>/container.json`). */
export interface ContainerRecord {
  Id: string;
  /** With the leading slash, as dockerd reports it. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  /** The merged run config (image defaults + request). Config.Image is the name the user gave. */
  Config: RunConfig;
  HostConfig: HostConfig;
  /** sha256:... image ID. */
  Image: string;
  /** The image's layer chain IDs, bottom first (kept so a deleted image does not break the container). */
  Layers: string[];
  /** Volumes, binds and tmpfs mounts, resolved at create (absent in records from before volumes). */
  MountPoints?: MountPoint[];
  State: ContainerState;
  RestartCount: number;
  /** Networks the container is connected to, and the current run's addresses and ports (network/). */
  Net?: ContainerNet;
  /** Bookkeeping for the running process (not part of the API). */
  Runtime: {
    conmonPid?: number;
    /** Incremented at every start; lets streams tell runs apart. */
    runs: number;
    /** Stopped or killed through the API: restart policies leave it alone. */
    manuallyStopped?: boolean;
    /** The last restart backoff delay. */
    restartDelayMs?: number;
  };
}

export function initialState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
  };
}
