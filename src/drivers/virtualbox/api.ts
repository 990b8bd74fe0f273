import { join } from 'node:path';
import type { Exec, ExecResult } from '../../core/exec';
import { classifyVBoxError, isVBoxFailure, VBoxManageError, vboxErrorText } from './vbox-error';
import {
  parseCreatedHostOnlyIf,
  parseDhcpServers,
  parseGuestProperty,
  parseHostOnlyIfs,
  parseLease,
  parseMachineReadable,
  parseMediumUuid,
  parseVmList,
  vmInfoFrom,
  type DhcpServer,
  type HostOnlyIf,
  type VmInfo,
  type VmRef,
} from './vbox-parse';

export interface DhcpSettings {
  serverIp: string;
  netmask: string;
  lowerIp: string;
  upperIp: string;
}

export interface StorageAttachment {
  controller: string;
  port: number;
  device: number;
  type: 'dvddrive' | 'hdd';
  medium: string;
}

export type VmAction = 'acpipowerbutton' | 'poweroff' | 'resume';

/**
 * The VBoxManage calls the virtualbox driver makes, each parsed from VBoxManage's real output.
 * `vm` is a VM name or UUID (the driver passes the UUID it chose). Calls named "remove"/"delete"/
 * "unregister" resolve when the thing is already gone. Failures throw VBoxManageError.
 */
export interface VBoxManageApi {
  /** `--version`, e.g. "7.0.14r161095". Does not need VBoxSVC. */
  version(): Promise<string>;
  listVms(): Promise<VmRef[]>;
  /** `showvminfo --machinereadable`; undefined when no such VM is registered. */
  vmInfo(vm: string): Promise<VmInfo | undefined>;
  listHostOnlyIfs(): Promise<HostOnlyIf[]>;
  /** `hostonlyif create`: the new interface's name. */
  createHostOnlyIf(): Promise<string>;
  configureHostOnlyIf(name: string, ip: string, netmask: string): Promise<void>;
  removeHostOnlyIf(name: string): Promise<void>;
  listDhcpServers(): Promise<DhcpServer[]>;
  addDhcpServer(ifName: string, d: DhcpSettings): Promise<void>;
  modifyDhcpServer(ifName: string, d: DhcpSettings): Promise<void>;
  removeDhcpServer(ifName: string): Promise<void>;
  /** `dhcpserver findlease`: the address leased to `mac` (12 hex digits), if any. */
  findLease(ifName: string, mac: string): Promise<string | undefined>;
  /** `createvm --register` with the UUID the caller chose. */
  createVm(o: { name: string; uuid: string; baseFolder: string; osType: string }): Promise<void>;
  /** `modifyvm vm <settings...>`. */
  modifyVm(vm: string, settings: string[]): Promise<void>;
  addStorageController(vm: string, name: string, bus: 'sata'): Promise<void>;
  attachStorage(vm: string, a: StorageAttachment): Promise<void>;
  /** `createmedium disk` (VDI): the medium's UUID. */
  createDisk(path: string, sizeMb: number): Promise<string>;
  /** `closemedium disk --delete`. */
  deleteDisk(path: string): Promise<void>;
  setGuestProperty(vm: string, key: string, value: string): Promise<void>;
  getGuestProperty(vm: string, key: string): Promise<string | undefined>;
  addSharedFolder(vm: string, name: string, hostPath: string): Promise<void>;
  startVm(vm: string, uiType: string): Promise<void>;
  controlVm(vm: string, action: VmAction): Promise<void>;
  /** `unregistervm --delete`: the VM, its settings, logs and attached disks. */
  unregisterVm(vm: string): Promise<void>;
}

/** Where VBoxManage is: TSMACHINE_VBOXMANAGE, then (Windows) VirtualBox's install folders, then PATH. */
export function vboxManagePath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.TSMACHINE_VBOXMANAGE) return env.TSMACHINE_VBOXMANAGE;
  if (platform === 'win32') {
    const dir = env.VBOX_MSI_INSTALL_PATH ?? env.VBOX_INSTALL_PATH ?? 'C:\\Program Files\\Oracle\\VirtualBox';
    return join(dir, 'VBoxManage.exe');
  }
  return 'VBoxManage';
}

/**
 * VBoxManage translates its messages and list labels (VirtualBox 7 NLS): ask for English through
 * LC_MESSAGES, keeping the character set LC_ALL chose (moved to LC_CTYPE, since LC_ALL overrides).
 */
export function vboxManageEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, LC_MESSAGES: 'C' };
  if (out.LC_ALL) {
    out.LC_CTYPE = out.LC_ALL;
    delete out.LC_ALL;
  }
  return out;
}

/** The real adapter: runs VBoxManage through an Exec (no shell) and parses what it prints. */
export class VBoxManageCli implements VBoxManageApi {
  constructor(
    private readonly exec: Exec,
    private readonly command: string = vboxManagePath(),
    private readonly env: NodeJS.ProcessEnv = vboxManageEnv(),
  ) {}

