import type { FirewallSpec } from './api';
import type { DigitalOceanConfig, PortSpec } from './config';

/** SSH and the engine API (mutual TLS). */
export const BASE_PORTS: PortSpec[] = [
  { port: 22, protocol: 'tcp' },
  { port: 2376, protocol: 'tcp' },
];

/** Docker Swarm's ports: cluster management, node gossip, overlay (VXLAN). */
export const SWARM_PORTS: PortSpec[] = [
  { port: 2377, protocol: 'tcp' },
  { port: 7946, protocol: 'tcp' },
  { port: 7946, protocol: 'udp' },
  { port: 4789, protocol: 'udp' },
];

/** The ports the machine's firewall opens: SSH (on --digitalocean-ssh-port too), engine, swarm, --digitalocean-open-port. */
export function firewallPorts(c: DigitalOceanConfig): PortSpec[] {
  const all = [...BASE_PORTS, { port: c.sshPort, protocol: 'tcp' as const }, ...(c.swarm ? SWARM_PORTS : []), ...c.openPorts];
  return all.filter((p, i) => all.findIndex((q) => q.port === p.port && q.protocol === p.protocol) === i);
}

/** The cloud firewall of machine `name`, attached to its droplet. */
export function firewallSpec(c: DigitalOceanConfig, name: string, dropletId: number): FirewallSpec {
  return {
    name: `tsmachine-${name}`.slice(0, 255),
    inbound: firewallPorts(c).map((p) => ({ protocol: p.protocol, ports: String(p.port) })),
    dropletIds: [dropletId],
  };
}
