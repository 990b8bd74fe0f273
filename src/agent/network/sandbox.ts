import { randomBytes } from 'node:crypto';
import type { ContainerRecord } from '../containers/types';
import { randomId } from '../util/ids';
import { badRequest, conflict, forbidden, notFound, serverError } from './errors';
import { allocate, release, IpamError } from './ipam';
import { macFor, parseIp } from './ipv4';
import { createNetns, deleteNetns, ipBatch, linkExists } from './host-net';
import { addPortRule, removeContainerRules } from './bridge-rules';
import { portRequests, ephemeralRange, portFree, clashes } from './ports';
import type { NetworkManager } from './network-manager';
import { emptyEndpoint, sharedNetworkOf, type ContainerNet, type EndpointSettings, type NetworkRecord, type PortMap } from './types';

/** What a started container's network gives the launch: the netns to join and /etc files input. */
export interface NetSetup {
  /** The network namespace file for the OCI spec (undefined: runc makes one, or host networking). */
  sandboxKey?: string;
  /** `--network container:X`: the running container X whose network stack, hostname and /etc files are shared. */
  sharedWith?: ContainerRecord;
  /** Host networking (--network host, or shared with a container that has it). */
  hostNetwork?: boolean;
  /** "name:ip" lines for /etc/hosts (the container's own address). */
  hostsEntries: string[];
  /** Nameservers to put in resolv.conf instead of the host's (the network's DNS server). */
  nameservers: string[];
}

/** Runtime-only data of an attached endpoint (interface names), kept in the record. */
interface Iface { host: string; inner: string }
type NetWithIfaces = ContainerNet & { ifaces?: Record<string, Iface> };

/** EndpointsConfig as sent by clients at create / connect time. */
export type EndpointsConfig = Record<string, Partial<EndpointSettings> | null>;

/** Fills rec.Net from HostConfig.NetworkMode and NetworkingConfig.EndpointsConfig (container create). */
export function networksAtCreate(mgr: NetworkManager, rec: ContainerRecord, endpoints: EndpointsConfig | undefined): void {
  const mode = rec.HostConfig.NetworkMode ?? 'bridge';
  const sharedRef = sharedNetworkOf(mode);
  if (sharedRef !== undefined) {
    // Not a 404: the CLI answers a 404 from create by pulling the image.
    const target = mgr.containers.find(sharedRef);
    if (!target) throw badRequest(`No such container: ${sharedRef}`);
    if (Object.keys(endpoints ?? {}).some((k) => k !== 'default' && k !== mode)) throw badRequest('conflicting options: a container sharing another\'s network cannot be connected to networks');
    rec.HostConfig.NetworkMode = `container:${target.Id}`;
    rec.Net = { networks: {} };
    return;
  }
  const main = mgr.store.find(mode);
  if (!main && mode === 'bridge') { rec.Net = { networks: { bridge: emptyEndpoint('') } }; return; } // agent run with --bridge none
  // Not a 404: the CLI answers a 404 from create by pulling the image.
  if (!main) throw badRequest(`network ${mode} not found`);
  // dockerd keeps the name the user gave; a predefined network is always named.
  rec.HostConfig.NetworkMode = main.Predefined ? main.Name : mode;
  const nets: Record<string, EndpointSettings> = {};
  // The CLI names the default network "default" (its NetworkMode before the daemon resolves it).
  const entries = Object.entries(endpoints ?? {}).map(([k, v]) => [k === 'default' ? 'bridge' : k, v] as const);
  if (entries.length > 1) throw badRequest('Container cannot be connected to network endpoints: give one network at create, connect more with docker network connect');
  const cfg = entries.find(([k]) => mgr.store.find(k)?.Id === main.Id)?.[1] ?? entries[0]?.[1] ?? {};
  if (entries.length === 1 && mgr.store.find(entries[0][0])?.Id !== main.Id) throw badRequest(`NetworkingConfig names network ${entries[0][0]}, which is not the container's network (${mode})`);
  checkEndpointConfig(main, cfg ?? {});
  nets[main.Name] = emptyEndpoint(main.Id, cfg ?? {});
  rec.Net = { networks: nets };
}

