import { isIPv4 } from 'node:net';

/** One inbound rule's ports: a single port when from === to. */
export interface PortRange {
  from: number;
  to: number;
  protocol: 'Tcp' | 'Udp';
}

/** A marketplace image reference. */
export interface ImageRef {
  publisher: string;
  offer: string;
  sku: string;
  /** A version such as 24.04.202501140, or "latest". */
  version: string;
}

/** Parses `port[/proto]` or `from-to[/proto]` (proto tcp or udp, default tcp); undefined when invalid. */
export function parsePortRange(spec: string): PortRange | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp))?$/i.exec(spec.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) return undefined;
  return { from, to, protocol: (m[3] ?? 'tcp').toLowerCase() === 'udp' ? 'Udp' : 'Tcp' };
}

/** The NSG rule port text of a range: "22" or "8000-8100". */
export function portText(p: PortRange): string {
  return p.from === p.to ? String(p.from) : `${p.from}-${p.to}`;
}

/** Parses publisher:offer:sku:version; undefined when it has not four non-empty parts. */
export function parseImageUrn(urn: string): ImageRef | undefined {
  const parts = urn.trim().split(':');
  if (parts.length !== 4 || parts.some((p) => !/^[A-Za-z0-9._-]+$/.test(p))) return undefined;
  const [publisher, offer, sku, version] = parts;
  return { publisher, offer, sku, version };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** Parses an IPv4 CIDR such as 192.168.0.0/16; undefined when invalid. */
export function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || !isIPv4(m[1])) return undefined;
  const bits = Number(m[2]);
  if (bits < 8 || bits > 29) return undefined;
  return { base: ipv4ToInt(m[1]), bits };
}

/** True when `ip` lies inside the CIDR. */
export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  if (!c || !isIPv4(ip)) return false;
  const size = 2 ** (32 - c.bits);
  const start = c.base - (c.base % size);
  const n = ipv4ToInt(ip);
  return n >= start && n < start + size;
}

/**
 * Compares two dotted version strings numerically part by part (24.04.202501140 > 24.04.202412090);
 * non-numeric parts compare as text.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const d = x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (d !== 0) return d;
  }
  return 0;
}

/** Azure normalizes region display names ("West US 2") to names ("westus2"). */
export function normalizeLocation(name: string): string {
  return name.toLowerCase().replace(/\s+/g, '');
}
