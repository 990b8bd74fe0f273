import type { DigitalOcean } from 'digitalocean-js';
import type { Droplet } from 'digitalocean-js';
import { DoApiError, type DigitalOceanApi, type DoDroplet, type DropletSpec, type FirewallSpec, type PowerAction } from './api';

/** The part of digitalocean-js's process-wide axios instance the adapter touches. */
interface SharedAxios {
  defaults: { baseURL?: string; timeout?: number; headers: { common: Record<string, string> } };
  get(url: string, config: { params: Record<string, unknown> }): Promise<{ data: Record<string, unknown> }>;
}

const PER_PAGE = 200;
const ANYWHERE = ['0.0.0.0/0', '::/0'];

/** An axios failure as a DoApiError: status, DigitalOcean's error id and message, and no request (it holds the token). */
export function toDoError(call: string, e: unknown): DoApiError {
  const err = e as { response?: { status?: number; data?: { id?: string; message?: string } }; message?: string; code?: string } | null;
  const status = err?.response?.status;
  const data = err?.response?.data;
  const detail = data?.message ?? err?.message ?? String(e);
  const tail = status ? ` (HTTP ${status}${data?.id ? `, ${data.id}` : ''})` : err?.code ? ` (${err.code})` : '';
  return new DoApiError(`${call}: ${detail}${tail}`, status, data?.id);
}

function droplet(d: Droplet): DoDroplet {
  const v4 = d.networks?.v4 ?? [];
  const v6 = (d.networks as { v6?: Array<{ ip_address: string; type: string }> } | null)?.v6 ?? [];
  return {
    id: d.id,
    name: d.name,
    status: d.status,
    publicIpv4: v4.find((n) => n.type === 'public')?.ip_address,
    privateIpv4: v4.find((n) => n.type === 'private')?.ip_address,
    publicIpv6: v6.find((n) => n.type === 'public')?.ip_address,
  };
}

const ACTIONS: Record<PowerAction, 'shutdownDroplet' | 'powerOffDroplet' | 'powerOnDroplet' | 'rebootDroplet'> = {
  shutdown: 'shutdownDroplet',
  power_off: 'powerOffDroplet',
  power_on: 'powerOnDroplet',
  reboot: 'rebootDroplet',
};

/**
 * DigitalOceanApi over digitalocean-js. That library keeps ONE axios instance per process and
 * `new DigitalOcean(token, url)` writes the token and base URL into it, so two clients in one
 * process (two machines with different tokens or endpoints, or tests) would overwrite each
 * other. Each call here therefore writes this adapter's token and URL into the shared instance
 * and starts the request in the same synchronous turn: axios 0.24 copies the defaults into the
 * request's config when the request starts, so calls of different adapters may interleave.
 */
export class DigitalOceanJsAdapter implements DigitalOceanApi {
  private lib?: { client: DigitalOcean; http: SharedAxios };

  constructor(
    private readonly token: string,
    /** Base URL without /v2. */
    private readonly apiUrl: string,
  ) {}

