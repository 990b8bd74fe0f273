/** IPv4 address and subnet arithmetic (pure). Addresses are unsigned 32-bit numbers. */
import { formatIpv4, parseIpv4 } from '../ipv4-address';

export { formatIpv4, parseIpv4 };

export interface Ipv4Subnet {
  /** Network address. */
  network: number;
  /** Prefix length, 0..32. */
  prefix: number;
}

/** Size of a subnet with this prefix. */
function size(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Parses `a.b.c.d/n`. A bare address is a /32. Returns an error message when malformed or when
 * host bits are set (`10.0.0.5/24`), so users see the network they meant.
 */
export function parseCidr(s: string): Ipv4Subnet | string {
  const m = /^([0-9.]+)(?:\/([0-9]{1,2}))?$/.exec(s.trim());
  const addr = m ? parseIpv4(m[1]) : undefined;
  const prefix = m?.[2] === undefined ? 32 : Number(m[2]);
  if (addr === undefined || prefix > 32) return `"${s}" is not an IPv4 subnet like 10.213.0.0/24`;
  if (addr % size(prefix) !== 0) {
    return `"${s}" has host bits set (the network is ${formatIpv4(addr - (addr % size(prefix)))}/${prefix})`;
  }
  return { network: addr, prefix };
}

export function formatCidr(s: Ipv4Subnet): string {
  return `${formatIpv4(s.network)}/${s.prefix}`;
}

export function broadcast(s: Ipv4Subnet): number {
  return s.network + size(s.prefix) - 1;
}

export function contains(s: Ipv4Subnet, addr: number): boolean {
  return addr >= s.network && addr <= broadcast(s);
}

/** True when the two subnets share at least one address. */
export function overlaps(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  return a.network <= broadcast(b) && b.network <= broadcast(a);
}

/** The gateway (the bridge's address): the first host address. */
export function gatewayOf(s: Ipv4Subnet): number {
  return s.network + 1;
}

/** Addresses that may be handed to machines: after the gateway, before the broadcast. */
export function machineRange(s: Ipv4Subnet): { first: number; last: number } {
  return { first: s.network + 2, last: broadcast(s) - 1 };
}
