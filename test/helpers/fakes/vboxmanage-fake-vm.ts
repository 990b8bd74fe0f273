/** The fake VBoxManage's VM commands: createvm, modifyvm, storage, shared folders, guest properties, power. */
import { existsSync, mkdirSync, rmSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { releaseLeases, leaseFor } from './vboxmanage-fake-net';
import { showVmInfo } from './vboxmanage-fake-vm-info';
import {
  PROGRESS,
  fail,
  fileNotFound,
  findVm,
  locked,
  newMac,
  newUuid,
  ok,
  parseOpts,
  syntax,
  vmNotFound,
  type FakeResult,
  type FakeState,
  type FakeVm,
} from './vboxmanage-fake-state';

const NIC_TYPES = ['Am79C970A', 'Am79C973', '82540EM', '82543GC', '82545EM', 'virtio'];
const ATTACHMENTS = ['none', 'null', 'nat', 'bridged', 'intnet', 'hostonly', 'natnetwork', 'generic'];
const OS_TYPES = ['Linux_64', 'Linux26_64', 'Other_64', 'Linux', 'Other'];

const isOn = (vm: FakeVm) => vm.state === 'running' || vm.state === 'paused';

export function createvm(s: FakeState, args: string[]): FakeResult {
  const { opts } = parseOpts(args, ['--register']);
  const name = opts['--name'];
  if (!name) return syntax('Parameter --name is required');
  const ostype = opts['--ostype'] ?? 'Other';
  if (!OS_TYPES.includes(ostype)) return fail([`Guest OS type '${ostype}' is invalid`]);
  const uuid = (opts['--uuid'] ?? newUuid()).replace(/[{}]/g, '').toLowerCase();
  if (s.vms.some((v) => v.uuid === uuid)) return fail([`Machine UUID {${uuid}} is already in use`]);
  const base = opts['--basefolder'] ?? join(process.env.HOME ?? '/root', 'VirtualBox VMs');
  const cfgFile = join(resolve(base), name, `${name}.vbox`);
  if (existsSync(cfgFile)) return fail([`Machine settings file '${cfgFile}' already exists`, 'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MachineWrap, interface IMachine, callee nsISupports']);
  mkdirSync(dirname(cfgFile), { recursive: true });
  writeFileSync(cfgFile, `<?xml version="1.0"?>\n<VirtualBox><Machine uuid="{${uuid}}" name="${name}"/></VirtualBox>\n`);
  const nics: FakeVm['nics'] = {};
  for (let i = 1; i <= 8; i++) nics[String(i)] = { attachment: i === 1 ? 'nat' : 'none', type: '82540EM', mac: newMac(), cable: true, promisc: 'deny' };
  s.vms.push({ name, uuid, cfgFile, ostype, state: 'poweroff', memory: 128, cpus: 1, settings: {}, nics, natpf: [], controllers: [], attachments: [], guestProps: {}, sharedFolders: [] });
  return ok(`Virtual machine '${name}' is created and registered.\nUUID: ${uuid}\nSettings file: '${cfgFile}'\n`);
}

function natpf(vm: FakeVm, value: string, extra: string | undefined): FakeResult | undefined {
  if (value === 'delete') {
    const i = vm.natpf.findIndex((r) => r.split(',')[0] === extra);
    if (i < 0) return fail(['A NAT rule of this name does not exist']);
    vm.natpf.splice(i, 1);
    return undefined;
  }
  const parts = value.split(',');
  if (parts.length !== 6 || !/^(tcp|udp)$/.test(parts[1]) || !/^\d+$/.test(parts[3]) || !/^\d+$/.test(parts[5])) return syntax(`Invalid NAT rule: ${value}`);
  if (vm.natpf.some((r) => r.split(',')[0] === parts[0])) return fail(['A NAT rule of this name already exists']);
  if (vm.natpf.some((r) => r.split(',')[2] === parts[2] && r.split(',')[3] === parts[3])) return fail(['A NAT rule for this host port and this host IP already exists']);
  vm.natpf.push(value);
  return undefined;
}

function nicSetting(vm: FakeVm, key: string, value: string): FakeResult | undefined {
  const m = /^--(nic|nictype|cableconnected|hostonlyadapter|nicpromisc|natdnsproxy|natdnshostresolver|macaddress)(\d)$/.exec(key);
  if (!m) return syntax(`Unknown option: ${key}`);
  const nic = vm.nics[m[2]];
  if (!nic) return syntax(`Invalid NIC number ${m[2]}`);
  if (m[1] === 'nic') {
    if (!ATTACHMENTS.includes(value)) return syntax(`Invalid type '${value}' specfied for NIC ${m[2]}`);
    nic.attachment = value as FakeVm['nics'][string]['attachment'];
  } else if (m[1] === 'nictype') {
    if (!NIC_TYPES.includes(value)) return syntax(`Invalid NIC type '${value}' specified for NIC ${m[2]}`);
    nic.type = value;
  } else if (m[1] === 'cableconnected') nic.cable = value === 'on';
  else if (m[1] === 'hostonlyadapter') nic.hostOnlyAdapter = value;
  else if (m[1] === 'nicpromisc') {
    if (!['deny', 'allow-vms', 'allow-all'].includes(value)) return syntax(`Unknown promiscuous mode policy '${value}'`);
    nic.promisc = value;
  } else if (m[1] === 'macaddress') nic.mac = value.toUpperCase();
  else vm.settings[key] = value;
  return undefined;
}

const PLAIN = ['--memory', '--cpus', '--acpi', '--ioapic', '--rtcuseutc', '--boot1', '--boot2', '--boot3', '--boot4', '--ostype', '--firmware', '--vram', '--graphicscontroller', '--audio-driver'];

export function modifyvm(s: FakeState, args: string[]): FakeResult {
  const vm = findVm(s, args[0] ?? '');
  if (!vm) return vmNotFound(args[0] ?? '', 'VBoxManageModifyVM.cpp');
  if (isOn(vm)) return locked(vm);
  for (let i = 1; i < args.length; i++) {
    const key = args[i];
    const value = args[++i];
    if (value === undefined) return syntax(`Missing value for ${key}`);
    let err: FakeResult | undefined;
    if (/^--natpf\d$/.test(key)) err = natpf(vm, value, value === 'delete' ? args[++i] : undefined);
    else if (PLAIN.includes(key)) {
      if ((key === '--memory' || key === '--cpus') && !/^\d+$/.test(value)) return syntax(`Invalid value '${value}' for ${key}`);
      if (key === '--memory') vm.memory = Number(value);
      else if (key === '--cpus') vm.cpus = Number(value);
      else vm.settings[key] = value;
    } else err = nicSetting(vm, key, value);
    if (err) return err;
  }
  return ok();
}

export function storagectl(s: FakeState, args: string[]): FakeResult {
  const vm = findVm(s, args[0] ?? '');
  if (!vm) return vmNotFound(args[0] ?? '');
  const { opts } = parseOpts(args.slice(1));
  if (!opts['--name']) return syntax('Storage controller name not specified');
  if (isOn(vm)) return locked(vm);
  if (vm.controllers.some((c) => c.name === opts['--name'])) return fail([`Storage controller named '${opts['--name']}' already exists`]);
  if (!['ide', 'sata', 'scsi', 'floppy', 'sas', 'usb', 'pcie', 'virtio'].includes(opts['--add'] ?? '')) return syntax(`Invalid --add argument '${opts['--add']}'`);
  vm.controllers.push({ name: opts['--name'], bus: opts['--add'] });
  return ok();
}

export function storageattach(s: FakeState, args: string[]): FakeResult {
  const vm = findVm(s, args[0] ?? '');
  if (!vm) return vmNotFound(args[0] ?? '');
  const { opts } = parseOpts(args.slice(1));
  if (isOn(vm)) return locked(vm);
  const ctl = opts['--storagectl'];
  if (!vm.controllers.some((c) => c.name === ctl)) return fail([`Could not find a controller named '${ctl}'`]);
  const type = opts['--type'] as 'dvddrive' | 'hdd';
  if (type !== 'dvddrive' && type !== 'hdd') return syntax(`Invalid --type argument '${opts['--type']}'`);
  const raw = opts['--medium'] ?? '';
  const medium = isAbsolute(raw) ? raw : resolve(raw);
  if (!existsSync(medium)) return fileNotFound(medium);
  const port = Number(opts['--port'] ?? 0);
  const device = Number(opts['--device'] ?? 0);
  vm.attachments = vm.attachments.filter((a) => !(a.controller === ctl && a.port === port && a.device === device));
  vm.attachments.push({ controller: ctl, port, device, type, medium });
  return ok();
}

export function sharedfolder(s: FakeState, args: string[]): FakeResult {
  if (args[0] !== 'add') return syntax(`Invalid parameter '${args[0]}'`);
  const vm = findVm(s, args[1] ?? '');
  if (!vm) return vmNotFound(args[1] ?? '');
  const { opts } = parseOpts(args.slice(2), ['--automount', '--readonly', '--transient']);
  if (!opts['--name'] || !opts['--hostpath']) return syntax('Shared folder name and host path are required');
  if (!existsSync(opts['--hostpath'])) return fail([`Shared folder path '${opts['--hostpath']}' does not exist on the host`]);
  if (vm.sharedFolders.some((f) => f.name === opts['--name'])) return fail([`Shared folder named '${opts['--name']}' already exists`]);
  vm.sharedFolders.push({ name: opts['--name'], hostPath: opts['--hostpath'] });
  return ok();
}

/** The guest finishes booting: DHCP leases NIC 2 an address; VBoxService publishes it. */
function guestBoots(s: FakeState, vm: FakeVm): void {
  const nic2 = vm.nics['2'];
  const ip = nic2.attachment === 'hostonly' && nic2.hostOnlyAdapter ? leaseFor(s, nic2.hostOnlyAdapter, nic2.mac) : undefined;
  if (!s.behaviour.guestAdditions) return;
  const net = '/VirtualBox/GuestInfo/Net';
  Object.assign(vm.guestProps, { [`${net}/Count`]: '2', [`${net}/0/MAC`]: vm.nics['1'].mac, [`${net}/0/V4/IP`]: '10.0.2.15', [`${net}/1/MAC`]: nic2.mac });
  if (ip) vm.guestProps[`${net}/1/V4/IP`] = ip;
}

function powerOff(s: FakeState, vm: FakeVm): void {
  vm.state = 'poweroff';
  delete vm.bootPolls;
  delete vm.acpiPolls;
  for (const k of Object.keys(vm.guestProps)) if (k.startsWith('/VirtualBox/GuestInfo/')) delete vm.guestProps[k];
  releaseLeases(s, Object.values(vm.nics).map((n) => n.mac));
}

export function showvminfo(s: FakeState, args: string[]): FakeResult {
  const vm = findVm(s, args[0] ?? '');
  if (!vm) return vmNotFound(args[0] ?? '');
  if (!args.includes('--machinereadable')) return syntax('the fake only answers showvminfo --machinereadable');
  const out = showVmInfo(vm);
  if (vm.state === 'running' && vm.bootPolls !== undefined && --vm.bootPolls <= 0) {
    delete vm.bootPolls;
    guestBoots(s, vm);
  }
  if (vm.acpiPolls !== undefined && --vm.acpiPolls <= 0) powerOff(s, vm);
  return ok(out);
}

export function startvm(s: FakeState, args: string[]): FakeResult {
  const vm = findVm(s, args[0] ?? '');
  if (!vm) return vmNotFound(args[0] ?? '', 'VBoxManageMisc.cpp');
  if (isOn(vm)) return locked(vm);
  const type = parseOpts(args.slice(1)).opts['--type'] ?? 'gui';
  if (!['gui', 'sdl', 'headless', 'separate'].includes(type)) return fail([`Invalid session type '${type}'`]);
  const log = join(dirname(vm.cfgFile), 'Logs', 'VBox.log');
  mkdirSync(dirname(log), { recursive: true });
  for (const nic of Object.values(vm.nics)) {
    if (nic.attachment === 'hostonly' && !s.hostOnlyIfs.some((h) => h.name === nic.hostOnlyAdapter)) {
      return fail([`Nonexistent host networking interface, name '${nic.hostOnlyAdapter}' (VERR_INTERNAL_ERROR)`, 'Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, interface IConsole']);
    }
  }
  for (const a of vm.attachments) if (!existsSync(a.medium)) return fileNotFound(a.medium);
  if (s.behaviour.noVtx) {
    writeFileSync(log, '00:00:00.100 Power up failed (vrc=VERR_VMX_NO_VMX, rc=NS_ERROR_FAILURE (0X80004005))\n');
    vm.state = 'aborted';
    return fail(['VT-x is not available (VERR_VMX_NO_VMX)', 'Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, interface IConsole']);
  }
  writeFileSync(log, `00:00:00.001 VirtualBox VM ${s.version} starting\n`);
  vm.state = 'running';
  vm.bootPolls = s.behaviour.bootPolls;
  return ok(`Waiting for VM "${vm.name}" to power on...\nVM "${vm.name}" has been successfully started.\n`);
}

export function controlvm(s: FakeState, args: string[]): FakeResult {
  const vm = findVm(s, args[0] ?? '');
  if (!vm) return vmNotFound(args[0] ?? '', 'VBoxManageControlVM.cpp');
  const action = args[1];
  if (!isOn(vm)) return fail([`Machine '${vm.name}' is not currently running`]);
  if (action === 'poweroff') {
    powerOff(s, vm);
    return { code: 0, stdout: '', stderr: PROGRESS };
  }
  if (action === 'acpipowerbutton') {
    if (!s.behaviour.ignoreAcpi) vm.acpiPolls = s.behaviour.acpiPolls;
    return ok();
  }
  if (action === 'pause' || action === 'resume') {
    const want = action === 'pause' ? 'running' : 'paused';
    if (vm.state !== want) return fail([`Invalid machine state: ${vm.state === 'running' ? 'Running' : 'Paused'}`]);
    vm.state = action === 'pause' ? 'paused' : 'running';
    return ok();
  }
  return syntax(`Invalid parameter '${action}'`);
}

function removeEmptyDirs(dir: string): void {
  const logs = join(dir, 'Logs');
  rmSync(logs, { recursive: true, force: true });
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

export function unregistervm(s: FakeState, args: string[]): FakeResult {
  const { opts, positional } = parseOpts(args, ['--delete', '--delete-all']);
  const vm = findVm(s, positional[0] ?? '');
  if (!vm) return vmNotFound(positional[0] ?? '', 'VBoxManageMisc.cpp');
  if (isOn(vm)) return fail([`Cannot unregister the machine '${vm.name}' while it is locked`, 'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports']);
  s.vms = s.vms.filter((v) => v !== vm);
  if (!opts['--delete'] && !opts['--delete-all']) return ok();
  for (const a of vm.attachments.filter((x) => x.type === 'hdd')) {
    s.media = s.media.filter((m) => m.path !== a.medium);
    rmSync(a.medium, { force: true });
  }
  rmSync(vm.cfgFile, { force: true });
  removeEmptyDirs(dirname(vm.cfgFile));
  return { code: 0, stdout: '', stderr: PROGRESS };
}

export function guestproperty(s: FakeState, args: string[]): FakeResult {
  const [verb, name, key, value] = args;
  const vm = findVm(s, name ?? '');
  if (!vm) return vmNotFound(name ?? '', 'VBoxManageGuestProp.cpp');
  if (verb === 'get') {
    const v = vm.guestProps[key ?? ''];
    return ok(v ? `Value: ${v}\n` : 'No value set!\n');
  }
  if (verb === 'set') {
    if (!key) return syntax('Missing property name');
    if (value === undefined) delete vm.guestProps[key];
    else vm.guestProps[key] = value;
    return ok();
  }
  if (verb === 'enumerate') {
    return ok(Object.entries(vm.guestProps).map(([k, v]) => `Name: ${k}, value: ${v}, timestamp: 0, flags: \n`).join(''));
  }
  return syntax(`Invalid parameter '${verb}'`);
}

export function listVms(s: FakeState, running: boolean): FakeResult {
  return ok(s.vms.filter((v) => !running || isOn(v)).map((v) => `"${v.name}" {${v.uuid}}\n`).join(''));
}
