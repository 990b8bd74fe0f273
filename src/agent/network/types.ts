/** What tsagent persists per network (`<data-root>/network/networks.json`). */
export interface NetworkRecord {
  Id: string;
  Name: string;
  Created: string;
  /** "bridge" for networks with a Linux bridge; "host" and "null" for the predefined ones. */
  Driver: 'bridge' | 'host' | 'null';
  Internal: boolean;
  Attachable: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** Created by the agent itself (bridge, host, none): cannot be removed. */
  Predefined: boolean;
  /** Only for bridge networks. */
  Subnet?: string;
  Gateway?: string;
  /** The Linux bridge's name. */
  Bridge?: string;
  /** IPAM state: address -> endpoint owner (container ID). */
  Allocations: Record<string, string>;
  LastAllocated?: string;
}

/** dockerd's EndpointSettings (NetworkSettings.Networks.<name>), also the create-time config. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** "80/tcp" -> bindings (null for exposed, unpublished ports). */
export type PortMap = Record<string, PortBinding[] | null>;

/** Networking state kept in the container record (`Net`). */
export interface ContainerNet {
  /** Network name -> endpoint (addresses are filled while the container runs). */
  networks: Record<string, EndpointSettings>;
  /** The published ports of the current run. */
  ports?: PortMap;
  /** The network namespace file of the current run. */
  sandboxKey?: string;
}

/** The container named by a `container:NAME` network mode (shares its network stack), else undefined. */
export function sharedNetworkOf(mode: string | undefined): string | undefined {
  return mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

export function emptyEndpoint(networkId: string, cfg: Partial<EndpointSettings> = {}): EndpointSettings {
  return {
    IPAMConfig: cfg.IPAMConfig ?? null, Links: cfg.Links ?? null, Aliases: cfg.Aliases?.length ? [...cfg.Aliases] : null,
    MacAddress: '', DriverOpts: cfg.DriverOpts ?? null, NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '',
    IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}
