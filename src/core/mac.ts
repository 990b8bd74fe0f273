/**
 * Fixed, locally administered MAC addresses derived from an IPv4 address (02:TT:a:b:c:d), so an
 * interface keeps one MAC for one address and neighbours' caches never go stale.
 *
 * Bridges need this most: a Linux bridge without an explicit MAC takes the lowest MAC of its
 * ports and changes it whenever a port comes or goes, so everything that cached the gateway's
 * MAC sends into the void until its neighbour entry is probed again (seconds). Setting the MAC
 * once pins it.
 */
export const MAC_TAG = {
  /** A local machine's eth0 (by its IP). */
  machine: 0x74,
  /** A bridge (by its gateway IP): tsm0 on the host, tsagent's bridges on a machine. */
  bridge: 0x62,
} as const;

export function macForIpv4(tag: number, ip: string): string {
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ['02', tag.toString(16).padStart(2, '0'), ...octets.map((o) => o.toString(16).padStart(2, '0'))].join(':');
}
