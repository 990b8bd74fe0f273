/**
 * Parsers for VBoxManage's output formats (VirtualBox 6.1 and 7.x), pure. Each takes stdout as
 * VBoxManage prints it; none relies on blank lines between blocks (VirtualBox has not always
 * printed them).
 */

export interface VmRef {
  name: string;
  uuid: string;
}

/** `list vms` / `list runningvms`: one `"name" {uuid}` per line. */
export function parseVmList(out: string): VmRef[] {
  const vms: VmRef[] = [];
  for (const line of out.split(/\r?\n/)) {
    const m = /^"(.*)" \{([0-9a-fA-F-]+)\}\s*$/.exec(line);
    if (m) vms.push({ name: m[1], uuid: m[2].toLowerCase() });
  }
  return vms;
}

function unquote(s: string): string {
  return s.replace(/\\(["\\])/g, '$1');
}

/** `showvminfo --machinereadable`: `key="value"` or `key=value` lines; keys may be quoted too. */
export function parseMachineReadable(out: string): Record<string, string> {
  const kv: Record<string, string> = {};
  for (const line of out.split(/\r?\n/)) {
    const m = /^(?:"((?:[^"\\]|\\.)*)"|([^=\s][^=]*))=(?:"((?:[^"\\]|\\.)*)"|(.*))$/.exec(line);
    if (!m) continue;
    kv[unquote(m[1] ?? m[2])] = m[3] !== undefined ? unquote(m[3]) : m[4].trim();
  }
  return kv;
}

export interface NatForward {
  name: string;
  protocol: string;
  hostIp: string;
  hostPort: number;
  guestIp: string;
  guestPort: number;
}

export interface VmNic {
  /** 1-based NIC number. */
  index: number;
  /** nat, hostonly, bridged, intnet, none, ... */
  attachment: string;
  /** 12 hex digits, upper case, no separators, as VBoxManage prints it. */
  mac?: string;
  hostOnlyAdapter?: string;
}

export interface VmInfo {
  name: string;
  uuid: string;
  /** VMState: running, poweroff, saved, paused, aborted, starting, stopping, ... */
  state: string;
  cfgFile?: string;
  nics: VmNic[];
  /** NAT port forwards (Forwarding(n) lines; tsmachine only forwards on NIC 1). */
  forwards: NatForward[];
}

export function vmInfoFrom(kv: Record<string, string>): VmInfo {
  const nics: VmNic[] = [];
  for (const [k, v] of Object.entries(kv)) {
    const m = /^nic(\d+)$/.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    nics.push({ index: i, attachment: v, mac: kv[`macaddress${i}`], hostOnlyAdapter: kv[`hostonlyadapter${i}`] });
  }
  const forwards: NatForward[] = [];
  for (const [k, v] of Object.entries(kv)) {
    if (!/^Forwarding\(\d+\)$/.test(k)) continue;
    const [name, protocol, hostIp, hostPort, guestIp, guestPort] = v.split(',');
    forwards.push({ name, protocol, hostIp, hostPort: Number(hostPort), guestIp, guestPort: Number(guestPort) });
  }
  return { name: kv.name ?? '', uuid: (kv.UUID ?? '').toLowerCase(), state: kv.VMState ?? '', cfgFile: kv.CfgFile, nics: nics.sort((a, b) => a.index - b.index), forwards };
}

/** Splits `Key:   value` blocks; a new block starts at each `first` key. */
function colonBlocks(out: string, first: string): Array<Record<string, string>> {
  const blocks: Array<Record<string, string>> = [];
  let cur: Record<string, string> | undefined;
  for (const line of out.split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z0-9 .]*?):\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === first) {
      cur = {};
      blocks.push(cur);
    }
    if (cur && !(m[1] in cur)) cur[m[1]] = m[2].trim();
  }
  return blocks;
}

export interface HostOnlyIf {
  name: string;
  guid?: string;
  dhcp: boolean;
  ip?: string;
  netmask?: string;
  status?: string;
  /** HostInterfaceNetworking-<name>: the name DHCP servers are keyed by. */
  networkName: string;
}

/** `list hostonlyifs`: Name:/GUID:/DHCP:/IPAddress:/NetworkMask:/.../Status:/VBoxNetworkName: blocks. */
export function parseHostOnlyIfs(out: string): HostOnlyIf[] {
  return colonBlocks(out, 'Name').map((b) => ({
    name: b.Name,
    guid: b.GUID,
    dhcp: b.DHCP !== undefined && b.DHCP !== 'Disabled',
    ip: b.IPAddress || undefined,
    netmask: b.NetworkMask || undefined,
    status: b.Status,
    networkName: b.VBoxNetworkName || `HostInterfaceNetworking-${b.Name}`,
  }));
}

export interface DhcpServer {
  networkName: string;
  ip?: string;
  netmask?: string;
  lowerIp?: string;
  upperIp?: string;
  enabled: boolean;
}

/** `list dhcpservers`: NetworkName:/Dhcpd IP: (IP: before 6.1)/LowerIPAddress:/UpperIPAddress:/NetworkMask:/Enabled:. */
export function parseDhcpServers(out: string): DhcpServer[] {
  return colonBlocks(out, 'NetworkName').map((b) => ({
    networkName: b.NetworkName,
    ip: b['Dhcpd IP'] ?? b.IP,
    netmask: b.NetworkMask,
    lowerIp: b.LowerIPAddress ?? b.lowerIPAddress,
    upperIp: b.UpperIPAddress ?? b.upperIPAddress,
    enabled: b.Enabled === 'Yes',
  }));
}

/** `guestproperty get`: "Value: x", or "No value set!" (undefined). */
export function parseGuestProperty(out: string): string | undefined {
  const m = /^Value: (.*)$/m.exec(out);
  return m ? m[1].trim() : undefined;
}

/** `dhcpserver findlease`: "IP Address:  x" among other lines. */
export function parseLease(out: string): { ip: string; state?: string } | undefined {
  const ip = /^IP Address:\s*(\S+)/m.exec(out)?.[1];
  if (!ip) return undefined;
  return { ip, state: /^State:\s*(\S+)/m.exec(out)?.[1] };
}

export interface VBoxVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** `--version`: "7.0.14r161095" (warnings about kernel modules may come first). */
export function parseVersion(out: string): VBoxVersion | undefined {
  for (const line of out.split(/\r?\n/).reverse()) {
    const m = /^(\d+)\.(\d+)\.(\d+)\S*\s*$/.exec(line.trim());
    if (m) return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: line.trim() };
  }
  return undefined;
}

export function versionAtLeast(v: VBoxVersion, major: number, minor: number, patch = 0): boolean {
  return v.major !== major ? v.major > major : v.minor !== minor ? v.minor > minor : v.patch >= patch;
}

/** `hostonlyif create`: "Interface 'vboxnet1' was successfully created". */
export function parseCreatedHostOnlyIf(out: string): string | undefined {
  return /Interface '([^']+)' was successfully created/.exec(out)?.[1];
}

/** `createmedium`: "Medium created. UUID: <uuid>". */
export function parseMediumUuid(out: string): string | undefined {
  return /Medium created\. UUID: ([0-9a-fA-F-]+)/.exec(out)?.[1]?.toLowerCase();
}

/** `createvm`: "UUID: <uuid>" and "Settings file: '<path>'". */
export function parseCreatedVm(out: string): { uuid?: string; settingsFile?: string } {
  return {
    uuid: /^UUID: ([0-9a-fA-F-]+)/m.exec(out)?.[1]?.toLowerCase(),
    settingsFile: /^Settings file: '(.*)'\s*$/m.exec(out)?.[1],
  };
}
