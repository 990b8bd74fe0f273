/** IPv4 arithmetic for host-only networks (pure). Addresses are unsigned 32-bit numbers. */
import { formatIpv4, parseIpv4 as parseDottedQuad } from '../ipv4-address';

export { formatIpv4 };

/** Parses a dotted-quad IPv4 address (surrounding spaces allowed, as VBoxManage prints them). */
export function parseIpv4(s: string): number | undefined {
  return parseDottedQuad(s.trim());
}

export interface Ipv4Net {
  /** Network address. */
  network: number;
  prefix: number;
}

export function netSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function netOf(addr: number, prefix: number): Ipv4Net {
  return { network: addr - (addr % netSize(prefix)), prefix };
}

export function broadcastOf(n: Ipv4Net): number {
  return n.network + netSize(n.prefix) - 1;
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  return a.network <= broadcastOf(b) && b.network <= broadcastOf(a);
}

export function contains(outer: Ipv4Net, inner: Ipv4Net): boolean {
  return inner.network >= outer.network && broadcastOf(inner) <= broadcastOf(outer);
}

export function formatNet(n: Ipv4Net): string {
  return `${formatIpv4(n.network)}/${n.prefix}`;
}

/** Dotted netmask of a prefix: 24 -> 255.255.255.0. */
export function maskOf(prefix: number): string {
  return formatIpv4(prefix === 0 ? 0 : 2 ** 32 - netSize(prefix));
}

/** Prefix of a dotted netmask, or undefined when it is not a contiguous mask. */
export function prefixOfMask(mask: string): number | undefined {
  const n = parseIpv4(mask);
  if (n === undefined) return undefined;
  for (let p = 0; p <= 32; p++) if (parseIpv4(maskOf(p)) === n) return p;
  return undefined;
}

/** Parses `a.b.c.d/n` (a host address with its prefix), or returns an error message. */
export function parseHostCidr(s: string): { ip: number; net: Ipv4Net } | string {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s.trim());
  const ip = m ? parseIpv4(m[1]) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) return `"${s}" is not an IPv4 address with a prefix, like 192.168.56.1/24`;
  return { ip, net: netOf(ip, prefix) };
}
