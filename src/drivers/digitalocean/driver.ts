import { readFile } from 'node:fs/promises';
import { errorMessage, TsmError } from '../../core/errors';
import type { Sleep } from '../../core/wait';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import { doStatus, type DigitalOceanApi, type DoDroplet, type PowerAction } from './api';
import type { DigitalOceanConfig } from './config';
import { firewallSpec } from './firewall';
import { digitaloceanPreCreateCheck, md5Fingerprint } from './precreate';
import { DoWaits, type DigitalOceanTimeouts } from './waits';

export interface DigitalOceanDriverDeps {
  api: DigitalOceanApi;
  sleep?: Sleep;
  /** Poll interval of the waits (ms). */
  pollMs?: number;
  timeouts?: Partial<DigitalOceanTimeouts>;
}

const STATES: Record<string, MachineState> = { new: 'Starting', active: 'Running', off: 'Stopped', archive: 'Stopped' };

/**
 * A DigitalOcean droplet. create: the machine's key imported as `tsmachine-<name>` (unless
 * --digitalocean-ssh-key-fingerprint names an account key), the droplet, with
 * --digitalocean-firewall its own cloud firewall, then active with a public IPv4. Each id is
 * recorded as soon as the API returns it. stop is a graceful shutdown action, kill a power_off.
 */
export class DigitalOceanDriver implements Driver {
  private readonly api: DigitalOceanApi;
  private readonly waits: DoWaits;

  constructor(private readonly ctx: DriverContext<DigitalOceanConfig>, deps: DigitalOceanDriverDeps) {
    this.api = deps.api;
    this.waits = new DoWaits(deps.api, { progress: ctx.progress, signal: ctx.signal, sleep: deps.sleep, pollMs: deps.pollMs, timeouts: deps.timeouts });
  }

  private get c(): DigitalOceanConfig {
    return this.ctx.config;
  }

  private get keyName(): string {
    return `tsmachine-${this.ctx.name}`;
  }

  preCreateCheck(): Promise<void> {
    return digitaloceanPreCreateCheck(this.api, this.c);
  }

  async create(): Promise<void> {
    const key = this.c.sshKeyFingerprint ?? (await this.importKey());
    this.waits.checkAbort();
    const userData = this.c.userDataPath ? await readFile(this.c.userDataPath, 'utf8') : undefined;
    const d = await this.api.createDroplet({
      name: this.ctx.name,
      region: this.c.region,
      size: this.c.size,
      image: /^[0-9]+$/.test(this.c.image) ? Number(this.c.image) : this.c.image,
      sshKeys: [key],
      backups: this.c.backups,
      ipv6: this.c.ipv6,
      privateNetworking: this.c.privateNetworking,
      monitoring: this.c.monitoring,
      userData,
      tags: [...new Set([...this.c.tags, 'tsmachine'])],
    });
    this.c.resources.droplet = d.id;
    await this.ctx.save();
    this.waits.checkAbort();
    if (this.c.firewall) {
      const fw = await this.api.createFirewall(firewallSpec(this.c, this.ctx.name, d.id));
      this.c.resources.firewall = fw.id;
      await this.ctx.save();
      this.waits.checkAbort();
    } else if (this.c.openPorts.length > 0) {
      this.ctx.progress({ kind: 'warn', message: '--digitalocean-open-port has no effect without --digitalocean-firewall: the droplet has no firewall, every port is open' });
    }
    await this.record(await this.waits.status(d.id, 'active', `droplet ${d.id} to be active with a public IPv4`));
  }

  /** Imports the machine's public key; a retry finds the key it imported before by fingerprint. */
  private async importKey(): Promise<number> {
    try {
      const k = await this.api.createSshKey(this.keyName, this.ctx.sshPublicKey.trim());
      this.c.resources.sshKey = k.id;
      await this.ctx.save();
      return k.id;
    } catch (e) {
      if (doStatus(e) !== 422) throw e;
      const k = await this.api.getSshKey(md5Fingerprint(this.ctx.sshPublicKey));
      if (!k) throw e;
      // Ours from an interrupted run when it bears our name; otherwise the user's, used as is.
      if (k.name === this.keyName) {
        this.c.resources.sshKey = k.id;
        await this.ctx.save();
      }
      return k.id;
    }
  }

  private async record(d: DoDroplet): Promise<void> {
    this.c.ip = d.publicIpv4;
    this.c.privateIp = d.privateIpv4;
    this.c.ipv6Address = d.publicIpv6;
    await this.ctx.save();
  }

