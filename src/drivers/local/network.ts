import { TsmError, type Problem } from '../../core/errors';
import { macForIpv4, MAC_TAG } from '../../core/mac';
import type { LocalHostApi } from './api';
import { formatIpv4, gatewayOf, overlaps, parseCidr, type Ipv4Subnet } from './ipv4';

interface IpAddrJson {
  ifname: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

interface IpRouteJson {
  dst: string;
  dev?: string;
}

/** What is on the host already: the bridge (if any) and every other IPv4 network in use. */
export interface HostNetworks {
  /** The bridge's kind and IPv4 addresses, undefined when it does not exist. */
  bridge?: { kind: string; addrs: string[] };
  /** Routes and addresses of other interfaces: "192.0.2.0/24 (route via eth0)". */
  others: { subnet: string; what: string }[];
}

/**
 * Checks that `subnet` can serve bridge `bridge` on a host that has `host`: the bridge is absent
 * or a bridge with exactly the gateway address, and no other route or address overlaps.
 */
export function subnetProblems(bridge: string, subnet: string, host: HostNetworks): Problem[] {
  const net = parseCidr(subnet) as Ipv4Subnet;
  const gw = `${formatIpv4(gatewayOf(net))}/${net.prefix}`;
  const problems: Problem[] = [];
  if (host.bridge && host.bridge.kind !== 'bridge') {
    problems.push({ field: '--local-bridge', message: `${bridge} exists on this host and is a ${host.bridge.kind || 'non-bridge'} interface`, suggestion: 'choose another --local-bridge name' });
  } else if (host.bridge && !host.bridge.addrs.includes(gw)) {
    problems.push({
      field: '--local-subnet',
      message: `bridge ${bridge} already exists with ${host.bridge.addrs.join(', ') || 'no IPv4 address'}, not ${gw}`,
      suggestion: `use --local-subnet matching ${bridge}, or another --local-bridge for ${subnet}`,
    });
  }
  for (const o of host.others) {
    const other = parseCidr(o.subnet);
    if (typeof other !== 'string' && overlaps(net, other)) {
      problems.push({ field: '--local-subnet', message: `${subnet} collides with ${o.subnet} (${o.what}) on this host`, suggestion: 'choose a free private subnet, e.g. --local-subnet 10.214.0.0/24' });
    }
  }
  return problems;
}

function toNetwork(addr: string, prefix: number): string {
  const p = parseCidr(addr);
  if (typeof p === 'string') return `${addr}/${prefix}`;
  const size = 2 ** (32 - prefix);
  return `${formatIpv4(p.network - (p.network % size))}/${prefix}`;
}

/** Bridges, NAT and per-machine links on the host, through iproute2 and iptables. */
export class LocalNetwork {
  constructor(private readonly api: LocalHostApi) {}

  async hostNetworks(bridge: string): Promise<HostNetworks> {
    const addrs = JSON.parse((await this.api.ip(['-j', '-d', '-4', 'addr', 'show'])).stdout || '[]') as IpAddrJson[];
    const routes = JSON.parse((await this.api.ip(['-j', '-4', 'route', 'show'])).stdout || '[]') as IpRouteJson[];
    const mine = addrs.find((a) => a.ifname === bridge);
    const others: HostNetworks['others'] = [];
    for (const r of routes) {
      if (r.dst !== 'default' && r.dev !== bridge) others.push({ subnet: r.dst.includes('/') ? r.dst : `${r.dst}/32`, what: `route via ${r.dev ?? '?'}` });
    }
    for (const a of addrs) {
      if (a.ifname === bridge || a.ifname === 'lo') continue;
      for (const i of a.addr_info ?? []) if (i.family === 'inet') others.push({ subnet: toNetwork(i.local, i.prefixlen), what: `address of ${a.ifname}` });
    }
    const bridgeInfo = mine
      ? { kind: mine.linkinfo?.info_kind ?? '', addrs: (mine.addr_info ?? []).filter((i) => i.family === 'inet').map((i) => `${i.local}/${i.prefixlen}`) }
      : (await this.linkExists(bridge)) ? { kind: 'unknown', addrs: [] } : undefined;
    return { bridge: bridgeInfo, others };
  }

  async linkExists(name: string, netns?: string): Promise<boolean> {
    const args = netns ? ['-n', netns, 'link', 'show', 'dev', name] : ['link', 'show', 'dev', name];
    return (await this.api.ip(args, { allowFailure: true })).code === 0;
  }

  /** Creates the bridge with its gateway address if missing; refuses a colliding subnet. Caller holds the host lock. */
  async ensureBridge(bridge: string, subnet: string): Promise<void> {
    const host = await this.hostNetworks(bridge);
    const problems = subnetProblems(bridge, subnet, host);
    if (problems.length > 0) {
      throw new TsmError('CREATE_FAILED', `cannot use bridge ${bridge} with ${subnet}: ${problems.map((p) => p.message).join('; ')}`, {
        suggestion: problems[0].suggestion,
        problems,
      });
    }
    const net = parseCidr(subnet) as Ipv4Subnet;
    const gateway = formatIpv4(gatewayOf(net));
    const mac = macForIpv4(MAC_TAG.bridge, gateway);
    if (host.bridge) {
      // Pins the MAC of a bridge made before MACs were set (a no-op when it already has it).
      await this.api.ip(['link', 'set', bridge, 'address', mac]);
      return;
    }
    await this.api.ip(['link', 'add', bridge, 'address', mac, 'type', 'bridge']);
    await this.api.ip(['addr', 'add', `${gateway}/${net.prefix}`, 'dev', bridge]);
    await this.api.ip(['link', 'set', bridge, 'up']);
  }

