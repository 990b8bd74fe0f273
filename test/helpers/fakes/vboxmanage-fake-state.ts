/**
 * State of the fake VBoxManage (a JSON document, in memory or in a file named by
 * VBOXMANAGE_FAKE_STATE), and the helpers its commands share: VM lookup, VirtualBox's error texts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface FakeNic {
  attachment: 'none' | 'nat' | 'hostonly' | 'bridged' | 'intnet' | 'null' | 'natnetwork' | 'generic';
  type: string;
  mac: string;
  cable: boolean;
  hostOnlyAdapter?: string;
  promisc: string;
}

export interface FakeAttachment {
  controller: string;
  port: number;
  device: number;
  type: 'dvddrive' | 'hdd';
  medium: string;
}

export interface FakeVm {
  name: string;
  uuid: string;
  cfgFile: string;
  ostype: string;
  state: 'poweroff' | 'running' | 'paused' | 'saved' | 'aborted';
  memory: number;
  cpus: number;
  settings: Record<string, string>;
  nics: Record<string, FakeNic>;
  natpf: string[];
  controllers: Array<{ name: string; bus: string }>;
  attachments: FakeAttachment[];
  guestProps: Record<string, string>;
  sharedFolders: Array<{ name: string; hostPath: string }>;
  /** showvminfo polls left until the guest has booted (then Guest Additions and DHCP answer). */
  bootPolls?: number;
  /** showvminfo polls left until an ACPI shutdown completes. */
  acpiPolls?: number;
}

export interface FakeHostOnlyIf {
  name: string;
  guid: string;
  ip: string;
  netmask: string;
  mac: string;
  status: 'Up' | 'Down';
}

export interface FakeDhcpServer {
  networkName: string;
  ip: string;
  netmask: string;
  lowerIp: string;
  upperIp: string;
  enabled: boolean;
  leases: Record<string, { ip: string; state: 'acked' | 'released' | 'expired' }>;
}

export interface FakeMedium {
  uuid: string;
  path: string;
  sizeMb: number;
  format: string;
}

/** How the fake guest and host behave; tests change these. */
export interface FakeBehaviour {
  bootPolls: number;
  /** The guest runs VBoxService: /VirtualBox/GuestInfo/Net/* properties appear at boot. */
  guestAdditions: boolean;
  acpiPolls: number;
  /** The guest ignores the ACPI power button. */
  ignoreAcpi: boolean;
  /** startvm fails as on a host without VT-x/AMD-V. */
  noVtx: boolean;
  /** Host-only ranges `hostonlyif ipconfig` accepts (VirtualBox 6.1.28+, /etc/vbox/networks.conf); empty: any. */
  allowedRanges: string[];
}

export interface FakeState {
  version: string;
  vms: FakeVm[];
  hostOnlyIfs: FakeHostOnlyIf[];
  dhcpServers: FakeDhcpServer[];
  media: FakeMedium[];
  behaviour: FakeBehaviour;
  /** Injected failures: the next call with this name fails (each entry once). */
  failOn: string[];
  /** Every call fails as VBoxManage does when VBoxSVC refuses the user. */
  rejectAll: boolean;
  /** Every call made, for tests. */
  calls: string[][];
}

export function initialState(): FakeState {
  return {
    version: '7.0.20r163906',
    vms: [],
    hostOnlyIfs: [],
    dhcpServers: [],
    media: [],
    behaviour: { bootPolls: 2, guestAdditions: true, acpiPolls: 1, ignoreAcpi: false, noVtx: false, allowedRanges: ['192.168.56.0/21'] },
    failOn: [],
    rejectAll: false,
    calls: [],
  };
}

/** Where the state lives between calls. */
export interface FakeStore {
  load(): FakeState;
  save(s: FakeState): void;
}

export function memoryStore(initial: FakeState = initialState()): FakeStore {
  let json = JSON.stringify(initial);
  return { load: () => JSON.parse(json) as FakeState, save: (s) => void (json = JSON.stringify(s)) };
}

export function fileStore(path: string): FakeStore {
  return {
    load: () => JSON.parse(readFileSync(path, 'utf8')) as FakeState,
    save(s) {
      writeFileSync(`${path}.tmp`, JSON.stringify(s, null, 1));
      renameSync(`${path}.tmp`, path);
    },
  };
}

/** What one VBoxManage invocation printed and returned. */
export interface FakeResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const ok = (stdout = ''): FakeResult => ({ code: 0, stdout, stderr: '' });
export const PROGRESS = '0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n';

/** VBoxManage's error shape: `VBoxManage: error:` lines on stderr, exit 1 (2 for syntax errors). */
export function fail(lines: string[], code = 1): FakeResult {
  return { code, stdout: '', stderr: lines.map((l) => `VBoxManage: error: ${l}\n`).join('') };
}

export function syntax(message: string): FakeResult {
  return fail([message], 2);
}

const UUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

export function findVm(s: FakeState, nameOrUuid: string): FakeVm | undefined {
  const m = UUID.exec(nameOrUuid);
  return m ? s.vms.find((v) => v.uuid === m[1].toLowerCase()) : s.vms.find((v) => v.name === nameOrUuid);
}

export function vmNotFound(nameOrUuid: string, file = 'VBoxManageInfo.cpp'): FakeResult {
  const m = UUID.exec(nameOrUuid);
  return fail([
    m ? `Could not find a registered machine with UUID {${m[1].toLowerCase()}}` : `Could not find a registered machine named '${nameOrUuid}'`,
    'Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports',
    `Context: "FindMachine(Bstr(pszNameOrId).raw(), machine.asOutParam())" at line 2925 of file ${file}`,
  ]);
}

export function locked(vm: FakeVm): FakeResult {
  return fail([
    `The machine '${vm.name}' is already locked by a session (or being locked or unlocked)`,
    'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports',
  ]);
}

export function fileNotFound(path: string): FakeResult {
  return fail([
    `Could not find file for the medium '${path}' (VERR_FILE_NOT_FOUND)`,
    'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MediumWrap, interface IMedium, callee nsISupports',
  ]);
}

export function accessDenied(): FakeResult {
  return fail([
    'Failed to create the VirtualBox object!',
    'Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)',
    'Most likely, the VirtualBox COM server is not running or failed to start.',
  ]);
}

export function newUuid(): string {
  return randomUUID();
}

/** A MAC in VirtualBox's range (08:00:27), printed as VBoxManage does: 12 upper-case hex digits. */
export function newMac(): string {
  return `080027${randomBytes(3).toString('hex').toUpperCase()}`;
}

/** Parses `--opt value`, `--opt=value` and bare flags; positional arguments are kept in order. */
export function parseOpts(args: string[], flags: readonly string[] = []): { opts: Record<string, string>; positional: string[]; repeated: Array<[string, string]> } {
  const opts: Record<string, string> = {};
  const positional: string[] = [];
  const repeated: Array<[string, string]> = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : flags.includes(key) ? 'true' : (args[++i] ?? '');
    opts[key] = value;
    repeated.push([key, value]);
  }
  return { opts, positional, repeated };
}
