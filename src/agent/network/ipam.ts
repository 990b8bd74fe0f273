import { type Cidr, contains, formatIp, parseIp, size } from './ipv4';

/** One network's address pool: the subnet, its gateway and who holds which address. */
export interface Pool {
  subnet: Cidr;
  gateway: number;
  /** Address -> owner (an endpoint ID). */
  used: Map<number, string>;
  /** The last address handed out: allocation goes on from there (dockerd's order). */
  last?: number;
}

export class IpamError extends Error {}

/**
 * Gives `owner` an address of the pool: `wanted` when set (it must be in the subnet and free),
 * else the next free one after the last handed out, wrapping around. Never the network,
 * broadcast or gateway address. Throws IpamError when the pool is exhausted. Pure apart from
 * updating `pool`.
 */
export function allocate(pool: Pool, owner: string, wanted?: string): string {
  const first = pool.subnet.base + 1;
  const lastHost = pool.subnet.base + size(pool.subnet) - 2;
  if (wanted) {
    const n = parseIp(wanted);
    if (n === undefined) throw new IpamError(`invalid IPv4 address: ${wanted}`);
    if (!contains(pool.subnet, n) || n < first || n > lastHost) throw new IpamError(`no available IPv4 addresses on this network's address pools: ${wanted} is not a host address of the subnet`);
    if (n === pool.gateway || (pool.used.has(n) && pool.used.get(n) !== owner)) throw new IpamError(`Address already in use: ${wanted}`);
    pool.used.set(n, owner);
    return wanted;
  }
  const count = lastHost - first + 1;
  const start = pool.last !== undefined && pool.last >= first && pool.last <= lastHost ? pool.last + 1 : first;
  for (let i = 0; i < count; i++) {
    const n = first + ((start - first + i) % count);
    if (n === pool.gateway || pool.used.has(n)) continue;
    pool.used.set(n, owner);
    pool.last = n;
    return formatIp(n);
  }
  throw new IpamError('no available IPv4 addresses on this network\'s address pools');
}

/** Frees every address `owner` holds. */
export function release(pool: Pool, owner: string): void {
  for (const [ip, o] of pool.used) if (o === owner) pool.used.delete(ip);
}

/** The address `owner` holds, if any. */
export function addressOf(pool: Pool, owner: string): string | undefined {
  for (const [ip, o] of pool.used) if (o === owner) return formatIp(ip);
  return undefined;
}
