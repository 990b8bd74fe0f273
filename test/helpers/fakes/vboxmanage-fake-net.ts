/** The fake VBoxManage's host-only interfaces and DHCP servers (Linux host: no server comes with an interface). */
import { randomUUID } from 'node:crypto';
import { PROGRESS, fail, ok, parseOpts, syntax, type FakeDhcpServer, type FakeResult, type FakeState } from './vboxmanage-fake-state';

function ipNum(s: string): number {
  return s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

function ipStr(n: number): string {
  return [24, 16, 8, 0].map((b) => Math.floor(n / 2 ** b) % 256).join('.');
}

function prefixOf(mask: string): number {
  return ipNum(mask).toString(2).replace(/0+$/, '').length;
}

function inRange(ip: string, cidr: string): boolean {
  const [net, p] = cidr.split('/');
  const size = 2 ** (32 - Number(p));
  return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(net) / size);
}

export function listHostOnlyIfs(s: FakeState): FakeResult {
  const blocks = s.hostOnlyIfs.map((h) =>
    [
      `Name:            ${h.name}`,
      `GUID:            ${h.guid}`,
      'DHCP:            Disabled',
      `IPAddress:       ${h.ip}`,
      `NetworkMask:     ${h.netmask}`,
      'IPV6Address:     ',
      'IPV6NetworkMaskPrefixLength: 0',
      `HardwareAddress: ${h.mac}`,
      'MediumType:      Ethernet',
      'Wireless:        No',
      `Status:          ${h.status}`,
      `VBoxNetworkName: HostInterfaceNetworking-${h.name}`,
    ].join('\n'),
  );
  return ok(blocks.length ? `${blocks.join('\n\n')}\n\n` : '');
}

export function listDhcpServers(s: FakeState): FakeResult {
  const blocks = s.dhcpServers.map((d) =>
    [
      `NetworkName:    ${d.networkName}`,
      `Dhcpd IP:       ${d.ip}`,
      `LowerIPAddress: ${d.lowerIp}`,
      `UpperIPAddress: ${d.upperIp}`,
      `NetworkMask:    ${d.netmask}`,
      `Enabled:        ${d.enabled ? 'Yes' : 'No'}`,
      'Global Configuration:',
      '    minLeaseTime:     default',
      '    defaultLeaseTime: default',
      '    maxLeaseTime:     default',
      '    Forced options:   None',
      '    Suppressed opts.: None',
      `        1/legacy: ${d.netmask}`,
      'Groups:               None',
      'Individual Configs:   None',
    ].join('\n'),
  );
  return ok(blocks.length ? `${blocks.join('\n\n')}\n` : '');
}

function ifNotFound(name: string): FakeResult {
  return fail([
    `The host network interface named '${name}' could not be found`,
    'Details: code NS_ERROR_INVALID_ARG (0x80070057), component HostWrap, interface IHost, callee nsISupports',
    `Context: "FindHostNetworkInterfaceByName(Bstr(pszName).raw(), hif.asOutParam())" at line 236 of file VBoxManageHostonly.cpp`,
  ]);
}

export function hostonlyif(s: FakeState, args: string[]): FakeResult {
  const [verb, name] = args;
  if (verb === 'create') {
    let n = 0;
    while (s.hostOnlyIfs.some((h) => h.name === `vboxnet${n}`)) n++;
    const mac = `0a:00:27:00:00:${n.toString(16).padStart(2, '0')}`;
    s.hostOnlyIfs.push({ name: `vboxnet${n}`, guid: randomUUID(), ip: `192.168.${56 + n}.1`, netmask: '255.255.255.0', mac, status: 'Up' });
    return { code: 0, stdout: `Interface 'vboxnet${n}' was successfully created\n`, stderr: PROGRESS };
  }
  const h = s.hostOnlyIfs.find((x) => x.name === name);
  if (verb === 'remove') {
    if (!h) return ifNotFound(name ?? '');
    s.hostOnlyIfs = s.hostOnlyIfs.filter((x) => x !== h);
    return { code: 0, stdout: '', stderr: PROGRESS };
  }
  if (verb === 'ipconfig') {
    if (!h) return ifNotFound(name ?? '');
    const { opts } = parseOpts(args.slice(2), ['--dhcp']);
    const ip = opts['--ip'];
    if (!ip) return syntax('neither -dhcp nor -ip nor -ipv6 was specfified');
    const allowed = s.behaviour.allowedRanges;
    if (allowed.length > 0 && !allowed.some((r) => inRange(ip, r))) {
      return fail(['Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)', `Context: "EnableStaticIPConfig(Bstr(pszIp).raw(), Bstr(pszNetmask).raw())" at line 242 of file VBoxManageHostonly.cpp`]);
    }
    h.ip = ip;
    h.netmask = opts['--netmask'] ?? '255.255.255.0';
    return ok();
  }
  return syntax(`Invalid parameter '${verb}'`);
}

