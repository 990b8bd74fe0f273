import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';

/**
 * Where and how to reach a registry named in a reference: Docker Hub's `docker.io` is
 * served by `registry-1.docker.io`; registries listed by --insecure-registry (host, host:port
 * or CIDR) may be plain HTTP or HTTPS without verification; every other one is HTTPS
 * verified against the system CAs plus `<certs-dir>/<host:port>/*.crt` (Docker's certs.d
 * layout, where `client.cert`/`client.key` also give a client certificate).
 */
export interface RegistryEndpoint {
  /** The registry as references name it (`docker.io`, `127.0.0.1:5000`). */
  name: string;
  /** host[:port] requests go to. */
  host: string;
  insecure: boolean;
  /** Extra CA certificates (PEM) and an optional client key pair. */
  tls: { ca?: Buffer[]; cert?: Buffer; key?: Buffer };
}

export const DOCKER_HUB_HOST = 'registry-1.docker.io';

export function registryHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? DOCKER_HUB_HOST : domain;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, p) => (a << 8) + Number(p), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsS] = cidr.split('/');
  const bits = Number(bitsS);
  if (isIP(ip) !== 4 || isIP(net) !== 4 || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

/** True when `host` (host[:port]) matches an --insecure-registry entry. Pure. */
export function isInsecureRegistry(host: string, insecure: readonly string[]): boolean {
  const bare = host.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/:\d+$/, '');
  return insecure.some((e) => {
    const entry = e.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (entry.includes('/')) return inCidr(bare, entry);
    return entry === host || entry === bare;
  });
}

function readTlsDir(dir: string): RegistryEndpoint['tls'] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return {};
  }
  const ca = names.filter((n) => n.endsWith('.crt')).sort().map((n) => readFileSync(join(dir, n)));
  const certName = names.find((n) => n.endsWith('.cert'));
  const keyName = certName && names.find((n) => n === certName.replace(/\.cert$/, '.key'));
  return {
    ca: ca.length ? ca : undefined,
    cert: certName && keyName ? readFileSync(join(dir, certName)) : undefined,
    key: certName && keyName ? readFileSync(join(dir, keyName)) : undefined,
  };
}

/** The endpoint for a reference's domain. */
export function resolveEndpoint(domain: string, opts: { insecure: readonly string[]; certsDir?: string }): RegistryEndpoint {
  const host = registryHost(domain);
  const tls = opts.certsDir ? { ...readTlsDir(join(opts.certsDir, domain)), ...(host !== domain ? readTlsDir(join(opts.certsDir, host)) : {}) } : {};
  return { name: domain, host, insecure: isInsecureRegistry(domain, opts.insecure) || isInsecureRegistry(host, opts.insecure), tls };
}

/**
 * The endpoint of a Docker Hub mirror (--registry-mirror): serves `docker.io` references; an
 * http:// mirror, or one listed by --insecure-registry, is insecure; certs.d applies by host.
 */
export function mirrorEndpoint(mirror: { scheme: 'http' | 'https'; host: string }, opts: { insecure: readonly string[]; certsDir?: string }): RegistryEndpoint {
  return {
    name: 'docker.io', host: mirror.host,
    insecure: mirror.scheme === 'http' || isInsecureRegistry(mirror.host, opts.insecure),
    tls: opts.certsDir ? readTlsDir(join(opts.certsDir, mirror.host)) : {},
  };
}
