import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { Logger } from '../util/log';
import type { ContainerStore } from '../containers/container-store';
import type { ContainerRecord } from '../containers/types';
import { KeyedMutex } from '../util/lock';
import { randomId } from '../util/ids';
import { nowRfc3339 } from '../util/time';
import { badRequest, conflict, forbidden, notFound } from './errors';
import { formatCidr, formatIp, parseCidr, parseIp, overlaps, contains } from './ipv4';
import { NetworkStore } from './network-store';
import { ensureChains, routedSubnets, BRIDGE_PREFIX } from './host-net';
import { ensureForwarding, setUpBridge, tearDownBridge } from './bridge-rules';
import type { NetworkRecord } from './types';
import type { Pool } from './ipam';
import { DnsServer } from './dns-server';

/** dockerd's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export function candidateSubnets(): string[] {
  const out: string[] = [];
  for (let i = 17; i <= 31; i++) out.push(`172.${i}.0.0/16`);
  for (let i = 0; i < 256; i += 16) out.push(`192.168.${i}.0/20`);
  return out;
}

/** The first candidate that overlaps neither a route nor a network. Pure. */
export function pickSubnet(taken: string[]): string | undefined {
  const t = taken.map((s) => parseCidr(s, true)).filter((c) => c !== undefined);
  return candidateSubnets().find((s) => !t.some((c) => overlaps(parseCidr(s)!, c)));
}

export interface CreateNetworkRequest {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: Array<{ Subnet?: string; Gateway?: string; IPRange?: string }> | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const PREDEFINED = ['bridge', 'host', 'none'];
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Networks: the predefined bridge/host/none, user-defined bridges, their bridges and IPAM. */
export class NetworkManager {
  readonly store: NetworkStore;
  /** Serialises every change of network state (records, bridges, IPAM). */
  readonly lock = new KeyedMutex();

  constructor(
    readonly dataRoot: string,
    readonly execRoot: string,
    readonly log: Logger,
    readonly containers: ContainerStore,
    readonly events: EventEmitter,
    /** The default bridge's interface name; "none": no default bridge network. */
    readonly defaultBridge = 'tsa0',
  ) {
    this.store = new NetworkStore(join(dataRoot, 'network'));
  }

  sandboxPath(id: string): string {
    return join(this.execRoot, 'netns', id.slice(0, 12));
  }