function checkEndpointConfig(n: NetworkRecord, cfg: Partial<EndpointSettings>): void {
  const userDefined = !n.Predefined;
  if (cfg.Aliases?.length && !userDefined) throw badRequest('network-scoped alias is supported only for containers in user defined networks');
  if (cfg.IPAMConfig?.IPv4Address) {
    if (!userDefined) throw badRequest('user specified IP address is supported on user defined networks only');
    if (parseIp(cfg.IPAMConfig.IPv4Address) === undefined) throw badRequest(`invalid IPv4 address: ${cfg.IPAMConfig.IPv4Address}`);
  }
  if (n.Driver !== 'bridge' && cfg.Aliases?.length) throw badRequest(`network-scoped aliases are not supported on network ${n.Name}`);
}

function hex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** Sets up the container's network namespace before its process starts. On failure undoes it. */
export async function setUpSandbox(mgr: NetworkManager, rec: ContainerRecord): Promise<NetSetup> {
  const mode = rec.HostConfig.NetworkMode ?? 'bridge';
  const sharedRef = sharedNetworkOf(mode);
  if (sharedRef !== undefined) return sharedSandbox(mgr, sharedRef);
  if (!rec.Net) networksAtCreate(mgr, rec, undefined); // records from before networking existed
  const setup: NetSetup = { hostsEntries: [], nameservers: [] };
  const main = mainNetwork(mgr, rec);
  if (!main) return setup;
  const key = mgr.sandboxPath(rec.Id);
  await tearDownSandbox(mgr, rec);
  const net = rec.Net as NetWithIfaces;
  try {
    await createNetns(key);
    net.sandboxKey = key;
    await ipBatch(['link set lo up'], key);
    let first = true;
    for (const name of Object.keys(net.networks)) {
      if (!net.networks[name].NetworkID) continue;
      const n = mgr.store.find(net.networks[name].NetworkID);
      if (!n) throw notFound(`network ${name} not found: it was removed; connect the container to another network`);
      await attachEndpoint(mgr, rec, n, first);
      first = false;
    }
    await publishPorts(mgr, rec, main);
  } catch (e) {
    await tearDownSandbox(mgr, rec).catch(() => undefined);
    throw e;
  }
  const ep = net.networks[main.Name];
  setup.sandboxKey = key;
  setup.hostsEntries = [`${rec.Config.Hostname}:${ep.IPAddress}`];
  if (mgr.hasDns(main)) setup.nameservers = [main.Gateway!];
  return setup;
}

/** The network ports are published on: the NetworkMode one, else the first bridge network connected. */
export function mainNetwork(mgr: NetworkManager, rec: ContainerRecord): NetworkRecord | undefined {
  const nets = Object.values(rec.Net?.networks ?? {}).map((e) => mgr.store.find(e.NetworkID)).filter((n) => n !== undefined);
  const mode = mgr.store.find(rec.HostConfig.NetworkMode ?? 'bridge');
  if (mode && mode.Driver !== 'bridge') return undefined;
  return nets.find((n) => n.Id === mode?.Id && n.Driver === 'bridge') ?? nets.find((n) => n.Driver === 'bridge');
}

/**
 * `--network container:ID`: the running container's network namespace (its namespace file, or
 * its process's when runc made the namespace: --network none, or itself shared), or host
 * networking when it has that. Nothing is created, so nothing is torn down.
 */
function sharedSandbox(mgr: NetworkManager, ref: string): NetSetup {
  const target = mgr.containers.find(ref);
  if (!target) throw notFound(`No such container: ${ref}`);
  if (!target.State.Running || !target.State.Pid) throw conflict(`cannot join network of a non running container: ${target.Id}`);
  const hostNetwork = target.HostConfig.NetworkMode === 'host';
  const sandboxKey = hostNetwork ? undefined : (target.Net?.sandboxKey ?? `/proc/${target.State.Pid}/ns/net`);
  return { sandboxKey, sharedWith: target, hostNetwork, hostsEntries: [], nameservers: [] };
}

