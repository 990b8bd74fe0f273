import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { TsmError, errorMessage, isTsmError } from '../../core/errors';
import { step } from '../../core/progress';
import { sleep as realSleep, waitFor, type Sleep } from '../../core/wait';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import type { VBoxManageApi } from './api';
import { bootImageSource, ensureBootImage } from './boot-image';
import type { VirtualBoxConfig } from './config';
import { realVBoxHost, type VBoxHost } from './host';
import { HostOnlyNetwork, hostOnlyPlanOf } from './host-only-network';
import { discoverIp } from './ip-discovery';
import { allowedRangeProblem, checkPlatform, checkVBoxManage, cidrProblems, shareProblem, throwPrecheckProblems, vtxProblem } from './precheck';
import { isVBoxFailure } from './vbox-error';
import type { VmInfo } from './vbox-parse';
import { BOOT_IMAGE_FILE, buildVm, repairVmNetworking } from './vm-setup';
import { vboxLogHint, vmStateOf } from './vm-state';

export interface VirtualBoxTimeouts {
  /** Boot until the VM has an address on the host-only network. */
  ipMs: number;
  /** ACPI shutdown before stop() powers the VM off. */
  stopMs: number;
  /** A power-off to take effect. */
  powerOffMs: number;
}

export interface VirtualBoxDriverDeps {
  api: VBoxManageApi;
  host?: VBoxHost;
  sleep?: Sleep;
  pollMs?: number;
  timeouts?: Partial<VirtualBoxTimeouts>;
  newUuid?: () => string;
}

const DEFAULT_TIMEOUTS: VirtualBoxTimeouts = { ipMs: 180_000, stopMs: 60_000, powerOffMs: 30_000 };

/**
 * A VirtualBox VM driven through VBoxManage: NIC 1 NAT with 127.0.0.1:<port> forwarded to SSH,
 * NIC 2 on a host-only network (found or created) where the engine is reached. The VM is
 * addressed by the UUID tsmachine gave it, never by name, so a same-named VM is never touched.
 */
export class VirtualBoxDriver implements Driver {
  private readonly api: VBoxManageApi;
  private readonly host: VBoxHost;
  private readonly nap: Sleep;
  private readonly pollMs: number;
  private readonly timeouts: VirtualBoxTimeouts;
  private readonly newUuid: () => string;
  private readonly net: HostOnlyNetwork;

  constructor(private readonly ctx: DriverContext<VirtualBoxConfig>, deps: VirtualBoxDriverDeps) {
    this.api = deps.api;
    this.host = deps.host ?? realVBoxHost;
    this.nap = deps.sleep ?? realSleep;
    this.pollMs = deps.pollMs ?? 1000;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
    this.newUuid = deps.newUuid ?? randomUUID;
    this.net = new HostOnlyNetwork(this.api, ctx, () => this.checkAbort());
  }

  private get c(): VirtualBoxConfig {
    return this.ctx.config;
  }

  private checkAbort(): void {
    const s = this.ctx.signal;
    if (s?.aborted) throw new TsmError('ABORTED', 'interrupted', { cause: s.reason });
  }

