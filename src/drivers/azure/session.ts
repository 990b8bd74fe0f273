import { TsmError } from '../../core/errors';
import { sleep as realSleep, waitFor, type Sleep } from '../../core/wait';
import type { DriverContext } from '../driver';
import type { AzureApi, LroOptions, VmStatus } from './api';
import { boundedCall } from './bounded';
import type { AzureConfig, AzureResources } from './config';
import { isNotFound, wrapAzureError } from './errors';
import { azureNames, resourceId, type AzureNames } from './names';

/** Time bounds of the driver's Azure calls and waits (ms). */
export interface AzureTimeouts {
  /** One plain call (get, list). */
  call: number;
  /** Creating the group or one network resource. */
  network: number;
  /** Creating the VM. */
  vm: number;
  /** start, stop (deallocate), restart, kill (power off). */
  power: number;
  /** Deleting one resource. */
  delete: number;
  /** Deleting the resource group (everything in it). */
  group: number;
  /** Waiting for the power state to settle after an operation. */
  settle: number;
}

export const DEFAULT_TIMEOUTS: AzureTimeouts = {
  call: 60_000,
  network: 5 * 60_000,
  vm: 20 * 60_000,
  power: 10 * 60_000,
  delete: 10 * 60_000,
  group: 30 * 60_000,
  settle: 5 * 60_000,
};

export interface AzureDriverOptions {
  api: AzureApi;
  sleep?: Sleep;
  /** Poll interval of the power-state waits. */
  pollMs?: number;
  timeouts?: Partial<AzureTimeouts>;
}

/** What the driver's parts share for one machine: context, API, names, bounded calls, records. */
export class AzureSession {
  readonly api: AzureApi;
  readonly t: AzureTimeouts;
  readonly n: AzureNames;
  private readonly sleep: Sleep;
  private readonly pollMs: number;

  constructor(
    readonly ctx: DriverContext<AzureConfig>,
    o: AzureDriverOptions,
  ) {
    this.api = o.api;
    this.t = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
    this.sleep = o.sleep ?? realSleep;
    this.pollMs = o.pollMs ?? 5000;
    this.n = azureNames(ctx.config, ctx.name);
    ctx.config.resources ??= {};
    ctx.config.addresses ??= {};
  }

  get c(): AzureConfig {
    return this.ctx.config;
  }

  /**
   * One Azure call, bounded in time, wrapped into a TsmError naming `what`. Calls made while
   * creating or powering stop on interrupt; remove passes `interruptible: false` so a rollback
   * after Ctrl-C still deletes everything.
   */
  call<T>(what: string, timeoutMs: number, fn: (o: LroOptions) => Promise<T>, interruptible = true): Promise<T> {
    return boundedCall(what, timeoutMs, interruptible ? this.ctx.signal : undefined, fn).catch((e) => {
      throw wrapAzureError(e, what, this.c.subscriptionId);
    });
  }

  /** A get that resolves undefined when the resource is not there. */
  async find<T>(what: string, fn: () => Promise<T>, interruptible = true): Promise<T | undefined> {
    try {
      return await this.call(what, this.t.call, fn, interruptible);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  checkAbort(what: string): void {
    if (this.ctx.signal?.aborted) throw new TsmError('ABORTED', `interrupted before ${what}`, { cause: this.ctx.signal.reason });
  }

  info(message: string): void {
    this.ctx.progress({ kind: 'info', message });
  }

  warn(message: string): void {
    this.ctx.progress({ kind: 'warn', message });
  }

  /** Records a resource as this machine's (before asking Azure for it) and saves. */
  async record(kind: keyof AzureResources, name: string): Promise<void> {
    this.c.resources[kind] = name;
    await this.ctx.save();
  }

  async forget(kind: keyof AzureResources): Promise<void> {
    delete this.c.resources[kind];
    await this.ctx.save();
  }

  id(kind: keyof AzureResources, name: string): string {
    return resourceId(this.c.subscriptionId, this.n, kind, name);
  }

  /** Polls the VM's status until `done` says so, reporting each new state; bounded by `settle`. */
  async waitVm(what: string, done: (s: VmStatus) => boolean, interruptible = true): Promise<VmStatus> {
    let last = '';
    const s = await waitFor(
      async () => {
        const s = await this.call(`reading the state of VM ${this.n.vm}`, this.t.call, () => this.api.vmStatus(this.n.group, this.n.vm), interruptible);
        const now = `${s.provisioning ?? '?'}/${s.power ?? '?'}`;
        if (now !== last) this.info(`VM ${this.n.vm}: provisioning ${s.provisioning ?? 'unknown'}, power ${s.power ?? 'unknown'}`);
        last = now;
        return done(s) || s.provisioning === 'failed' ? s : undefined;
      },
      { timeoutMs: this.t.settle, what, intervalMs: this.pollMs, signal: interruptible ? this.ctx.signal : undefined, sleep: this.sleep },
    );
    if (!done(s)) {
      throw new TsmError('DRIVER_ERROR', `VM ${this.id('vm', this.n.vm)} failed to provision`, {
        suggestion: 'see the VM in the Azure portal (Activity log, boot diagnostics); remove it with tsmachine rm',
      });
    }
    return s;
  }
}