/** --interface/--ifname name the interface, --network/--netname the network. */
function networkOf(s: FakeState, opts: Record<string, string>): { network?: string; error?: FakeResult } {
  const ifName = opts['--interface'] ?? opts['--ifname'];
  const network = opts['--network'] ?? opts['--netname'];
  if (ifName && network) return { error: syntax('Either --interface or --network, not both') };
  if (network) return { network };
  if (!ifName) return { error: syntax('You need to specify either --network or --interface to identify the DHCP server') };
  if (!s.hostOnlyIfs.some((h) => h.name === ifName)) return { error: fail([`Failed to locate host-only interface '${ifName}'`]) };
  return { network: `HostInterfaceNetworking-${ifName}` };
}

function notFoundDhcp(opts: Record<string, string>, network: string): FakeResult {
  const ifName = opts['--interface'] ?? opts['--ifname'];
  return fail([ifName ? `Failed to find DHCP server for host-only interface '${ifName}' (network '${network}')` : `Failed to find DHCP server for network '${network}'`]);
}

export function dhcpserver(s: FakeState, args: string[]): FakeResult {
  const verb = args[0];
  const { opts } = parseOpts(args.slice(1), ['--enable', '--disable', '--global']);
  const { network, error } = networkOf(s, opts);
  if (error) return error;
  const server = s.dhcpServers.find((d) => d.networkName === network);
  if (verb === 'add' || verb === 'modify') {
    if (verb === 'add' && server) return fail([`A DHCP server for the network '${network}' already exists`]);
    if (verb === 'modify' && !server) return notFoundDhcp(opts, network!);
    const d: FakeDhcpServer = server ?? { networkName: network!, ip: '', netmask: '', lowerIp: '', upperIp: '', enabled: false, leases: {} };
    d.ip = opts['--server-ip'] ?? opts['--ip'] ?? d.ip;
    d.netmask = opts['--netmask'] ?? d.netmask;
    d.lowerIp = opts['--lower-ip'] ?? opts['--lowerip'] ?? d.lowerIp;
    d.upperIp = opts['--upper-ip'] ?? opts['--upperip'] ?? d.upperIp;
    if (opts['--enable']) d.enabled = true;
    if (opts['--disable']) d.enabled = false;
    if (!d.ip || !d.netmask || !d.lowerIp || !d.upperIp) return syntax('Missing required option: --server-ip, --netmask, --lower-ip and --upper-ip');
    if (!server) s.dhcpServers.push(d);
    return ok();
  }
  if (!server) return notFoundDhcp(opts, network!);
  if (verb === 'remove') {
    s.dhcpServers = s.dhcpServers.filter((d) => d !== server);
    return ok();
  }
  if (verb === 'findlease') {
    const mac = (opts['--mac-address'] ?? '').replace(/[^0-9a-f]/gi, '').toUpperCase();
    const lease = server.leases[mac];
    if (!lease) return fail([`Could not find a lease for ${opts['--mac-address']}`, 'Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component DHCPServerWrap, interface IDHCPServer']);
    return ok(`IP Address:  ${lease.ip}\nMAC Address: ${opts['--mac-address']?.toLowerCase()}\nState:       ${lease.state}\nIssued:      2025-01-01T00:00:00Z (1735689600)\nExpire:      2025-01-01T00:20:00Z (1735690800)\nTTL:         1200 sec, currently 1200 sec left\n`);
  }
  return syntax(`Unknown subcommand '${verb}'`);
}

/** A DHCP lease for `mac` on the interface's network (the lowest free address), if a server is enabled there. */
export function leaseFor(s: FakeState, ifName: string, mac: string): string | undefined {
  const d = s.dhcpServers.find((x) => x.networkName === `HostInterfaceNetworking-${ifName}` && x.enabled);
  const h = s.hostOnlyIfs.find((x) => x.name === ifName);
  if (!d || !h || prefixOf(d.netmask) !== prefixOf(h.netmask)) return undefined;
  const taken = new Set(Object.entries(d.leases).filter(([m, l]) => m !== mac && l.state === 'acked').map(([, l]) => l.ip));
  for (let n = ipNum(d.lowerIp); n <= ipNum(d.upperIp); n++) {
    if (taken.has(ipStr(n))) continue;
    d.leases[mac] = { ip: ipStr(n), state: 'acked' };
    return ipStr(n);
  }
  return undefined;
}

export function releaseLeases(s: FakeState, macs: string[]): void {
  for (const d of s.dhcpServers) for (const m of macs) if (d.leases[m]) d.leases[m].state = 'released';
}
