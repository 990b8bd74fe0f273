import { TsmError } from '../../core/errors';
import type { ProgressSink } from '../../core/progress';
import { sleep as realSleep, waitFor, type Sleep } from '../../core/wait';
import type { DigitalOceanApi, DoDroplet } from './api';

export interface DigitalOceanTimeouts {
  /** A droplet action (shutdown, power_on, ...) to complete. */
  actionMs: number;
  /** The droplet to reach a status (active with an IPv4, off). */
  statusMs: number;
}

export const DEFAULT_TIMEOUTS: DigitalOceanTimeouts = { actionMs: 5 * 60_000, statusMs: 5 * 60_000 };

/** Bounded, abortable, reported waits on droplet actions and statuses. */
export class DoWaits {
  constructor(
    private readonly api: DigitalOceanApi,
    private readonly o: { progress: ProgressSink; signal?: AbortSignal; sleep?: Sleep; pollMs?: number; timeouts?: Partial<DigitalOceanTimeouts> },
  ) {}

  checkAbort(): void {
    if (this.o.signal?.aborted) throw new TsmError('ABORTED', 'interrupted', { cause: this.o.signal.reason });
  }

  /** Waits until action `id` completes; an errored action is a DRIVER_ERROR. */
  async action(id: number, what: string, suggestion?: string): Promise<void> {
    this.o.progress({ kind: 'info', message: `Waiting for ${what} (action ${id})` });
    const a = await waitFor(async () => {
      const now = await this.api.getAction(id);
      return now.status === 'in-progress' ? undefined : now;
    }, this.opts(this.timeouts.actionMs, `${what} (action ${id})`));
    if (a.status !== 'completed') throw new TsmError('DRIVER_ERROR', `${what}: action ${id} ended ${a.status}`, { suggestion });
  }

  /** Waits until the droplet has `status` (and, for active, a public IPv4) and returns it. */
  async status(id: number, status: string, what: string): Promise<DoDroplet> {
    this.o.progress({ kind: 'info', message: `Waiting for ${what}` });
    let last = 'unknown';
    try {
      return await waitFor(async () => {
        const d = await this.api.getDroplet(id);
        if (!d) throw new Error(`droplet ${id} was not found`);
        last = d.status;
        return d.status === status && (status !== 'active' || d.publicIpv4) ? d : undefined;
      }, this.opts(this.timeouts.statusMs, what));
    } catch (e) {
      if (e instanceof TsmError && e.code === 'TIMEOUT') {
        throw new TsmError('TIMEOUT', `${e.message} (last status: ${last})`, { cause: e, suggestion: 'look at the droplet in the control panel or with "doctl compute droplet get"' });
      }
      throw e;
    }
  }

  private get timeouts(): DigitalOceanTimeouts {
    return { ...DEFAULT_TIMEOUTS, ...this.o.timeouts };
  }

  private opts(timeoutMs: number, what: string) {
    return { timeoutMs, what, intervalMs: this.o.pollMs ?? 3000, signal: this.o.signal, sleep: this.o.sleep ?? realSleep };
  }
}
