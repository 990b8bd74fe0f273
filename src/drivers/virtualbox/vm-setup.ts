import { join } from 'node:path';
import type { DriverContext } from '../driver';
import type { VBoxManageApi } from './api';
import type { VirtualBoxConfig } from './config';
import type { VBoxHost } from './host';
import type { VmInfo } from './vbox-parse';

/** Guest properties tsos reads at boot (VBoxControl): the key sshd accepts and the host name. */
export const GUEST_KEYS = {
  sshAuthorizedKeys: '/tsmachine/SSHAuthorizedKeys',
  hostname: '/tsmachine/Hostname',
};

export const STORAGE_CONTROLLER = 'SATA';
export const DISK_FILE = 'disk.vdi';
export const BOOT_IMAGE_FILE = 'boot.iso';

/** The NAT rule forwarding 127.0.0.1:<port> to the guest's SSH port. */
export function sshForward(port: number): string {
  return `ssh,tcp,127.0.0.1,${port},,22`;
}

/** docker-machine's default share: the users' home folders, under the name boot2docker mounts. */
export function defaultShare(platform: NodeJS.Platform): { dir: string; name: string } | undefined {
  if (platform === 'linux') return { dir: '/home', name: 'hosthome' };
  if (platform === 'darwin') return { dir: '/Users', name: 'Users' };
  if (platform === 'win32') return { dir: 'C:\\Users', name: 'c/Users' };
  return undefined;
}

const onOff = (b: boolean) => (b ? 'on' : 'off');

/** Every `modifyvm` setting of a new VM: hardware, NAT NIC 1 with the SSH forward, host-only NIC 2. */
export function vmSettings(c: VirtualBoxConfig, o: { cpus: number; sshPort: number; hostOnlyIf: string }): string[] {
  return [
    '--memory', String(c.memoryMb),
    '--cpus', String(o.cpus),
    '--acpi', 'on',
    '--ioapic', 'on',
    '--rtcuseutc', 'on',
    '--boot1', 'dvd',
    '--boot2', 'disk',
    '--boot3', 'none',
    '--boot4', 'none',
    '--nic1', 'nat',
    '--nictype1', c.natNicType,
    '--cableconnected1', 'on',
    '--natdnsproxy1', onOff(c.dnsProxy),
    '--natdnshostresolver1', onOff(c.hostDnsResolver),
    '--natpf1', sshForward(o.sshPort),
    '--nic2', 'hostonly',
    '--nictype2', c.hostOnlyNicType,
    '--nicpromisc2', c.hostOnlyPromisc,
    '--hostonlyadapter2', o.hostOnlyIf,
    '--cableconnected2', 'on',
  ];
}

export interface VmSetup {
  api: VBoxManageApi;
  host: VBoxHost;
  ctx: DriverContext<VirtualBoxConfig>;
  checkAbort: () => void;
  newUuid: () => string;
}

/**
 * Creates and configures the VM (not started): each made thing is recorded before the call that
 * makes it (the VM by the UUID chosen here, the disk by its path), so an interrupted create is
 * rolled back completely.
 */
export async function buildVm(s: VmSetup, o: { bootImage: string; hostOnlyIf: string }): Promise<string> {
  const { api, ctx, checkAbort } = s;
  const c = ctx.config;
  const uuid = s.newUuid();
  c.resources.vm = { uuid, name: ctx.name };
  await ctx.save();
  await api.createVm({ name: ctx.name, uuid, baseFolder: ctx.dir, osType: 'Linux_64' });
  checkAbort();
  c.sshPort = await s.host.freePort();
  await ctx.save();
  const cpus = c.cpus > 0 ? c.cpus : Math.min(32, Math.max(1, s.host.cpuCount()));
  await api.modifyVm(uuid, vmSettings(c, { cpus, sshPort: c.sshPort, hostOnlyIf: o.hostOnlyIf }));
  checkAbort();
  await api.addStorageController(uuid, STORAGE_CONTROLLER, 'sata');
  checkAbort();
  await api.attachStorage(uuid, { controller: STORAGE_CONTROLLER, port: 0, device: 0, type: 'dvddrive', medium: o.bootImage });
  checkAbort();
  const disk = join(ctx.dir, DISK_FILE);
  c.resources.disk = disk;
  await ctx.save();
  await api.createDisk(disk, c.diskSizeMb);
  checkAbort();
  await api.attachStorage(uuid, { controller: STORAGE_CONTROLLER, port: 1, device: 0, type: 'hdd', medium: disk });
  checkAbort();
  await api.setGuestProperty(uuid, GUEST_KEYS.sshAuthorizedKeys, ctx.sshPublicKey.trim());
  await api.setGuestProperty(uuid, GUEST_KEYS.hostname, ctx.name);
  checkAbort();
  await addShare(s, uuid);
  return uuid;
}

async function addShare(s: VmSetup, uuid: string): Promise<void> {
  const c = s.ctx.config;
  if (c.noShare) return;
  const share = c.shareFolder ?? defaultShare(s.host.platform);
  if (!share || !(await s.host.exists(share.dir))) return;
  // VBoxService automounts the share at /<name> (boot2docker's layout: /hosthome, /Users).
  await s.api.setGuestProperty(uuid, '/VirtualBox/GuestAdd/SharedFolders/MountPrefix', '/');
  await s.api.setGuestProperty(uuid, '/VirtualBox/GuestAdd/SharedFolders/MountDir', '/');
  await s.api.addSharedFolder(uuid, share.name, share.dir);
  s.checkAbort();
}

/**
 * Before a cold boot: NIC 2 must point at the host-only interface (it may have been re-created
 * under another name) and the SSH forward at a port that is free now (another program may hold
 * the old one). Changes nothing when both still hold.
 */
export async function repairVmNetworking(api: VBoxManageApi, host: VBoxHost, ctx: DriverContext<VirtualBoxConfig>, info: VmInfo, ifName: string): Promise<void> {
  const c = ctx.config;
  const settings: string[] = [];
  if (info.nics.find((n) => n.index === 2)?.hostOnlyAdapter !== ifName) settings.push('--hostonlyadapter2', ifName);
  const fwd = info.forwards.find((f) => f.name === 'ssh');
  const portOk = !!c.sshPort && (await host.portFree(c.sshPort));
  if (!portOk || fwd?.hostPort !== c.sshPort) {
    const port = portOk ? c.sshPort! : await host.freePort();
    if (fwd) await api.modifyVm(info.uuid, ['--natpf1', 'delete', 'ssh']);
    settings.push('--natpf1', sshForward(port));
    c.sshPort = port;
    await ctx.save();
  }
  if (settings.length > 0) await api.modifyVm(info.uuid, settings);
}
