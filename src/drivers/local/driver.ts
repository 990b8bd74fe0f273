import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import { TsmError, type Problem } from '../../core/errors';
import { step } from '../../core/progress';
import type { LocalHostApi } from './api';
import { cgroupHierarchies, cgroupPids, createMachineCgroups, machineCgroupLayout, removeCgroups, type MachineCgroups } from './cgroups';
import { ID_LENGTH, namesFor, type LocalConfig } from './config';
import { HOST_STATE_DIR } from './host-lock';
import { renderInitScript, renderStartScript } from './init-script';
import { IpAllocator } from './ip-allocator';
import { isAlive, launchMachine, waitExit, waitForSsh, type PinnedPid } from './machine-process';
import { LocalNetwork } from './network';
import { findPrograms, localPreCreateCheck } from './preflight';

/** Seconds the machine's processes get after SIGTERM (inside), and how long stop() waits in all. */
export const GRACE_SECONDS = 8;
const STOP_TIMEOUT_MS = (GRACE_SECONDS + 2) * 1000;
const BOOT_TIMEOUT_MS = 30_000;

export interface LocalDriverDeps {
  api: LocalHostApi;
  /** Host-wide state (leases, lock); HOST_STATE_DIR unless a test isolates it. */
  stateDir?: string;
}

/**
 * A local machine: a system container on this host (see init-script.ts for its boot). Every
 * host resource is recorded in `config.resources` before it is made, so remove() finds it.
 */
export class LocalDriver implements Driver {
  private readonly api: LocalHostApi;
  private readonly net: LocalNetwork;
  private readonly leases: IpAllocator;

  constructor(private readonly ctx: DriverContext<LocalConfig>, deps: LocalDriverDeps) {
    this.api = deps.api;
    this.net = new LocalNetwork(deps.api);
    this.leases = new IpAllocator(deps.stateDir ?? HOST_STATE_DIR);
  }

  private get c(): LocalConfig {
    return this.ctx.config;
  }

  /** The driver's own folder inside the machine folder. */
  get localDir(): string {
    return join(this.ctx.dir, 'local');
  }

  get logPath(): string {
    return join(this.localDir, 'console.log');
  }

  private get pinned(): PinnedPid | undefined {
    return this.c.pid && this.c.pidStartTime !== undefined ? { pid: this.c.pid, startTime: this.c.pidStartTime } : undefined;
  }

  preCreateCheck(): Promise<void> {
    return localPreCreateCheck(this.api, this.ctx.dir, this.c);
  }

  async create(): Promise<void> {
    if (!this.c.id) {
      let id = randomBytes(ID_LENGTH / 2).toString('hex');
      while (await this.net.netnsExists(namesFor(id).netns)) id = randomBytes(ID_LENGTH / 2).toString('hex');
      this.c.id = id;
      await this.ctx.save();
    }
    await this.boot('create');
  }

  async start(): Promise<void> {
    if (!this.c.id) {
      throw new TsmError('MACHINE_NOT_FOUND', `local machine "${this.ctx.name}" was never created`, { suggestion: `remove it and create it again: tsmachine rm ${this.ctx.name}` });
    }
    if (await this.isRunning()) return;
    await this.boot('start');
  }

  private async boot(what: 'create' | 'start'): Promise<void> {
    const label = `${what} local machine "${this.ctx.name}"`;
    const p = this.ctx.progress;
    await step(p, 'network', `network for ${this.ctx.name}`, () => this.ensureNetwork());
    const missing: Problem[] = [];
    const programs = await findPrograms(this.api, missing);
    if (missing.length > 0) {
      throw new TsmError('DRIVER_ERROR', `${label}: ${missing.map((m) => m.message).join(', ')}`, { suggestion: missing[0].suggestion, problems: missing });
    }
    await this.killStragglers();
    const cgroups = await this.ensureCgroups();
    const pid = await step(p, 'boot', `boot ${this.ctx.name}`, async () => {
      const startScript = await this.writeScripts(programs, cgroups);
      return launchMachine(this.api, { startScript, logPath: this.logPath, what: label });
    });
    this.c.pid = pid.pid;
    this.c.pidStartTime = pid.startTime;
    await this.ctx.save();
    await step(p, 'sshd', `sshd on ${this.c.ip}`, () =>
      waitForSsh(this.api, { pid, ip: this.c.ip!, logPath: this.logPath, what: label, timeoutMs: BOOT_TIMEOUT_MS, signal: this.ctx.signal }),
    );
  }

  /** Bridge and FORWARD rules (shared), the IP lease, netns, veth and NAT. Idempotent. */
  private async ensureNetwork(): Promise<void> {
    const id = this.c.id!;
    const names = namesFor(id);
    await this.leases.withLock(async () => {
      await this.net.ensureBridge(this.c.bridge, this.c.subnet);
      await this.net.ensureForwardRules(this.c.bridge);
      const ip = await this.leases.lockedAllocate(this.c.bridge, this.c.subnet, { id, machine: this.ctx.name, dir: this.ctx.dir }, this.c.ip);
      if (this.c.ip && this.c.ip !== ip) this.ctx.progress({ kind: 'warn', message: `${this.c.ip} is taken: ${this.ctx.name} now has ${ip}` });
      this.c.ip = ip;
      this.c.resources.lease = ip;
      await this.ctx.save();
    }, this.ctx.signal);
    this.c.resources.netns = names.netns;
    this.c.resources.veth = names.veth;
    await this.ctx.save();
    await this.net.ensureNetns(names.netns);
    await this.net.ensureMachineLink({ netns: names.netns, veth: names.veth, bridge: this.c.bridge, ip: this.c.ip!, subnet: this.c.subnet });
    if (this.c.nat) {
      this.c.resources.nat = true;
      await this.ctx.save();
      await this.leases.withLock(() => this.net.addNat(this.c.bridge, this.c.ip!), this.ctx.signal);
    }
  }

