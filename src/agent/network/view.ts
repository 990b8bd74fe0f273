import type { ContainerRecord } from '../containers/types';
import { emptyEndpoint, type EndpointSettings, type PortMap } from './types';

/** NetworkSettings.Networks: each connected network's endpoint (addresses only while running). */
export function endpointsView(rec: ContainerRecord): Record<string, EndpointSettings> {
  if (rec.Net) return Object.fromEntries(Object.entries(rec.Net.networks).map(([k, e]) => [k, { ...e }]));
  return { [rec.HostConfig.NetworkMode ?? 'bridge']: emptyEndpoint('') };
}

/** NetworkSettings.Ports: published bindings of the current run, null for exposed ports (empty when stopped). */
export function portsView(rec: ContainerRecord): PortMap {
  const out: PortMap = {};
  if (!rec.State.Running) return out;
  for (const k of Object.keys(rec.Config.ExposedPorts ?? {})) out[k] = null;
  return rec.State.Running ? { ...out, ...(rec.Net?.ports ?? {}) } : out;
}

/** GET /containers/json Ports entries. */
export function listPortsView(rec: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const [k, list] of Object.entries(portsView(rec))) {
    const [p, type] = k.split('/');
    if (!list) out.push({ PrivatePort: Number(p), Type: type });
    else for (const b of list) out.push({ IP: b.HostIp, PrivatePort: Number(p), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

/** The NetworkSettings object of GET /containers/{id}/json. */
export function networkSettingsView(rec: ContainerRecord): Record<string, unknown> {
  const nets = endpointsView(rec);
  // The top-level fields describe the default bridge network only, as in dockerd.
  const b = nets.bridge;
  return {
    Bridge: '', SandboxID: rec.Net?.sandboxKey ? rec.Id : '', SandboxKey: rec.Net?.sandboxKey ?? '', Ports: portsView(rec), HairpinMode: false,
    LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: b?.EndpointID ?? '', Gateway: b?.Gateway ?? '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    IPAddress: b?.IPAddress ?? '', IPPrefixLen: b?.IPPrefixLen ?? 0, IPv6Gateway: '', MacAddress: b?.MacAddress ?? '', Networks: nets,
  };
}
