import type { GceFirewallRule } from './api';
import type { GoogleConfig, PortSpec } from './config';

/** Network tag every tsmachine instance carries; the shared rule targets it. */
export const SHARED_TAG = 'tsmachine';
/** Marks rules tsmachine made (in their description), so only those are ever deleted. */
export const MARKER = '[managed by tsmachine]';

/** Docker Swarm's ports: cluster management, node gossip, overlay (VXLAN). */
export const SWARM_PORTS: PortSpec[] = [
  { port: 2377, protocol: 'tcp' },
  { port: 7946, protocol: 'tcp' },
  { port: 7946, protocol: 'udp' },
  { port: 4789, protocol: 'udp' },
];

/** SSH and the engine API (mutual TLS). */
export const BASE_PORTS: PortSpec[] = [
  { port: 22, protocol: 'tcp' },
  { port: 2376, protocol: 'tcp' },
];

function networkName(network: string): string {
  return network.split('/').pop() ?? network;
}

export function networkPath(network: string): string {
  return network.includes('/') ? network : `global/networks/${network}`;
}

/** Rules are per network: `tsmachine` on the default network, `tsmachine-<network>` elsewhere. */
export function sharedRuleName(network: string): string {
  const n = networkName(network);
  return n === 'default' ? SHARED_TAG : `${SHARED_TAG}-${n}`.slice(0, 63).replace(/-+$/, '');
}

/** This machine's own rule and tag for its extra ports. */
export function machineRuleName(instanceName: string): string {
  return `tsm-${instanceName}`.slice(0, 63).replace(/-+$/, '');
}

function allowed(ports: PortSpec[]): GceFirewallRule['allowed'] {
  const by = new Map<'tcp' | 'udp', string[]>();
  for (const p of ports) by.set(p.protocol, [...(by.get(p.protocol) ?? []), String(p.port)]);
  return [...by.entries()].map(([protocol, list]) => ({ protocol, ports: list }));
}

/** The shared rule: 22 and 2376 from anywhere to instances tagged `tsmachine`. */
export function sharedRule(c: GoogleConfig): GceFirewallRule {
  return {
    name: sharedRuleName(c.network),
    network: networkPath(c.network),
    description: `SSH and Docker engine API (TLS) for tsmachine instances ${MARKER}`,
    targetTags: [SHARED_TAG],
    sourceRanges: ['0.0.0.0/0'],
    allowed: allowed(BASE_PORTS),
  };
}

/** The extra ports of this machine (swarm, --google-open-port); none means no machine rule. */
export function extraPorts(c: GoogleConfig): PortSpec[] {
  const ports = [...(c.swarm ? SWARM_PORTS : []), ...c.openPorts];
  return ports.filter((p, i) => !BASE_PORTS.some((b) => b.port === p.port && b.protocol === p.protocol) && ports.findIndex((q) => q.port === p.port && q.protocol === p.protocol) === i);
}

/** The machine's own rule (targeting its own tag), or undefined when it needs no extra ports. */
export function machineRule(c: GoogleConfig, instanceName: string): GceFirewallRule | undefined {
  const ports = extraPorts(c);
  if (ports.length === 0) return undefined;
  const name = machineRuleName(instanceName);
  return {
    name,
    network: networkPath(c.network),
    description: `Extra ports of tsmachine instance ${instanceName} ${MARKER}`,
    targetTags: [name],
    sourceRanges: ['0.0.0.0/0'],
    allowed: allowed(ports),
  };
}

/** Network tags of the instance: the user's, the shared one, and the machine's own when it has extra ports. */
export function instanceTags(c: GoogleConfig, instanceName: string): string[] {
  const own = machineRule(c, instanceName) ? [machineRuleName(instanceName)] : [];
  return [...new Set([...c.tags, SHARED_TAG, ...own])];
}