  private async ensureCgroups(): Promise<MachineCgroups> {
    const planned = machineCgroupLayout(cgroupHierarchies(await this.api.mounts()), this.c.id!).dirs;
    this.c.resources.cgroups = [...new Set([...(this.c.resources.cgroups ?? []), ...planned])];
    await this.ctx.save();
    return createMachineCgroups(this.api, this.c.id!, { memoryMb: this.c.memoryMb, cpus: this.c.cpus });
  }

  private async writeScripts(programs: Awaited<ReturnType<typeof findPrograms>>, cgroups: MachineCgroups): Promise<string> {
    await fs.mkdir(this.localDir, { recursive: true, mode: 0o700 });
    const init = renderInitScript({
      name: this.ctx.name,
      ip: this.c.ip!,
      localDir: this.localDir,
      sshPublicKey: this.ctx.sshPublicKey,
      hide: hiddenPaths(this.ctx.storePath),
      tini: programs.tini,
      sshd: programs.sshd,
      graceSeconds: GRACE_SECONDS,
      enterBeforeCgroupns: cgroups.enterBeforeCgroupns,
      unshare: programs.unshare,
    });
    const start = renderStartScript({
      localDir: this.localDir,
      netnsPath: `/run/netns/${namesFor(this.c.id!).netns}`,
      cgroupDirs: cgroups.wrapperDirs,
      cgroupns: !cgroups.enterBeforeCgroupns,
      nsenter: programs.nsenter,
      unshare: programs.unshare,
    });
    await fs.writeFile(join(this.localDir, 'init.sh'), init, { mode: 0o700 });
    await fs.writeFile(join(this.localDir, 'start.sh'), start, { mode: 0o700 });
    return join(this.localDir, 'start.sh');
  }

  /** Every process in the machine's cgroups (its wrapper and whatever it left). */
  private async machinePids(): Promise<number[]> {
    const all = await Promise.all((this.c.resources.cgroups ?? []).map((d) => cgroupPids(this.api, d)));
    return [...new Set(all.flat())];
  }

  /** SIGKILLs whatever is still in the machine's cgroups and waits until they are empty. */
  private async killStragglers(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let pids = await this.machinePids(); pids.length > 0; pids = await this.machinePids()) {
      if (Date.now() > deadline) {
        throw new TsmError('DRIVER_ERROR', `processes ${pids.join(', ')} of local machine "${this.ctx.name}" do not exit`, { suggestion: 'check them with ps; they may be stuck in uninterruptible I/O' });
      }
      for (const pid of pids) this.api.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async isRunning(): Promise<boolean> {
    return isAlive(this.api, this.pinned ?? {});
  }

  async stop(): Promise<void> {
    const pid = this.pinned;
    if (pid && (await isAlive(this.api, pid))) {
      this.api.kill(pid.pid, 'SIGTERM');
      if (!(await waitExit(this.api, pid, STOP_TIMEOUT_MS))) {
        this.ctx.progress({ kind: 'warn', message: `${this.ctx.name} did not stop within ${STOP_TIMEOUT_MS / 1000}s: killing it` });
      }
    }
    await this.kill();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    const pid = this.pinned;
    if (pid && (await isAlive(this.api, pid))) {
      this.api.kill(pid.pid, 'SIGKILL');
      await waitExit(this.api, pid, 5000);
    }
    await this.killStragglers();
    if (this.c.pid !== undefined) {
      delete this.c.pid;
      delete this.c.pidStartTime;
      await this.ctx.save();
    }
  }

  async remove(): Promise<void> {
    await this.kill();
    const r = this.c.resources;
    if (r.nat && this.c.ip) {
      await this.leases.withLock(() => this.net.removeNat(this.c.bridge, this.c.ip!), this.ctx.signal);
      r.nat = false;
      await this.ctx.save();
    }
    await this.net.removeMachineLink(r.netns, r.veth);
    delete r.netns;
    delete r.veth;
    await this.ctx.save();
    await removeCgroups(this.api, r.cgroups ?? []);
    delete r.cgroups;
    await this.ctx.save();
    if (this.c.id) await this.leases.release(this.c.id);
    delete r.lease;
    await this.ctx.save();
    await this.api.rmTree(this.localDir);
  }

  async state(): Promise<MachineState> {
    return (await this.isRunning()) ? 'Running' : 'Stopped';
  }

  async ip(): Promise<string> {
    if (!this.c.ip) {
      throw new TsmError('DRIVER_ERROR', `local machine "${this.ctx.name}" has no IP address yet`, { suggestion: `start it: tsmachine start ${this.ctx.name}` });
    }
    return this.c.ip;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    return { host: await this.ip(), port: 22, user: 'root', privateKeyPath: this.ctx.sshKeyPath };
  }

  async addresses(): Promise<string[]> {
    return [await this.ip()];
  }
}

/** Host folders that must look empty in a machine: the store, the lease files, the default store. */
export function hiddenPaths(storePath: string): string[] {
  const keep = ['/root/.ssh', '/etc', '/var/lib/tsagent', '/var/lib/docker', '/usr', '/bin', '/lib'];
  const candidates = [storePath, '/var/lib/tsmachine', join(homedir(), '.tsmachine')];
  return [...new Set(candidates)].filter(
    (p) => p.split('/').filter(Boolean).length >= 2 && !keep.some((k) => k === p || k.startsWith(`${p}/`)),
  );
}