  private requireDroplet(): number {
    const id = this.c.resources.droplet;
    if (id === undefined) throw new TsmError('MACHINE_NOT_FOUND', `digitalocean machine "${this.ctx.name}" has no droplet`, { suggestion: `remove it and create it again: tsmachine rm ${this.ctx.name}` });
    return id;
  }

  private async power(type: PowerAction, then: 'active' | 'off', suggestion?: string): Promise<void> {
    const id = this.requireDroplet();
    const a = await this.api.dropletAction(id, type);
    await this.waits.action(a.id, `${type} of droplet ${id}`, suggestion);
    const d = await this.waits.status(id, then, `droplet ${id} to be ${then}`);
    if (then === 'active') await this.record(d);
  }

  async start(): Promise<void> {
    await this.power('power_on', 'active');
  }

  /** A graceful shutdown (ACPI); if the guest ignores it, `kill` powers it off. */
  async stop(): Promise<void> {
    await this.power('shutdown', 'off', `the guest did not shut down: power it off with "tsmachine kill ${this.ctx.name}"`);
  }

  /** A hard power-off. */
  async kill(): Promise<void> {
    await this.power('power_off', 'off');
  }

  /** A graceful reboot when running; a droplet that is off is powered on. */
  async restart(): Promise<void> {
    const d = await this.api.getDroplet(this.requireDroplet());
    await this.power(d?.status === 'off' ? 'power_on' : 'reboot', 'active');
  }

  /**
   * Deletes the droplet (404: already gone), then its firewall and the imported key. If the
   * droplet cannot be deleted the rest is kept; everything not deleted stays recorded and is
   * listed in one DRIVER_ERROR.
   */
  async remove(): Promise<void> {
    const r = this.c.resources;
    const failures: string[] = [];
    const attempt = async (label: string, key: keyof typeof r, del: () => Promise<boolean>) => {
      try {
        await del();
        delete r[key];
        await this.ctx.save();
      } catch (e) {
        failures.push(`${label}: ${errorMessage(e)}`);
      }
    };
    if (r.droplet !== undefined) await attempt(`droplet ${r.droplet}`, 'droplet', () => this.api.deleteDroplet(r.droplet!));
    if (failures.length > 0) {
      if (r.firewall) failures.push(`firewall ${r.firewall}: kept while the droplet exists`);
      if (r.sshKey !== undefined) failures.push(`SSH key ${r.sshKey}: kept while the droplet exists`);
    } else {
      if (r.firewall) await attempt(`firewall ${r.firewall}`, 'firewall', () => this.api.deleteFirewall(r.firewall!));
      if (r.sshKey !== undefined) await attempt(`SSH key ${r.sshKey}`, 'sshKey', () => this.api.deleteSshKey(r.sshKey!));
    }
    if (failures.length > 0) {
      throw new TsmError('DRIVER_ERROR', `could not delete every resource of digitalocean machine "${this.ctx.name}":\n  ${failures.join('\n  ')}`, {
        suggestion: `fix the cause and run "tsmachine rm ${this.ctx.name}" again (the resources above are still recorded)`,
      });
    }
  }

  async state(): Promise<MachineState> {
    const id = this.c.resources.droplet;
    if (id === undefined) return 'None';
    const d = await this.api.getDroplet(id);
    return d ? (STATES[d.status] ?? 'Error') : 'Error';
  }

  /** The public IPv4 (a droplet keeps it for its life); read from the API when not known yet. */
  async ip(): Promise<string> {
    if (this.c.ip) return this.c.ip;
    const id = this.requireDroplet();
    const d = await this.api.getDroplet(id);
    if (!d?.publicIpv4) throw new TsmError('MACHINE_NOT_RUNNING', `droplet ${id} has no public IPv4 (status ${d?.status ?? 'not found'})`, { suggestion: `start it: tsmachine start ${this.ctx.name}` });
    return d.publicIpv4;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    return { host: await this.ip(), port: this.c.sshPort, user: this.c.sshUser, privateKeyPath: this.c.sshKeyPath ?? this.ctx.sshKeyPath };
  }

  async addresses(): Promise<string[]> {
    const ip = await this.ip();
    return [...new Set([ip, this.c.privateIp, this.c.ipv6Address].filter((a): a is string => !!a))];
  }
}
