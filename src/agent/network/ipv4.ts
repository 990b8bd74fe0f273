/** IPv4 addresses and subnets as numbers. Pure. */

export interface Cidr {
  /** The network address. */
  base: number;
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.0.0/16" (host bits must be zero unless `loose`); undefined when malformed. */
export function parseCidr(s: string, loose = false): Cidr | undefined {
  const [ip, p, extra] = s.trim().split('/');
  if (extra !== undefined || p === undefined || !/^\d{1,2}$/.test(p)) return undefined;
  const prefix = Number(p);
  const n = parseIp(ip);
  if (n === undefined || prefix > 32) return undefined;
  const base = (n & mask(prefix)) >>> 0;
  if (!loose && base !== n) return undefined;
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** dockerd's MAC for an address: 02:42 then the four address bytes. */
export function macFor(ip: number): string {
  return ['02', '42', ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