/** Creates the veth pair of `n` in the container's namespace, with an address from its pool. */
export async function attachEndpoint(mgr: NetworkManager, rec: ContainerRecord, n: NetworkRecord, defaultRoute: boolean): Promise<void> {
  const net = rec.Net as NetWithIfaces;
  const ep = net.networks[n.Name];
  const key = net.sandboxKey!;
  net.ifaces ??= {};
  const usedInner = new Set(Object.values(net.ifaces).map((i) => i.inner));
  let idx = 0;
  while (usedInner.has(`eth${idx}`)) idx++;
  const iface: Iface = { host: `veth${hex(4).slice(0, 7)}`, inner: `eth${idx}` };
  let ip: string;
  await mgr.lock.run('net', async () => {
    const pool = mgr.pool(n);
    try {
      ip = allocate(pool, rec.Id, ep.IPAMConfig?.IPv4Address || undefined);
    } catch (e) {
      if (e instanceof IpamError) throw badRequest(e.message);
      throw e;
    }
    await mgr.savePool(n, pool);
  });
  const prefix = Number(n.Subnet!.split('/')[1]);
  const mac = macFor(parseIp(ip!)!);
  net.ifaces[n.Name] = iface;
  await ipBatch([
    `link add ${iface.host} type veth peer name ${iface.inner} netns ${key}`,
    `link set ${iface.host} master ${n.Bridge}`,
    `link set ${iface.host} type bridge_slave hairpin on`,
    `link set ${iface.host} up`,
  ]);
  await ipBatch([
    `link set ${iface.inner} address ${mac}`,
    `addr add ${ip!}/${prefix} dev ${iface.inner}`,
    `link set ${iface.inner} up`,
    ...(defaultRoute && !n.Internal ? [`route add default via ${n.Gateway}`] : []),
  ], key);
  Object.assign(ep, { EndpointID: randomId(), IPAddress: ip!, IPPrefixLen: prefix, Gateway: n.Gateway!, MacAddress: mac, NetworkID: n.Id });
  ep.DNSNames = n.Predefined ? null : [rec.Name.slice(1), ...(ep.Aliases ?? []), rec.Id.slice(0, 12)];
}

/** Removes one endpoint's interfaces and address (container still running). */
export async function detachEndpoint(mgr: NetworkManager, rec: ContainerRecord, n: NetworkRecord): Promise<void> {
  const net = rec.Net as NetWithIfaces;
  const iface = net.ifaces?.[n.Name];
  if (iface && (await linkExists(iface.host))) await ipBatch([`link del ${iface.host}`]);
  if (net.ifaces) delete net.ifaces[n.Name];
  await releaseAddress(mgr, n, rec.Id);
  const ep = net.networks[n.Name];
  if (ep) clearRuntime(ep);
}

async function releaseAddress(mgr: NetworkManager, n: NetworkRecord, owner: string): Promise<void> {
  if (n.Driver !== 'bridge') return;
  await mgr.lock.run('net', async () => {
    const pool = mgr.pool(n);
    release(pool, owner);
    await mgr.savePool(n, pool);
  });
}

