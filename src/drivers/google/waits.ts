import { TsmError } from '../../core/errors';
import type { ProgressSink } from '../../core/progress';
import { sleep as realSleep, waitFor, type Sleep } from '../../core/wait';
import type { GceInstance, GceOperation, GoogleApi } from './api';

export interface GoogleTimeouts {
  /** An operation (insert, delete, start, stop, ...) to finish. */
  operationMs: number;
  /** The instance to reach a status (RUNNING, TERMINATED). */
  statusMs: number;
}

export const DEFAULT_TIMEOUTS: GoogleTimeouts = { operationMs: 5 * 60_000, statusMs: 5 * 60_000 };

/** Bounded, abortable, reported waits on Compute Engine operations and instance statuses. */
export class GceWaits {
  constructor(
    private readonly api: GoogleApi,
    private readonly o: { progress: ProgressSink; signal?: AbortSignal; sleep?: Sleep; pollMs?: number; timeouts?: Partial<GoogleTimeouts> },
  ) {}

  /**
   * The same waits deaf to the abort signal: remove() runs as the rollback of an interrupted
   * create, with the signal already fired, and must still finish its deletes.
   */
  uninterruptible(): GceWaits {
    return new GceWaits(this.api, { ...this.o, signal: undefined });
  }

  private get timeouts(): GoogleTimeouts {
    return { ...DEFAULT_TIMEOUTS, ...this.o.timeouts };
  }

  /** Throws ABORTED when the user interrupted (checked between steps). */
  checkAbort(): void {
    if (this.o.signal?.aborted) throw new TsmError('ABORTED', 'interrupted', { cause: this.o.signal.reason });
  }

  /** Waits until `op` is DONE; throws DRIVER_ERROR with the operation's errors when it failed. */
  async operation(op: GceOperation, what: string): Promise<void> {
    let cur = op;
    if (!cur.done) {
      this.o.progress({ kind: 'info', message: `Waiting for ${what} (operation ${op.name})` });
      cur = await waitFor(async () => {
        const now = await this.api.getOperation(op);
        return now.done ? now : undefined;
      }, this.opts(this.timeouts.operationMs, `${what} (operation ${op.name})`));
    }
    if (cur.error) throw new TsmError('DRIVER_ERROR', `${what} failed: ${cur.error}`, { suggestion: 'fix the cause named by Compute Engine and try again' });
  }

  /** Waits until the instance has one of `statuses` and returns it. */
  async status(zone: string, name: string, statuses: string[], what: string): Promise<GceInstance> {
    this.o.progress({ kind: 'info', message: `Waiting for ${what}` });
    let last = 'unknown';
    try {
      return await waitFor(async () => {
        const i = await this.api.getInstance(zone, name);
        if (!i) throw new Error(`instance ${name} was not found in zone ${zone}`);
        last = i.status;
        return statuses.includes(i.status) ? i : undefined;
      }, this.opts(this.timeouts.statusMs, what));
    } catch (e) {
      if (e instanceof TsmError && e.code === 'TIMEOUT') {
        throw new TsmError('TIMEOUT', `${e.message} (last status: ${last})`, { cause: e, suggestion: 'look at the instance in the Cloud console or with "gcloud compute instances describe"' });
      }
      throw e;
    }
  }

  private opts(timeoutMs: number, what: string) {
    return { timeoutMs, what, intervalMs: this.o.pollMs ?? 2000, signal: this.o.signal, sleep: this.o.sleep ?? realSleep };
  }
}