  private load(): { client: DigitalOcean; http: SharedAxios } {
    if (!this.lib) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DigitalOcean: Client } = require('digitalocean-js') as typeof import('digitalocean-js');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const http = (require('digitalocean-js/src/lib/axios-instance') as { instance: SharedAxios }).instance;
      this.lib = { client: new Client(this.token, `${this.apiUrl}/v2`), http };
    }
    return this.lib;
  }

  /** Binds the shared instance to this adapter, then starts `fn`'s request at once (see the class comment). */
  private async call<T>(what: string, fn: (c: DigitalOcean, http: SharedAxios) => Promise<T>): Promise<T> {
    const { client, http } = this.load();
    http.defaults.baseURL = `${this.apiUrl}/v2`;
    http.defaults.headers.common.Authorization = `Bearer ${this.token}`;
    http.defaults.timeout = 60_000;
    try {
      return await fn(client, http);
    } catch (e) {
      throw toDoError(what, e);
    }
  }

  private async orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof DoApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  private async deleted(p: Promise<unknown>): Promise<boolean> {
    return (await this.orUndefined(p.then(() => true))) ?? false;
  }

  async getAccount() {
    const a = await this.call('GET /v2/account', (c) => c.account.getUserInformation());
    return { email: a.email, status: a.status, statusMessage: a.status_message, dropletLimit: a.droplet_limit };
  }

  /** Every region (the library's getAllRegions reads one default-sized page only). */
  async listRegions() {
    const out: Array<{ slug: string; name: string; available: boolean; sizes: string[] }> = [];
    for (let page = 1; ; page++) {
      const data = await this.call('GET /v2/regions', (_c, http) => http.get('/regions', { params: { page, per_page: PER_PAGE } }).then((r) => r.data));
      const regions = (data.regions ?? []) as typeof out;
      out.push(...regions.map((r) => ({ slug: r.slug, name: r.name, available: r.available, sizes: r.sizes ?? [] })));
      if (regions.length < PER_PAGE) return out;
    }
  }

  async listSizes() {
    const out: Array<{ slug: string; available: boolean; regions: string[] }> = [];
    for (let page = 1; ; page++) {
      const sizes = await this.call('GET /v2/sizes', (c) => c.sizes.getAllSizes(PER_PAGE, page));
      out.push(...sizes.map((s) => ({ slug: s.slug, available: s.available, regions: s.regions ?? [] })));
      if (sizes.length < PER_PAGE) return out;
    }
  }

  async getImage(slugOrId: string) {
    const i = await this.orUndefined(this.call(`GET /v2/images/${slugOrId}`, (c) => c.images.getExistingImageBySlug(slugOrId)));
    return i && { id: i.id, slug: i.slug ?? undefined, name: i.name, distribution: i.distribution, regions: i.regions ?? [] };
  }

  async getSshKey(idOrFingerprint: string | number) {
    const k = await this.orUndefined(this.call(`GET /v2/account/keys/${idOrFingerprint}`, (c) => c.ssh.getExistingKey(String(idOrFingerprint))));
    return k && { id: Number(k.id), fingerprint: String(k.fingerprint), name: k.name };
  }

  async createSshKey(name: string, publicKey: string) {
    const k = await this.call('POST /v2/account/keys', (c) => c.ssh.createNewKey({ name, public_key: publicKey }));
    return { id: Number(k.id), fingerprint: String(k.fingerprint), name: k.name };
  }

  deleteSshKey(id: number) {
    return this.deleted(this.call(`DELETE /v2/account/keys/${id}`, (c) => c.ssh.deleteKey(String(id))));
  }

  async createDroplet(s: DropletSpec) {
    const request = {
      name: s.name,
      region: s.region,
      size: s.size,
      image: s.image,
      ssh_keys: s.sshKeys,
      backups: s.backups,
      ipv6: s.ipv6,
      private_networking: s.privateNetworking,
      monitoring: s.monitoring,
      tags: s.tags,
      ...(s.userData ? { user_data: s.userData } : {}),
    };
    return droplet(await this.call('POST /v2/droplets', (c) => c.droplets.createNewDroplet(request)));
  }

  async getDroplet(id: number) {
    const d = await this.orUndefined(this.call(`GET /v2/droplets/${id}`, (c) => c.droplets.getExistingDroplet(id)));
    return d && droplet(d);
  }

  deleteDroplet(id: number) {
    return this.deleted(this.call(`DELETE /v2/droplets/${id}`, (c) => c.droplets.deleteDroplet(id)));
  }

  async dropletAction(id: number, type: PowerAction) {
    const a = await this.call(`POST /v2/droplets/${id}/actions (${type})`, (c) => c.dropletActions[ACTIONS[type]](id));
    return { id: a.id, status: a.status, type: a.type };
  }

  async getAction(id: number) {
    const a = await this.call(`GET /v2/actions/${id}`, (c) => c.actions.getExistingAction(id));
    return { id: a.id, status: a.status, type: a.type };
  }

  async createFirewall(s: FirewallSpec) {
    const everywhere = { addresses: ANYWHERE, droplet_ids: [], load_balancer_uids: [], tags: [] };
    const f = await this.call('POST /v2/firewalls', (c) =>
      c.firewalls.createFirewall({
        name: s.name,
        inbound_rules: s.inbound.map((r) => ({ protocol: r.protocol, ports: r.ports, sources: everywhere })),
        outbound_rules: (['tcp', 'udp', 'icmp'] as const).map((protocol) => ({ protocol, ports: protocol === 'icmp' ? '0' : 'all', destinations: everywhere })),
        droplet_ids: s.dropletIds,
        tags: [],
      }),
    );
    return { id: String(f.id) };
  }

  deleteFirewall(id: string) {
    return this.deleted(this.call(`DELETE /v2/firewalls/${id}`, (c) => c.firewalls.deleteFirewall(id)));
  }
}