  /** A bounded poll; `interruptible: false` (remove) ignores ctx.signal. */
  private wait<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>, interruptible = true): Promise<T> {
    const signal = interruptible ? this.ctx.signal : undefined;
    return waitFor(fn, { what, timeoutMs, intervalMs: this.pollMs, signal, sleep: this.nap });
  }

  async preCreateCheck(): Promise<void> {
    const version = await checkVBoxManage(this.api);
    checkPlatform(version, this.host.platform);
    const vms = await this.api.listVms().catch((e) => {
      throw new TsmError('PRECREATE_FAILED', errorMessage(e), { cause: e, suggestion: isTsmError(e) ? e.suggestion : undefined });
    });
    if (vms.some((v) => v.name === this.ctx.name)) {
      throw new TsmError('PRECREATE_FAILED', `a VirtualBox VM named "${this.ctx.name}" already exists`, {
        suggestion: `choose another machine name, or delete that VM (VBoxManage unregistervm "${this.ctx.name}" --delete)`,
      });
    }
    const ifs = await this.api.listHostOnlyIfs();
    const share = this.c.shareFolder;
    const problems = [
      this.c.noVtxCheck ? undefined : vtxProblem(await this.host.cpuInfo()),
      ...cidrProblems(this.c.hostOnlyCidr, ifs, this.host),
      await allowedRangeProblem(this.c.hostOnlyCidr, version, this.host),
      shareProblem(this.c, share ? await this.host.exists(share.dir) : true),
    ].filter((p) => p !== undefined);
    throwPrecheckProblems(problems);
    await ensureBootImage(this.host, bootImageSource(this.c.bootImage, this.ctx.storePath), this.ctx.progress, this.ctx.signal);
  }

  async create(): Promise<void> {
    const p = this.ctx.progress;
    const image = await ensureBootImage(this.host, bootImageSource(this.c.bootImage, this.ctx.storePath), p, this.ctx.signal);
    const bootImage = join(this.ctx.dir, BOOT_IMAGE_FILE);
    await this.host.copyFile(image, bootImage);
    this.checkAbort();
    const ifName = await step(p, 'network', `host-only network ${this.c.hostOnlyCidr}`, () => this.net.ensure());
    const uuid = await step(p, 'vm', `VirtualBox VM "${this.ctx.name}"`, () =>
      buildVm({ api: this.api, host: this.host, ctx: this.ctx, checkAbort: () => this.checkAbort(), newUuid: this.newUuid }, { bootImage, hostOnlyIf: ifName }),
    );
    await step(p, 'boot', `boot "${this.ctx.name}"`, () => this.boot(uuid));
  }

  private vmUuid(): string {
    const vm = this.c.resources.vm;
    if (!vm) throw new TsmError('MACHINE_NOT_FOUND', `VirtualBox machine "${this.ctx.name}" has no VM`, { suggestion: `remove it and create it again: tsmachine rm ${this.ctx.name}` });
    return vm.uuid;
  }

  private async info(): Promise<VmInfo> {
    const uuid = this.vmUuid();
    const info = await this.api.vmInfo(uuid);
    if (!info) {
      throw new TsmError('MACHINE_NOT_FOUND', `the VirtualBox VM ${uuid} of "${this.ctx.name}" is no longer registered`, {
        suggestion: `remove the machine: tsmachine rm -f ${this.ctx.name}`,
      });
    }
    return info;
  }

  /** Starts a powered-off or saved VM and waits for its address. */
  private async boot(uuid: string): Promise<void> {
    try {
      await this.api.startVm(uuid, this.c.uiType);
    } catch (e) {
      const detail = await this.logHint(await this.api.vmInfo(uuid).catch(() => undefined));
      throw new TsmError('DRIVER_ERROR', `could not start VirtualBox VM "${this.ctx.name}": ${errorMessage(e)}${detail}`, { cause: e, suggestion: isTsmError(e) ? e.suggestion : undefined });
    }
    this.checkAbort();
    await this.waitForIp(uuid);
  }

  private logHint(info: VmInfo | undefined): Promise<string> {
    return vboxLogHint(this.host, info?.cfgFile);
  }

  private async waitForIp(uuid: string): Promise<string> {
    const plan = hostOnlyPlanOf(this.c);
    const what = `an address for VirtualBox VM "${this.ctx.name}" on ${plan.network} (Guest Additions property or DHCP lease of NIC 2)`;
    const found = await this.wait(what, this.timeouts.ipMs, async () => {
      const info = await this.api.vmInfo(uuid);
      const state = vmStateOf(info?.state);
      if (!info || state === 'Stopped' || state === 'Error') return { dead: info?.state ?? 'unregistered', info };
      if (state !== 'Running') throw new Error(`the VM is ${info.state}`);
      return discoverIp(this.api, uuid, info, plan);
    });
    if ('dead' in found) {
      throw new TsmError('DRIVER_ERROR', `VirtualBox VM "${this.ctx.name}" stopped while booting (state ${found.dead})${await this.logHint(found.info)}`, {
        suggestion: 'check the boot image (--virtualbox-boot2docker-url) and the VM log in the machine folder',
      });
    }
    this.ctx.progress({ kind: 'info', message: `"${this.ctx.name}" has ${found.ip} (from its ${found.source})` });
    this.c.ip = found.ip;
    await this.ctx.save();
    return found.ip;
  }

  async start(): Promise<void> {
    const info = await this.info();
    const state = vmStateOf(info.state);
    if (state === 'Paused') await this.api.controlVm(info.uuid, 'resume');
    if (state === 'Running' || state === 'Starting' || state === 'Paused') {
      await this.waitForIp(info.uuid);
      return;
    }
    if (state === 'Stopped') await repairVmNetworking(this.api, this.host, this.ctx, info, await this.net.ensure());
    await this.boot(info.uuid);
  }

  async stop(): Promise<void> {
    const info = await this.info();
    let state = vmStateOf(info.state);
    if (state === 'Paused') {
      await this.api.controlVm(info.uuid, 'resume');
      state = 'Running';
    }
    if (state !== 'Running' && state !== 'Starting') return;
    await this.api.controlVm(info.uuid, 'acpipowerbutton').catch((e) => {
      if (!isVBoxFailure(e, 'not-running')) throw e;
    });
    try {
      await this.wait(`VirtualBox VM "${this.ctx.name}" to shut down after the ACPI power button`, this.timeouts.stopMs, async () => !this.isOn(await this.api.vmInfo(info.uuid)));
    } catch (e) {
      if (!isTsmError(e, 'TIMEOUT')) throw e;
      this.ctx.progress({ kind: 'warn', message: `"${this.ctx.name}" did not shut down within ${Math.round(this.timeouts.stopMs / 1000)}s: powering it off` });
      await this.powerOff(info.uuid);
    }
  }

  private isOn(info: VmInfo | undefined): boolean {
    const s = vmStateOf(info?.state);
    return info !== undefined && s !== 'Stopped' && s !== 'Saved' && s !== 'None';
  }

  /** Hard power-off, waited for; not interruptible in remove(), so a Ctrl-C'd create still cleans up. */
  private async powerOff(uuid: string, interruptible = true): Promise<void> {
    await this.api.controlVm(uuid, 'poweroff').catch((e) => {
      if (!isVBoxFailure(e, 'not-running', 'vm-not-found')) throw e;
    });
    await this.wait(`VirtualBox VM "${this.ctx.name}" to power off`, this.timeouts.powerOffMs, async () => !this.isOn(await this.api.vmInfo(uuid)), interruptible);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async kill(): Promise<void> {
    const info = await this.info();
    if (this.isOn(info)) await this.powerOff(info.uuid);
  }

  /**
   * Deletes the VM (powered off first, `unregistervm --delete`), then the disk if it is still
   * there, then the host-only interface and DHCP server if this machine made them and no other VM
   * uses them. Already gone is success; whatever cannot be deleted is listed and stays recorded.
   * Ignores ctx.signal: it runs after an interrupted create.
   */
  async remove(): Promise<void> {
    const res = this.c.resources;
    const failed: string[] = [];
    const vm = res.vm;
    if (vm) {
      try {
        if (this.isOn(await this.api.vmInfo(vm.uuid))) await this.powerOff(vm.uuid, false);
        await this.api.unregisterVm(vm.uuid);
        delete res.vm;
        await this.ctx.save();
      } catch (e) {
        failed.push(`VM ${vm.uuid} ("${vm.name}"): ${errorMessage(e)}`);
      }
    }
    if (res.vm) {
      if (res.disk) failed.push(`disk ${res.disk}: kept, the VM still uses it`);
      if (res.hostOnlyIf?.created || res.dhcpServer) failed.push(`host-only interface ${res.hostOnlyIf?.name}: kept, the VM still uses it`);
    } else {
      await this.removeDisk(failed);
      failed.push(...(await this.net.release(vm?.uuid).catch((e) => [`host-only interface ${res.hostOnlyIf?.name}: ${errorMessage(e)}`])));
    }
    if (failed.length > 0) {
      throw new TsmError('DRIVER_ERROR', `could not delete everything of VirtualBox machine "${this.ctx.name}":\n  ${failed.join('\n  ')}`, {
        suggestion: `fix the cause and run "tsmachine rm -f ${this.ctx.name}" again (what is left stays recorded)`,
      });
    }
  }

  /** `unregistervm --delete` took the attached disk with it; this catches one never attached. */
  private async removeDisk(failed: string[]): Promise<void> {
    const disk = this.c.resources.disk;
    if (!disk) return;
    try {
      if (await this.host.exists(disk)) await this.api.deleteDisk(disk);
      delete this.c.resources.disk;
      await this.ctx.save();
    } catch (e) {
      failed.push(`disk ${disk}: ${errorMessage(e)}`);
    }
  }

  async state(): Promise<MachineState> {
    const vm = this.c.resources.vm;
    if (!vm) return 'None';
    try {
      const info = await this.api.vmInfo(vm.uuid);
      return info ? vmStateOf(info.state) : 'Error';
    } catch {
      return 'Error';
    }
  }

  async ip(): Promise<string> {
    const info = await this.info();
    if (!this.isOn(info) || vmStateOf(info.state) !== 'Running') {
      throw new TsmError('MACHINE_NOT_RUNNING', `VirtualBox VM "${this.ctx.name}" is ${info.state}: it has no address`, { suggestion: `start it: tsmachine start ${this.ctx.name}` });
    }
    const found = await discoverIp(this.api, info.uuid, info, hostOnlyPlanOf(this.c));
    if (found && found.ip !== this.c.ip) {
      this.c.ip = found.ip;
      await this.ctx.save();
    }
    const ip = found?.ip ?? this.c.ip;
    if (!ip) throw new TsmError('DRIVER_ERROR', `VirtualBox VM "${this.ctx.name}" has no address on ${this.c.hostOnlyCidr} yet`, { suggestion: 'wait for it to boot, or restart it' });
    return ip;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    if (!this.c.sshPort) throw new TsmError('DRIVER_ERROR', `VirtualBox machine "${this.ctx.name}" has no SSH port forward`, { suggestion: `remove it and create it again: tsmachine rm ${this.ctx.name}` });
    return { host: '127.0.0.1', port: this.c.sshPort, user: this.c.sshUser, privateKeyPath: this.ctx.sshKeyPath };
  }

  async addresses(): Promise<string[]> {
    return [await this.ip()];
  }
}
