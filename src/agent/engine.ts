import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { promises as fsp } from 'node:fs';
import type { AgentConfig } from './config/flags';
import type { Logger } from './util/log';
import { mkdirp } from './util/fsx';
import { ContentStore } from './layers/content-store';
import { LayerStore } from './layers/layer-store';
import { ImageStore } from './images/image-store';
import { ContainerStore } from './containers/container-store';
import { OciRuntime } from './runtime/runc';
import { which } from './runtime/which';
import { run } from './util/proc';
import { StdinPipes } from './runtime/stdin-pipes';
import { DistributionIndex } from './images/distribution-index';
import { DiffSource } from './images/diff-source';
import { RefusedLayers } from './images/layer-refusal';
import { BlobFetcher } from './images/blob-fetcher';
import { VolumeStore } from './volumes/volume-store';
import { NetworkManager } from './network/network-manager';

/**
 * Where things live.
 * data-root (persistent): content/sha256/<hex> blobs, layers/<chain>/diff, images/configs +
 *   repositories.json, containers/<id>/{container.json, container.log, hosts, hostname,
 *   resolv.conf, diff/ (overlay upper), work/, merged/ (rootfs mount point)}.
 * exec-root (runtime, gone after reboot): containers/<id>/ (OCI bundle: config.json, conmon
 *   pid files, conmon's ctl/winsz fifos and attach socket), exits/<id> (conmon exit files),
 *   runtime/ (runc state root), socks/ (conmon attach socket links), exec/ (exec process specs).
 */
export class EnginePaths {
  constructor(readonly dataRoot: string, readonly execRoot: string) {}
  get content() { return join(this.dataRoot, 'content'); }
  get layers() { return join(this.dataRoot, 'layers'); }
  get images() { return join(this.dataRoot, 'images'); }
  get containers() { return join(this.dataRoot, 'containers'); }
  get volumes() { return join(this.dataRoot, 'volumes'); }
  get exits() { return join(this.execRoot, 'exits'); }
  get runtimeRoot() { return join(this.execRoot, 'runtime'); }
  get socks() { return join(this.execRoot, 'socks'); }
  get execSpecs() { return join(this.execRoot, 'exec'); }
  bundle(id: string) { return join(this.execRoot, 'containers', id); }
  container(id: string) {
    const dir = join(this.containers, id);
    return {
      dir,
      log: join(dir, 'container.log'),
      upper: join(dir, 'diff'),
      work: join(dir, 'work'),
      merged: join(dir, 'merged'),
      bundle: this.bundle(id),
      exitFile: join(this.exits, id),
      sockLink: join(this.socks, id.slice(0, 12)),
    };
  }
}

/**
 * Events inside the agent: 'create', 'start' (id), 'exit' (id, code), 'destroy' (id, code),
 * 'commit' (container id, image id, image reference), 'image' (action, actor ID, name) for pull,
 * push, tag, untag, delete, import, load and save; networks and volumes (see api/event-log.ts).
 */
export type ContainerEvents = EventEmitter;

export interface Engine {
  config: AgentConfig;
  log: Logger;
  paths: EnginePaths;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  /** Compressed forms of layers and the manifests images were pulled with. */
  dist: DistributionIndex;
  /** Uncompressed layer content by diff ID (plain or decompressed from a pulled blob). */
  diffs: DiffSource;
  /** Registry downloads, shared between concurrent pulls. */
  blobs: BlobFetcher;
  /** Pulled layers refused as they were unpacked, and the images removed with them. */
  refused: RefusedLayers;
  containers: ContainerStore;
  /** Named and anonymous volumes (`<data-root>/volumes/<name>/_data`). */
  volumes: VolumeStore;
  runtime: OciRuntime;
  conmonBin: string;
  /** Writers of the stdin FIFOs of `docker run -i` containers. */
  stdin: StdinPipes;
  /** Versions of the runtime and conmon, shown by GET /version. */
  versions: { runtime: string; conmon: string };
  events: ContainerEvents;
  /** Networks, IPAM and container network namespaces (init() before use). */
  network: NetworkManager;
  startedAt: number;
}

/** Resolves binaries, creates folders and loads the stores. */
export async function openEngine(config: AgentConfig, log: Logger): Promise<Engine> {
  const paths = new EnginePaths(config.dataRoot, config.execRoot);
  const runtimeBin = which(config.runtime ?? 'runc') ?? (config.runtime ? undefined : which('crun'));
  if (!runtimeBin) throw new Error(`OCI runtime "${config.runtime ?? 'runc'}" not found: install runc (or crun) or pass --runtime PATH`);
  const conmonBin = which(config.conmon ?? 'conmon');
  if (!conmonBin) throw new Error(`conmon "${config.conmon ?? 'conmon'}" not found: install conmon or pass --conmon PATH`);
  await mkdirp(config.dataRoot, 0o711);
  for (const d of [paths.exits, paths.runtimeRoot, paths.socks, paths.execSpecs, join(config.execRoot, 'containers')]) await mkdirp(d);
  for (const f of await fsp.readdir(paths.execSpecs)) await fsp.rm(join(paths.execSpecs, f), { force: true });
  const content = new ContentStore(paths.content);
  await content.init();
  const dist = new DistributionIndex(config.dataRoot);
  await dist.init();
  const diffs = new DiffSource(content, dist);
  const refused = new RefusedLayers(join(config.dataRoot, 'refused-layers.json'));
  await refused.init();
  const layers = new LayerStore(paths.layers, (d) => diffs.openContent(d), (m) => log.warn(m));
  await layers.init();
  const images = new ImageStore(paths.images);
  await images.init();
  const containers = new ContainerStore(paths.containers);
  await containers.init();
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const runtime = new OciRuntime(runtimeBin, paths.runtimeRoot);
  const conmonVersion = /version\s+(\S+)/.exec((await run(conmonBin, ['--version'])).stdout)?.[1] ?? 'unknown';
  return {
    config, log, paths, content, layers, images, dist, diffs, blobs: new BlobFetcher(content), refused, containers, volumes, runtime,
    conmonBin, stdin: await StdinPipes.writeWrapper(config.execRoot, runtimeBin), versions: { runtime: await runtime.version(), conmon: conmonVersion }, events, startedAt: Date.now(),
    network: new NetworkManager(config.dataRoot, config.execRoot, log, containers, events, config.bridge),
  };
}
