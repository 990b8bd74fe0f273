import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { Router } from '../http/router';
import { API_VERSION, MIN_API_VERSION } from '../http/router';
import type { Engine } from '../engine';
import { cgroupVersion } from '../runtime/cgroups';
import { goArch } from '../images/image-config';

export const AGENT_VERSION = '0.1.0-tsagent';

function osRelease(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
    return m ? m[1] : 'Linux';
  } catch {
    return 'Linux';
  }
}

function osVersion(): string {
  try {
    return /^VERSION_ID="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

function registryConfig(engine: Engine): Record<string, unknown> {
  const insecure = engine.config.insecureRegistries;
  // Only what --insecure-registry lists: unlike dockerd, tsagent does not treat loopback registries as insecure.
  const cidrs = insecure.filter((r) => r.includes('/') && /^[0-9a-fA-F:.]+\/\d+$/.test(r));
  const indexConfigs: Record<string, unknown> = {
    'docker.io': { Name: 'docker.io', Mirrors: engine.config.registryMirrors, Secure: true, Official: true },
  };
  for (const r of insecure.filter((x) => !cidrs.includes(x))) indexConfigs[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
  return { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null, InsecureRegistryCIDRs: cidrs, IndexConfigs: indexConfigs, Mirrors: engine.config.registryMirrors };
}

function version(engine: Engine): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION, Arch: goArch(), BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: `node${process.versions.node}`,
    KernelVersion: os.release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux',
  };
  return {
    Platform: { Name: 'tsagent' },
    Components: [
      { Name: 'Engine', Version: AGENT_VERSION, Details: details },
      { Name: engine.runtime.bin.split('/').pop() ?? 'runc', Version: engine.versions.runtime, Details: { Path: engine.runtime.bin } },
      { Name: 'conmon', Version: engine.versions.conmon, Details: { Path: engine.conmonBin } },
    ],
    Version: AGENT_VERSION, ...details, Experimental: false,
  };
}

function info(engine: Engine): Record<string, unknown> {
  const all = engine.containers.all();
  const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
  const paused = all.filter((c) => c.State.Paused).length;
  const cgv = cgroupVersion();
  return {
    ID: '', Containers: all.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: all.length - running - paused,
    Images: engine.images.list().length, Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true, SwapLimit: false, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
    IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false, Debug: engine.config.debug, NFd: 0, OomKillDisable: false,
    NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'k8s-file', CgroupDriver: 'cgroupfs', CgroupVersion: String(cgv),
    NEventsListener: 0, KernelVersion: os.release(), OperatingSystem: osRelease(), OSVersion: osVersion(), OSType: 'linux',
    Architecture: os.machine(), IndexServerAddress: 'https://index.docker.io/v1/', RegistryConfig: registryConfig(engine),
    NCPU: os.cpus().length, MemTotal: os.totalmem(), GenericResources: null, DockerRootDir: engine.config.dataRoot,
    HttpProxy: '', HttpsProxy: '', NoProxy: '', Name: os.hostname(), Labels: engine.config.labels, ExperimentalBuild: false,
    ServerVersion: AGENT_VERSION, Runtimes: { runc: { path: engine.runtime.bin } }, DefaultRuntime: 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true, Isolation: '', InitBinary: '', ContainerdCommit: { ID: 'conmon' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
    SecurityOptions: cgv === 2 ? ['name=cgroupns'] : [], CDISpecDirs: [],
    Warnings: ['WARNING: tsagent applies no seccomp or AppArmor profile yet',
      ...(engine.config.bridge === 'none' ? ['WARNING: the default bridge is off (--bridge none): containers on "bridge" get only a loopback interface'] : [])],
  };
}

const PING_HEADERS = { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', Swarm: 'inactive', 'Builder-Version': '1' };

export function systemRoutes(router: Router, engine: Engine): void {
  router
    .add('HEAD', '/_ping', (ctx) => ctx.respond.empty(200, { ...PING_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }))
    .add('GET', '/_ping', (ctx) => ctx.respond.text(200, 'OK', 'text/plain; charset=utf-8', PING_HEADERS))
    .add('GET', '/version', (ctx) => ctx.respond.json(200, version(engine)))
    .add('GET', '/info', (ctx) => ctx.respond.json(200, info(engine)));
}
