import { broadcastOf, formatIpv4, formatNet, maskOf, netOf, netSize, parseHostCidr, parseIpv4 } from './ipv4';

/** The host-only network a machine wants: the host's address on it and the DHCP server's range. */
export interface HostOnlyPlan {
  /** The host's address on the interface (`hostonlyif ipconfig --ip`). */
  hostIp: string;
  netmask: string;
  prefix: number;
  /** Canonical network, e.g. 192.168.56.0/24. */
  network: string;
  dhcp: { serverIp: string; lowerIp: string; upperIp: string };
}

/**
 * Plans a host-only network from `--virtualbox-hostonly-cidr` (a host address, not the network
 * address). The DHCP server takes .100 and leases .101-.254 in networks of 256 addresses or more
 * (VirtualBox's own layout); in smaller ones it takes the middle and leases the upper half.
 * Returns an error message when the CIDR cannot work.
 */
export function planHostOnly(cidr: string): HostOnlyPlan | string {
  const parsed = parseHostCidr(cidr);
  if (typeof parsed === 'string') return parsed;
  const { ip, net } = parsed;
  if (net.prefix < 8 || net.prefix > 29) return `prefix /${net.prefix} is out of range: use /8 to /29`;
  if (ip === net.network) return `${cidr} is the network address: give the host's address on it, e.g. ${formatIpv4(net.network + 1)}/${net.prefix}`;
  if (ip === broadcastOf(net)) return `${cidr} is the broadcast address: give the host's address on it, e.g. ${formatIpv4(net.network + 1)}/${net.prefix}`;
  const size = netSize(net.prefix);
  const server = size >= 256 ? net.network + 100 : net.network + size / 2;
  const upper = size >= 256 ? net.network + 254 : broadcastOf(net) - 1;
  if (ip >= server && ip <= upper) {
    return `the host address ${formatIpv4(ip)} falls in the DHCP range ${formatIpv4(server)}-${formatIpv4(upper)}: use a low address such as ${formatIpv4(net.network + 1)}/${net.prefix}`;
  }
  return {
    hostIp: formatIpv4(ip),
    netmask: maskOf(net.prefix),
    prefix: net.prefix,
    network: formatNet(net),
    dhcp: { serverIp: formatIpv4(server), lowerIp: formatIpv4(server + 1), upperIp: formatIpv4(upper) },
  };
}

/** True when `ip` is an address of the planned network. */
export function insideNetwork(ip: string | undefined, plan: HostOnlyPlan): boolean {
  const n = ip ? parseIpv4(ip) : undefined;
  return n !== undefined && formatNet(netOf(n, plan.prefix)) === plan.network;
}