  /** Loads the networks, creates the predefined ones on first start, and (re)creates bridges and rules. */
  async init(): Promise<void> {
    await this.store.init();
    const byName = (n: string) => this.store.all().find((r) => r.Name === n && r.Predefined);
    if (!byName('host')) await this.store.save(this.record('host', 'host', {}));
    if (!byName('none')) await this.store.save(this.record('none', 'null', {}));
    if (!byName('bridge') && this.defaultBridge !== 'none') {
      await this.ensureHost();
      const subnet = await this.freeSubnet();
      const rec = this.record('bridge', 'bridge', { subnet, bridge: this.defaultBridge });
      rec.Options = { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': rec.Bridge! };
      await this.store.save(rec);
      this.log.info('default bridge network', { subnet, bridge: rec.Bridge });
    }
    for (const n of this.store.all()) {
      if (n.Driver !== 'bridge') continue;
      await this.ensureHost();
      this.dropStaleAllocations(n);
      await setUpBridge(n).catch((e) => this.log.warn('could not set up network', { network: n.Name, error: e instanceof Error ? e.message : String(e) }));
      await this.startDns(n);
    }
    await this.store.flush();
  }

  private hostReady = false;

  /** tsagent's iptables chains and IP forwarding, set up once the first bridge network exists. */
  private async ensureHost(): Promise<void> {
    if (this.hostReady) return;
    await ensureChains();
    await ensureForwarding();
    this.hostReady = true;
  }

  /** Frees addresses held by containers that are gone or not running (e.g. after a reboot). */
  private dropStaleAllocations(n: NetworkRecord): void {
    for (const [ip, owner] of Object.entries(n.Allocations)) {
      const c = this.containers.find(owner);
      if (!c || !c.State.Running) delete n.Allocations[ip];
    }
  }

  private record(name: string, driver: NetworkRecord['Driver'], o: { subnet?: string; gateway?: string; bridge?: string; predefined?: boolean }): NetworkRecord {
    const id = randomId();
    const sub = o.subnet ? parseCidr(o.subnet)! : undefined;
    return {
      Id: id, Name: name, Created: nowRfc3339(), Driver: driver, Internal: false, Attachable: false, Labels: {}, Options: {},
      Predefined: o.predefined ?? true, Subnet: o.subnet, Gateway: o.gateway ?? (sub ? formatIp(sub.base + 1) : undefined),
      Bridge: driver === 'bridge' ? o.bridge ?? `${BRIDGE_PREFIX}-${id.slice(0, 11)}` : undefined, Allocations: {},
    };
  }

  private async freeSubnet(): Promise<string> {
    const taken = [...(await routedSubnets()), ...this.store.all().filter((n) => n.Subnet).map((n) => n.Subnet!)];
    const s = pickSubnet(taken);
    if (!s) throw badRequest('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    return s;
  }

  get(ref: string): NetworkRecord {
    const n = this.store.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  /** POST /networks/create. */
  async create(req: CreateNetworkRequest): Promise<NetworkRecord> {
    const name = req.Name ?? '';
    if (!name) throw badRequest('network name is required: give one, e.g. docker network create mynet');
    if (!NAME_RE.test(name)) throw badRequest(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.Driver || 'bridge';
    if (PREDEFINED.includes(name) || ['default'].includes(name)) throw forbidden(`${name} is a pre-defined network and cannot be created`);
    if (driver !== 'bridge') throw badRequest(`network driver "${driver}" is not supported by tsagent: only "bridge" networks can be created`);
    if (req.EnableIPv6) throw badRequest('IPv6 networks are not supported by tsagent yet: leave out --ipv6');
    const cfg = req.IPAM?.Config ?? [];
    if (cfg.length > 1) throw badRequest('tsagent supports one IPv4 subnet per network: give one --subnet');
    return this.lock.run('net', async () => {
      if (this.store.all().some((n) => n.Name === name)) throw conflict(`network with name ${name} already exists`);
      let subnet = cfg[0]?.Subnet;
      if (subnet) {
        const c = parseCidr(subnet, true);
        if (!c || c.prefix > 30) throw badRequest(`invalid subnet ${subnet}: give an IPv4 CIDR such as 10.10.0.0/24 (at most /30)`);
        subnet = formatCidr(c);
        const clash = this.store.all().find((n) => n.Subnet && overlaps(parseCidr(n.Subnet)!, c));
        if (clash) throw forbidden(`invalid pool request: Pool overlaps with other one on this address space (network ${clash.Name} uses ${clash.Subnet})`);
      } else subnet = await this.freeSubnet();
      const sub = parseCidr(subnet)!;
      let gateway = cfg[0]?.Gateway;
      if (gateway) {
        const g = parseIp(gateway);
        if (g === undefined || !contains(sub, g) || g === sub.base) throw badRequest(`invalid gateway ${gateway}: it must be a host address of ${subnet}`);
      } else gateway = formatIp(sub.base + 1);
      const rec = this.record(name, 'bridge', { subnet, gateway, predefined: false });
      rec.Internal = !!req.Internal;
      rec.Attachable = !!req.Attachable;
      rec.Labels = { ...(req.Labels ?? {}) };
      rec.Options = { ...(req.Options ?? {}) };
      if (rec.Options['com.docker.network.bridge.name']) rec.Bridge = rec.Options['com.docker.network.bridge.name'];
      try {
        await this.ensureHost();
        await setUpBridge(rec);
      } catch (e) {
        await tearDownBridge(rec).catch(() => undefined);
        throw e;
      }
      await this.store.save(rec);
      await this.startDns(rec);
      this.log.info('network created', { name, subnet, bridge: rec.Bridge });
      this.events.emit('network', 'create', rec);
      return rec;
    });
  }

  /** Containers (any state) that have an endpoint on `n`. */
  containersOn(n: NetworkRecord): ContainerRecord[] {
    return this.containers.all().filter((c) => Object.values(c.Net?.networks ?? {}).some((e) => e.NetworkID === n.Id)
      || (!c.Net && (c.HostConfig.NetworkMode ?? 'bridge') === n.Name));
  }

  /** DELETE /networks/{id}. */
  async remove(ref: string): Promise<void> {
    const n = this.get(ref);
    if (n.Predefined) throw forbidden(`${n.Name} is a pre-defined network and cannot be removed`);
    await this.lock.run('net', async () => {
      const users = this.containersOn(n);
      if (users.length) throw forbidden(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints (${users.map((c) => c.Name.slice(1)).join(', ')}): remove or disconnect them first`);
      this.stopDns(n);
      await tearDownBridge(n);
      await this.store.delete(n.Id);
      this.log.info('network removed', { name: n.Name });
      this.events.emit('network', 'destroy', n);
    });
  }

  private readonly dns = new Map<string, DnsServer>();

  /** Whether `n` has its DNS server running (containers then use it as their nameserver). */
  hasDns(n: NetworkRecord): boolean {
    return this.dns.has(n.Id);
  }

  /** Starts the DNS server of a user-defined network; on failure containers use the host's resolvers. */
  private async startDns(n: NetworkRecord): Promise<void> {
    if (n.Predefined || n.Driver !== 'bridge' || this.dns.has(n.Id)) return;
    const sub = parseCidr(n.Subnet!)!;
    const srv = new DnsServer(n.Gateway!, (name, source) => this.resolveName(n, name, source), (ip) => {
      const v = parseIp(ip);
      return v !== undefined && contains(sub, v);
    }, this.log);
    try {
      await srv.start();
      this.dns.set(n.Id, srv);
    } catch (e) {
      this.log.warn('network DNS server could not start; containers will use the host\'s resolvers', { network: n.Name, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private stopDns(n: NetworkRecord): void {
    this.dns.get(n.Id)?.stop();
    this.dns.delete(n.Id);
  }

  /**
   * dockerd's embedded DNS: `name` (container name, network alias, short ID) on any user-defined
   * network the asking container (at `source` on `n`) is connected to; its address there.
   */
  resolveName(n: NetworkRecord, name: string, source: string): string[] | undefined {
    const running = this.containers.all().filter((c) => c.State.Running && c.Net);
    const asker = running.find((c) => Object.values(c.Net!.networks).some((e) => e.NetworkID === n.Id && e.IPAddress === source));
    const nets = asker ? Object.values(asker.Net!.networks).map((e) => e.NetworkID) : [n.Id];
    const out: string[] = [];
    for (const netId of nets) {
      const rec = this.store.find(netId);
      if (!rec || rec.Predefined) continue;
      for (const c of running) {
        const ep = Object.values(c.Net!.networks).find((e) => e.NetworkID === netId);
        if (!ep?.IPAddress) continue;
        const names = [c.Name.slice(1), c.Id.slice(0, 12), ...(ep.Aliases ?? [])].map((x) => x.toLowerCase());
        if (names.includes(name) && !out.includes(ep.IPAddress)) out.push(ep.IPAddress);
      }
    }
    return out.length ? out : undefined;
  }

  /** The IPAM pool view of a bridge network (changes are written back with savePool). */
  pool(n: NetworkRecord): Pool {
    const used = new Map<number, string>();
    for (const [ip, o] of Object.entries(n.Allocations)) used.set(parseIp(ip)!, o);
    return { subnet: parseCidr(n.Subnet!)!, gateway: parseIp(n.Gateway!)!, used, last: n.LastAllocated ? parseIp(n.LastAllocated) : undefined };
  }

  savePool(n: NetworkRecord, p: Pool): Promise<void> {
    n.Allocations = Object.fromEntries([...p.used].map(([ip, o]) => [formatIp(ip), o]));
    n.LastAllocated = p.last !== undefined ? formatIp(p.last) : undefined;
    return this.store.save(n);
  }
}