  /** Runs one call. Like docker-machine, an `error:` line on stderr fails the call even with exit 0. */
  async run(args: string[]): Promise<ExecResult> {
    let r: ExecResult;
    try {
      r = await this.exec(this.command, args, { allowFailure: true, env: this.env });
    } catch (e) {
      throw new VBoxManageError(args, 'missing', `could not run ${this.command}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (r.code !== 0 || /^VBoxManage(\.exe)?: error:/m.test(r.stderr)) {
      throw new VBoxManageError(args, classifyVBoxError(r.stderr), `${vboxErrorText(r.stderr, r.stdout)} (exit code ${r.code})`);
    }
    return r;
  }

  private async ignoring(args: string[], ...gone: Parameters<typeof isVBoxFailure>[1][]): Promise<void> {
    try {
      await this.run(args);
    } catch (e) {
      if (!isVBoxFailure(e, ...gone)) throw e;
    }
  }

  async version() {
    return (await this.run(['--version'])).stdout.trim();
  }
  async listVms() {
    return parseVmList((await this.run(['list', 'vms'])).stdout);
  }
  async vmInfo(vm: string) {
    try {
      return vmInfoFrom(parseMachineReadable((await this.run(['showvminfo', vm, '--machinereadable'])).stdout));
    } catch (e) {
      if (isVBoxFailure(e, 'vm-not-found')) return undefined;
      throw e;
    }
  }
  async listHostOnlyIfs() {
    return parseHostOnlyIfs((await this.run(['list', 'hostonlyifs'])).stdout);
  }
  async createHostOnlyIf() {
    const r = await this.run(['hostonlyif', 'create']);
    const name = parseCreatedHostOnlyIf(`${r.stdout}\n${r.stderr}`);
    if (!name) throw new VBoxManageError(['hostonlyif', 'create'], 'failed', `no interface name in its output: ${r.stdout.trim()}`);
    return name;
  }
  async configureHostOnlyIf(name: string, ip: string, netmask: string) {
    await this.run(['hostonlyif', 'ipconfig', name, '--ip', ip, '--netmask', netmask]);
  }
  async removeHostOnlyIf(name: string) {
    await this.ignoring(['hostonlyif', 'remove', name], 'if-not-found');
  }
  async listDhcpServers() {
    return parseDhcpServers((await this.run(['list', 'dhcpservers'])).stdout);
  }
  private dhcpArgs(verb: string, ifName: string, d: DhcpSettings): string[] {
    return ['dhcpserver', verb, '--interface', ifName, '--server-ip', d.serverIp, '--netmask', d.netmask, '--lower-ip', d.lowerIp, '--upper-ip', d.upperIp, '--enable'];
  }
  async addDhcpServer(ifName: string, d: DhcpSettings) {
    await this.run(this.dhcpArgs('add', ifName, d));
  }
  async modifyDhcpServer(ifName: string, d: DhcpSettings) {
    await this.run(this.dhcpArgs('modify', ifName, d));
  }
  async removeDhcpServer(ifName: string) {
    // By network name: it works after the interface itself is gone.
    await this.ignoring(['dhcpserver', 'remove', '--network', `HostInterfaceNetworking-${ifName}`], 'dhcp-not-found');
  }
  async findLease(ifName: string, mac: string) {
    const colons = mac.replace(/[^0-9a-f]/gi, '').toLowerCase().replace(/(..)(?!$)/g, '$1:');
    try {
      const lease = parseLease((await this.run(['dhcpserver', 'findlease', '--interface', ifName, '--mac-address', colons])).stdout);
      // An expired or released lease is a previous boot's address.
      return lease && (!lease.state || lease.state === 'acked') ? lease.ip : undefined;
    } catch (e) {
      // No lease yet is an error from VBoxManage (VBOX_E_OBJECT_NOT_FOUND); so is a missing server.
      if (e instanceof VBoxManageError && e.failure !== 'missing' && e.failure !== 'access-denied' && e.failure !== 'no-service') return undefined;
      throw e;
    }
  }
  async createVm(o: { name: string; uuid: string; baseFolder: string; osType: string }) {
    await this.run(['createvm', '--name', o.name, '--uuid', o.uuid, '--basefolder', o.baseFolder, '--ostype', o.osType, '--register']);
  }
  async modifyVm(vm: string, settings: string[]) {
    await this.run(['modifyvm', vm, ...settings]);
  }
  async addStorageController(vm: string, name: string, bus: 'sata') {
    await this.run(['storagectl', vm, '--name', name, '--add', bus, '--portcount', '2', '--hostiocache', 'on', '--bootable', 'on']);
  }
  async attachStorage(vm: string, a: StorageAttachment) {
    await this.run(['storageattach', vm, '--storagectl', a.controller, '--port', String(a.port), '--device', String(a.device), '--type', a.type, '--medium', a.medium]);
  }
  async createDisk(path: string, sizeMb: number) {
    const r = await this.run(['createmedium', 'disk', '--filename', path, '--size', String(sizeMb), '--format', 'VDI']);
    const uuid = parseMediumUuid(`${r.stdout}\n${r.stderr}`);
    if (!uuid) throw new VBoxManageError(['createmedium', 'disk'], 'failed', `no medium UUID in its output: ${r.stdout.trim()}`);
    return uuid;
  }
  async deleteDisk(path: string) {
    await this.ignoring(['closemedium', 'disk', path, '--delete'], 'file-not-found');
  }
  async setGuestProperty(vm: string, key: string, value: string) {
    await this.run(['guestproperty', 'set', vm, key, value]);
  }
  async getGuestProperty(vm: string, key: string) {
    return parseGuestProperty((await this.run(['guestproperty', 'get', vm, key])).stdout);
  }
  async addSharedFolder(vm: string, name: string, hostPath: string) {
    await this.run(['sharedfolder', 'add', vm, '--name', name, '--hostpath', hostPath, '--automount']);
  }
  async startVm(vm: string, uiType: string) {
    await this.run(['startvm', vm, '--type', uiType]);
  }
  async controlVm(vm: string, action: VmAction) {
    await this.run(['controlvm', vm, action]);
  }
  async unregisterVm(vm: string) {
    await this.ignoring(['unregistervm', vm, '--delete'], 'vm-not-found');
  }
}
