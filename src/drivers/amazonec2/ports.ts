import type { PortRule } from './config';
import type { IngressRule } from './api';

export const SSH_PORT = 22;
export const DEFAULT_ENGINE_PORT = 2376;
/** Docker Swarm mode: cluster management, node gossip (tcp+udp), overlay VXLAN. */
export const SWARM_PORTS: PortRule[] = [
  { protocol: 'tcp', port: 2377 },
  { protocol: 'tcp', port: 7946 },
  { protocol: 'udp', port: 7946 },
  { protocol: 'udp', port: 4789 },
];

const ANYWHERE = '0.0.0.0/0';

/** Every inbound rule the machine needs: SSH, the engine, swarm ports when asked, extra ports. */
export function desiredRules(o: { enginePort: number; swarm: boolean; openPorts: PortRule[] }): IngressRule[] {
  const ports: PortRule[] = [{ protocol: 'tcp', port: SSH_PORT }, { protocol: 'tcp', port: o.enginePort }];
  if (o.swarm) ports.push(...SWARM_PORTS);
  ports.push(...o.openPorts);
  const seen = new Set<string>();
  const out: IngressRule[] = [];
  for (const p of ports) {
    const key = `${p.protocol}/${p.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ protocol: p.protocol, fromPort: p.port, toPort: p.port, cidr: ANYWHERE });
  }
  return out;
}

/** The rules of `want` that no rule of `have` already allows (same protocol, from anywhere, port in range). */
export function missingRules(want: IngressRule[], have: IngressRule[]): IngressRule[] {
  return want.filter(
    (w) => !have.some((h) => h.protocol === w.protocol && h.cidr === w.cidr && h.fromPort <= w.fromPort && w.toPort <= h.toPort),
  );
}
