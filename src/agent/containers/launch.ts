import { promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import { hostname as osHostname } from 'node:os';
import type { Engine } from '../engine';
import type { ContainerRecord } from './types';
import { atomicWriteJson, mkdirp } from '../util/fsx';
import { isMountPoint, mountOverlay, unmount } from '../util/mount';
import { resolveInRoot } from '../layers/path-scope';
import { resolveUser } from './user';
import { etcPaths, writeEtcFiles } from './etc-files';
import { generateSpec } from './spec';
import { startConmon, type ConmonResult } from '../runtime/conmon';
import { removeCgroup } from '../runtime/cgroups';
import { hostCapabilities } from '../runtime/host-caps';
import { applyConsoleSize } from '../tty/console-size';
import { releaseMounts, setupMounts } from '../volumes/container-mounts';
import { setUpSandbox, tearDownSandbox, type NetSetup } from '../network/sandbox';
import { rlimits, specResources } from '../runtime/cgroups-limits';
import { extendSpec, findInitBinary, groupAddGids, hostDevices, initWrap, readFileInRoot, securityOptions } from './run-options';

/** Mounts the container's overlay rootfs (image layers below, its own upper folder on top). */
export async function mountRootfs(engine: Engine, rec: ContainerRecord): Promise<string> {
  const p = engine.paths.container(rec.Id);
  if (isMountPoint(p.merged)) return p.merged;
  for (const d of [p.upper, p.work, p.merged]) await mkdirp(d, 0o755);
  await fsp.chmod(p.upper, 0o755);
  await mountOverlay({
    lowers: [...rec.Layers].reverse().map((c) => engine.layers.relDiff(c)),
    lowerBase: engine.layers.root,
    upper: p.upper,
    work: p.work,
    target: p.merged,
  });
  return p.merged;
}

/** Makes sure the working directory exists inside the rootfs (as dockerd does). */
async function ensureCwd(rootfs: string, cwd: string): Promise<void> {
  if (!cwd || cwd === '/') return;
  const dir = await resolveInRoot(rootfs, posix.normalize(cwd));
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
}

async function writeBundle(engine: Engine, rec: ContainerRecord, rootfs: string, net: NetSetup): Promise<void> {
  const p = engine.paths.container(rec.Id);
  const hc = rec.HostConfig;
  // A shared network stack comes with the other container's hostname and /etc files, as in dockerd.
  const shared = net.sharedWith;
  const host = shared ? shared.Config.Hostname || shared.Id.slice(0, 12) : rec.Config.Hostname || (hc.NetworkMode === 'host' ? osHostname() : rec.Id.slice(0, 12));
  if (shared) rec.Config.Hostname = host; // as dockerd: inspect and exec's HOSTNAME show the shared one
  const etc = shared ? etcPaths(engine.paths.container(shared.Id).dir) : await writeEtcFiles(p.dir, host, {
    extraHosts: [...(hc.ExtraHosts ?? []), ...net.hostsEntries], dns: hc.Dns?.length ? hc.Dns : net.nameservers, dnsSearch: hc.DnsSearch ?? [], dnsOptions: hc.DnsOptions ?? [], hostNetwork: hc.NetworkMode === 'host',
  });
  const user = await resolveUser(rootfs, rec.Config.User ?? '');
  await ensureCwd(rootfs, rec.Config.WorkingDir ?? '');
  const init = hc.Init ? initWrap([rec.Path, ...rec.Args], findInitBinary() ?? '/usr/bin/tini-static') : undefined;
  const spec = generateSpec({
    id: rec.Id, hostname: host, rootfs, args: init ? init.args : [rec.Path, ...rec.Args], env: rec.Config.Env ?? [],
    cwd: rec.Config.WorkingDir || '/', user, tty: !!rec.Config.Tty,
    cgroupsPath: `${engine.config.cgroupParent}/${rec.Id}`, etc, networkMode: net.hostNetwork ? 'host' : hc.NetworkMode ?? 'bridge', netnsPath: net.sandboxKey,
    privileged: !!hc.Privileged, availableCaps: hostCapabilities(), capAdd: hc.CapAdd ?? [], capDrop: hc.CapDrop ?? [], readonlyRootfs: !!hc.ReadonlyRootfs,
    mounts: [...(await setupMounts(engine, rec, rootfs)), ...(init ? [init.mount] : [])],
    resources: specResources(hc), rlimits: rlimits(hc), noNewPrivileges: securityOptions(hc).noNewPrivileges,
    devices: hc.Privileged ? hostDevices() : undefined,
    shmSize: hc.ShmSize ?? 64 * 1024 * 1024, oomScoreAdj: hc.OomScoreAdj ?? 0,
  });
  applyConsoleSize(spec, rec);
  const groupAdd = hc.GroupAdd as string[] | null | undefined;
  extendSpec(spec, hc, groupAdd?.length ? groupAddGids(groupAdd, await readFileInRoot(rootfs, 'etc/group')) : []);
  await atomicWriteJson(join(p.bundle, 'config.json'), spec, 0o600);
}

/** Removes what a previous run left in the bundle and runtime state. */
async function clearRunState(engine: Engine, id: string): Promise<void> {
  const p = engine.paths.container(id);
  await engine.runtime.delete(id, true);
  await fsp.rm(p.exitFile, { force: true });
  await fsp.rm(p.sockLink, { force: true });
  for (const f of ['ctl', 'winsz', 'attach', 'pidfile', 'conmon.pid']) await fsp.rm(join(p.bundle, f), { force: true });
}

/**
 * Starts a container: mounts its rootfs, writes the OCI bundle, has conmon create it and
 * runs `runtime start`. On failure everything it set up is undone and the error rethrown.
 */
export async function launch(engine: Engine, rec: ContainerRecord): Promise<ConmonResult> {
  const p = engine.paths.container(rec.Id);
  const t0 = Date.now();
  await mkdirp(p.bundle);
  await clearRunState(engine, rec.Id);
  const rootfs = await mountRootfs(engine, rec);
  const t1 = Date.now();
  try {
    const net = await setUpSandbox(engine.network, rec);
    await writeBundle(engine, rec, rootfs, net);
    const t2 = Date.now();
    const stdinFifo = join(p.bundle, 'stdin');
    const withStdin = !!rec.Config.OpenStdin && !rec.Config.Tty;
    if (withStdin) await engine.stdin.ensure(rec.Id, stdinFifo);
    const result = await startConmon(engine.conmonBin, {
      id: rec.Id, cuuid: rec.Id.slice(0, 12), name: rec.Name.slice(1), bundle: p.bundle, logPath: p.log,
      exitDir: engine.paths.exits, socketDir: engine.paths.socks, pidFile: join(p.bundle, 'pidfile'),
      conmonPidFile: join(p.bundle, 'conmon.pid'), tty: !!rec.Config.Tty, runtime: engine.runtime,
      stdin: withStdin ? { fifo: stdinFifo, wrapper: engine.stdin.wrapper } : undefined,
    });
    if (withStdin) engine.stdin.markRunning(rec.Id);
    const t3 = Date.now();
    await engine.runtime.start(rec.Id);
    engine.log.debug('launch timings', { id: rec.Id.slice(0, 12), mountMs: t1 - t0, bundleMs: t2 - t1, createMs: t3 - t2, startMs: Date.now() - t3 });
    return result;
  } catch (e) {
    await teardownRun(engine, rec.Id).catch(() => undefined);
    throw e;
  }
}

/** Undoes a run: runtime state, rootfs mount, bundle files, cgroups. Safe to call twice. */
export async function teardownRun(engine: Engine, id: string): Promise<void> {
  const p = engine.paths.container(id);
  engine.stdin.close(id);
  await engine.runtime.delete(id, true);
  await unmount(p.merged);
  await releaseMounts(engine, id);
  await fsp.rm(p.sockLink, { force: true });
  await fsp.rm(p.exitFile, { force: true });
  await fsp.rm(p.bundle, { recursive: true, force: true });
  const rec = engine.containers.find(id);
  if (rec) {
    await tearDownSandbox(engine.network, rec);
    if (rec.Net) await engine.containers.save(rec);
  }
  await removeCgroup(`${engine.config.cgroupParent}/${id}`);
}