function clearRuntime(ep: EndpointSettings): void {
  Object.assign(ep, { EndpointID: '', IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', DNSNames: null });
}

/** Undoes setUpSandbox: port rules, interfaces, namespace, addresses. Safe to call twice. */
export async function tearDownSandbox(mgr: NetworkManager, rec: ContainerRecord): Promise<void> {
  const net = rec.Net as NetWithIfaces | undefined;
  // Port rules exist only for containers that asked for published ports (also after a start
  // that failed half-way, before net.ports was recorded): skip the iptables calls otherwise.
  const asked = () => {
    try { return portRequests(rec.HostConfig.PortBindings as PortMap | undefined, !!rec.HostConfig.PublishAllPorts, rec.Config.ExposedPorts ?? undefined).length > 0; } catch { return true; }
  };
  const mayHaveRules = !!net?.ports || asked();
  if (mayHaveRules) await removeContainerRules(rec.Id);
  for (const iface of Object.values(net?.ifaces ?? {})) if (await linkExists(iface.host)) await ipBatch([`link del ${iface.host}`]).catch(() => undefined);
  await deleteNetns(mgr.sandboxPath(rec.Id));
  for (const n of mgr.store.all()) if (Object.values(n.Allocations).includes(rec.Id)) await releaseAddress(mgr, n, rec.Id);
  if (!net) return;
  for (const ep of Object.values(net.networks)) clearRuntime(ep);
  net.ifaces = {};
  net.ports = undefined;
  net.sandboxKey = undefined;
}

/** Published ports of every other running container (for conflict checks). */
function takenPorts(mgr: NetworkManager, self: string): Array<{ proto: string; ip: string; port: number; owner: ContainerRecord }> {
  const out = [];
  for (const c of mgr.containers.all()) {
    if (c.Id === self || !c.Net?.ports) continue;
    for (const [k, list] of Object.entries(c.Net.ports)) for (const b of list ?? []) out.push({ proto: k.split('/')[1], ip: b.HostIp, port: Number(b.HostPort), owner: c });
  }
  return out;
}

/** Allocates host ports and adds the DNAT rules (ports publish on the container's main network). */
async function publishPorts(mgr: NetworkManager, rec: ContainerRecord, main: NetworkRecord): Promise<void> {
  const reqs = portRequests(rec.HostConfig.PortBindings as PortMap | undefined, !!rec.HostConfig.PublishAllPorts, rec.Config.ExposedPorts ?? undefined);
  const net = rec.Net!;
  const ep = net.networks[main.Name];
  const ports: PortMap = {};
  for (const k of Object.keys(rec.Config.ExposedPorts ?? {})) ports[k] = null;
  await mgr.lock.run('ports', async () => {
    const taken = takenPorts(mgr, rec.Id);
    const mine: Array<{ proto: string; ip: string; port: number }> = [];
    for (const r of reqs) {
      const ip = r.hostIp || '0.0.0.0';
      const busy = async (port: number) => taken.some((t) => clashes(t, { proto: r.proto, ip, port }))
        || mine.some((t) => clashes(t, { proto: r.proto, ip, port })) || !(await portFree(r.proto, ip === '0.0.0.0' ? '' : ip, port));
      let port = 0;
      if (r.hostFrom === 0) {
        const [lo, hi] = ephemeralRange();
        const start = lo + Math.floor(Math.random() * (hi - lo + 1));
        for (let i = 0; i <= hi - lo && !port; i++) {
          const p = lo + ((start - lo + i) % (hi - lo + 1));
          if (!(await busy(p))) port = p;
        }
      } else {
        for (let p = r.hostFrom; p <= r.hostTo && !port; p++) if (!(await busy(p))) port = p;
      }
      if (!port) {
        const what = r.hostFrom === 0 ? 'no free port in the ephemeral range' : `Bind for ${ip}:${r.hostFrom === r.hostTo ? r.hostFrom : `${r.hostFrom}-${r.hostTo}`} failed: port is already allocated`;
        throw serverError(`driver failed programming external connectivity on endpoint ${rec.Name.slice(1)} (${ep.EndpointID}): ${what}`);
      }
      mine.push({ proto: r.proto, ip, port });
      const b = { HostIp: ip, HostPort: String(port) };
      (ports[r.key] ??= []).push(b);
      await addPortRule(rec.Id, main.Bridge!, b, r.proto, ep.IPAddress, r.containerPort);
    }
    net.ports = ports;
  });
}

/** POST /networks/{id}/connect. */
export async function connect(mgr: NetworkManager, rec: ContainerRecord, n: NetworkRecord, cfg: Partial<EndpointSettings>): Promise<void> {
  if (!rec.Net) networksAtCreate(mgr, rec, undefined);
  const mode = rec.HostConfig.NetworkMode ?? 'bridge';
  if (mode === 'host' || mode === 'none' || sharedNetworkOf(mode) !== undefined || n.Driver !== 'bridge') {
    throw forbidden(n.Driver !== 'bridge' ? `container cannot be disconnected from host network or connected to host network`
      : `container sharing network namespace with another container or host cannot be connected to any other network`);
  }
  if (Object.values(rec.Net!.networks).some((e) => e.NetworkID === n.Id)) throw forbidden(`endpoint with name ${rec.Name.slice(1)} already exists in network ${n.Name}`);
  checkEndpointConfig(n, cfg);
  rec.Net!.networks[n.Name] = emptyEndpoint(n.Id, cfg);
  if (rec.State.Running && rec.Net!.sandboxKey) {
    try {
      await attachEndpoint(mgr, rec, n, false);
    } catch (e) {
      await detachEndpoint(mgr, rec, n).catch(() => undefined);
      delete rec.Net!.networks[n.Name];
      throw e;
    }
  }
}

/** POST /networks/{id}/disconnect. */
export async function disconnect(mgr: NetworkManager, rec: ContainerRecord, n: NetworkRecord, force: boolean): Promise<void> {
  const name = Object.keys(rec.Net?.networks ?? {}).find((k) => rec.Net!.networks[k].NetworkID === n.Id);
  if (!name) {
    if (force) return;
    throw forbidden(`container ${rec.Id} is not connected to network ${n.Name}`);
  }
  if (n.Driver !== 'bridge') throw forbidden('container cannot be disconnected from host network or connected to host network');
  if (rec.State.Running) {
    // Published ports go to the main network's address: they go away with it.
    if (mainNetwork(mgr, rec)?.Id === n.Id) {
      await removeContainerRules(rec.Id);
      rec.Net!.ports = undefined;
    }
    await detachEndpoint(mgr, rec, n);
  }
  // dockerd keeps NetworkMode; the next start uses the first network left (none left: only lo).
  delete rec.Net!.networks[name];
}