  private async ensureRule(table: string, chain: string, rule: string[], at: 'top' | 'end' = 'top'): Promise<void> {
    if ((await this.api.iptables(['-t', table, '-C', chain, ...rule], { allowFailure: true })).code === 0) return;
    await this.api.iptables(['-t', table, ...(at === 'top' ? ['-I', chain, '1'] : ['-A', chain]), ...rule]);
  }

  private async deleteRule(table: string, chain: string, rule: string[]): Promise<void> {
    while ((await this.api.iptables(['-t', table, '-C', chain, ...rule], { allowFailure: true })).code === 0) {
      await this.api.iptables(['-t', table, '-D', chain, ...rule]);
    }
  }

  /** FORWARD: machines reach each other, and nothing beyond the host. Idempotent; caller holds the lock. */
  async ensureForwardRules(bridge: string): Promise<void> {
    // ACCEPT (and per-machine NAT rules) go first, DROP last, whatever order they are made in.
    await this.ensureRule('filter', 'FORWARD', bridgeAcceptRule(bridge), 'top');
    await this.ensureRule('filter', 'FORWARD', bridgeDropRule(bridge), 'end');
  }

  /** Outbound NAT for one machine: rules ahead of the bridge DROP, masquerade, ip_forward on. */
  async addNat(bridge: string, ip: string): Promise<void> {
    for (const [table, chain, rule] of natRules(bridge, ip)) await this.ensureRule(table, chain, rule);
    await this.api.writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
  }

  async removeNat(bridge: string, ip: string): Promise<void> {
    for (const [table, chain, rule] of natRules(bridge, ip)) await this.deleteRule(table, chain, rule);
  }

  /** The machine's veth into the bridge and its address, route and loopback in its netns. Idempotent. */
  async ensureMachineLink(o: { netns: string; veth: string; bridge: string; ip: string; subnet: string }): Promise<void> {
    const net = parseCidr(o.subnet) as Ipv4Subnet;
    if (!(await this.linkExists(o.veth))) {
      // A half-made pair (host end gone) leaves eth0 in the netns: drop it first.
      await this.api.ip(['-n', o.netns, 'link', 'del', 'eth0'], { allowFailure: true });
      await this.api.ip(['link', 'add', o.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', o.netns]);
    }
    await this.api.ip(['link', 'set', o.veth, 'master', o.bridge, 'up']);
    // A MAC derived from the IP (as dockerd does for containers): an address reused by a later
    // machine keeps the MAC the host's neighbour table holds, so the host does not go on sending
    // to the old machine's MAC for up to half a minute (seen as "sshd did not answer").
    await this.api.ip(['-n', o.netns, 'link', 'set', 'eth0', 'address', machineMac(o.ip)]);
    await this.api.ip(['neigh', 'flush', 'to', o.ip, 'dev', o.bridge], { allowFailure: true });
    await this.api.ip(['-n', o.netns, 'addr', 'replace', `${o.ip}/${net.prefix}`, 'dev', 'eth0']);
    await this.api.ip(['-n', o.netns, 'link', 'set', 'lo', 'up']);
    await this.api.ip(['-n', o.netns, 'link', 'set', 'eth0', 'up']);
    await this.api.ip(['-n', o.netns, 'route', 'replace', 'default', 'via', formatIpv4(gatewayOf(net))]);
  }

  async netnsExists(netns: string): Promise<boolean> {
    return (await this.api.readFile(`/proc/self/mountinfo`))?.includes(` /run/netns/${netns} `) ?? false;
  }

  async ensureNetns(netns: string): Promise<void> {
    if (await this.netnsExists(netns)) return;
    // After a host reboot /run/netns may keep the file (when /run is not a tmpfs) without the mount.
    await this.api.rmTree(`/run/netns/${netns}`);
    await this.api.ip(['netns', 'add', netns]);
  }

  /** Deletes the veth and the netns; resolves when they are already gone. */
  async removeMachineLink(netns: string | undefined, veth: string | undefined): Promise<void> {
    if (veth && (await this.linkExists(veth))) await this.api.ip(['link', 'del', veth], { allowFailure: true });
    if (netns && (await this.netnsExists(netns))) await this.api.ip(['netns', 'del', netns]);
  }

  /** Removes the bridge and its FORWARD rules. Caller holds the lock and knows no machine uses it. */
  async removeBridge(bridge: string): Promise<void> {
    await this.deleteRule('filter', 'FORWARD', bridgeAcceptRule(bridge));
    await this.deleteRule('filter', 'FORWARD', bridgeDropRule(bridge));
    if (await this.linkExists(bridge)) await this.api.ip(['link', 'del', bridge]);
  }
}

export function bridgeAcceptRule(bridge: string): string[] {
  return ['-i', bridge, '-o', bridge, '-j', 'ACCEPT'];
}

export function bridgeDropRule(bridge: string): string[] {
  return ['-i', bridge, '!', '-o', bridge, '-j', 'DROP'];
}

/** Per-machine outbound NAT rules: [table, chain, rule]. */
export function natRules(bridge: string, ip: string): [string, string, string[]][] {
  return [
    ['filter', 'FORWARD', ['-i', bridge, '!', '-o', bridge, '-s', `${ip}/32`, '-j', 'ACCEPT']],
    ['filter', 'FORWARD', ['-o', bridge, '-d', `${ip}/32`, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']],
    ['nat', 'POSTROUTING', ['-s', `${ip}/32`, '!', '-o', bridge, '-j', 'MASQUERADE']],
  ];
}

/** The locally administered MAC of the machine at `ip`: 02:74 ("t") and the four address bytes. */
export function machineMac(ip: string): string {
  return macForIpv4(MAC_TAG.machine, ip);
}
