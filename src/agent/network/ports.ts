import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { badRequest } from '../http/api-error';
import type { PortMap } from './types';

/** One port to publish: container port/proto, and the host address/port range wanted. */
export interface PortRequest {
  key: string;
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  /** 0 means any port of the ephemeral range. */
  hostFrom: number;
  hostTo: number;
}

function portKey(k: string): { port: number; proto: 'tcp' | 'udp' | 'sctp' } {
  const [p, proto = 'tcp'] = k.split('/');
  const port = Number(p);
  if (!/^\d+$/.test(p) || port < 1 || port > 65535 || !['tcp', 'udp', 'sctp'].includes(proto)) throw badRequest(`invalid port specification: "${k}"`);
  return { port, proto: proto as 'tcp' | 'udp' | 'sctp' };
}

/**
 * The ports to publish for HostConfig.PortBindings plus, with PublishAllPorts, every exposed
 * port not bound explicitly (on a random host port). Throws a 400 naming a malformed entry. Pure.
 */
export function portRequests(bindings: PortMap | undefined | null, publishAll: boolean, exposed: Record<string, unknown> | null | undefined): PortRequest[] {
  const out: PortRequest[] = [];
  for (const [k, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = portKey(k);
    for (const b of list ?? [{ HostIp: '', HostPort: '' }]) {
      const hp = (b.HostPort ?? '').trim();
      const m = /^(\d+)(?:-(\d+))?$/.exec(hp);
      if (hp !== '' && !m) throw badRequest(`invalid port specification: "${hp}"`);
      const from = m ? Number(m[1]) : 0;
      const to = m ? Number(m[2] ?? m[1]) : 0;
      if (from > 65535 || to > 65535 || to < from) throw badRequest(`invalid port specification: "${hp}"`);
      const ip = b.HostIp || '';
      if (ip && net.isIP(ip) !== 4 && ip !== '::') throw badRequest(`invalid IP address: ${ip}`);
      if (ip === '::') continue; // no IPv6 yet
      out.push({ key: `${port}/${proto}`, proto, containerPort: port, hostIp: ip, hostFrom: from, hostTo: to });
    }
  }
  if (publishAll) {
    for (const k of Object.keys(exposed ?? {})) {
      const { port, proto } = portKey(k);
      if (out.some((r) => r.key === `${port}/${proto}`)) continue;
      out.push({ key: `${port}/${proto}`, proto, containerPort: port, hostIp: '', hostFrom: 0, hostTo: 0 });
    }
  }
  return out;
}

export function ephemeralRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a > 0 && b >= a) return [a, b];
  } catch { /* default */ }
  return [32768, 60999];
}

/** Whether nothing in this network namespace listens on ip:port (tries to bind it briefly). */
export function portFree(proto: string, ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, ip || '0.0.0.0', () => s.close(() => resolve(true)));
      return;
    }
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: ip || '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A binding that is taken: same protocol and port, and the same address or either the wildcard. */
export function clashes(a: { proto: string; ip: string; port: number }, b: { proto: string; ip: string; port: number }): boolean {
  return a.proto === b.proto && a.port === b.port && (a.ip === b.ip || !a.ip || !b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0');
}
