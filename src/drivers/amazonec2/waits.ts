import { TsmError } from '../../core/errors';
import type { ProgressSink } from '../../core/progress';
import { waitFor, type Sleep } from '../../core/wait';
import type { Ec2Api, Ec2Instance, InstanceStateName } from './api';

/** Bounds of every wait, in ms. */
export interface Ec2Timeouts {
  /** pending -> running after RunInstances or StartInstances. */
  running: number;
  /** running -> a public (or private) address. */
  address: number;
  /** stopping -> stopped. */
  stopped: number;
  /** shutting-down -> terminated. */
  terminated: number;
  /** DeleteSecurityGroup retried on DependencyViolation while the network interface detaches. */
  groupRelease: number;
}

export const DEFAULT_TIMEOUTS: Ec2Timeouts = {
  running: 5 * 60_000,
  address: 2 * 60_000,
  stopped: 10 * 60_000,
  terminated: 10 * 60_000,
  groupRelease: 3 * 60_000,
};

export interface WaitDeps {
  api: Ec2Api;
  sleep?: Sleep;
  pollMs: number;
  progress: ProgressSink;
}

export interface InstanceWait {
  id: string;
  /** What is awaited, named in progress and in the timeout error. */
  what: string;
  timeoutMs: number;
  /** Done when this returns true. An absent instance is passed as undefined. */
  done: (i: Ec2Instance | undefined) => boolean;
  /** States that mean the wait can never succeed (e.g. terminated while waiting for running). */
  hopeless?: InstanceStateName[];
  signal?: AbortSignal;
}

/**
 * Polls DescribeInstances until `done`, reporting progress, bounded by timeoutMs (TIMEOUT names
 * what was awaited), stopped by `signal` (ABORTED), and failing at once in a hopeless state.
 */
export async function waitForInstance(d: WaitDeps, w: InstanceWait): Promise<Ec2Instance | undefined> {
  d.progress({ kind: 'info', message: `Waiting for ${w.what}` });
  let last: InstanceStateName | undefined;
  const r = await waitFor(
    async () => {
      const i = await d.api.describeInstance(w.id);
      if (i && i.state !== last) {
        last = i.state;
        d.progress({ kind: 'info', message: `Instance ${w.id} is ${i.state}` });
      }
      if (w.done(i)) return { i };
      if (i && w.hopeless?.includes(i.state)) return { hopeless: i.state };
      if (!i) throw new Error(`instance ${w.id} is not visible yet`);
      return false;
    },
    { timeoutMs: w.timeoutMs, what: w.what, intervalMs: d.pollMs, signal: w.signal, sleep: d.sleep },
  );
  if ('hopeless' in r) {
    throw new TsmError('DRIVER_ERROR', `instance ${w.id} became ${r.hopeless} while waiting for ${w.what}`, {
      suggestion: 'see the instance\'s state reason in the EC2 console (capacity, spot interruption, quota), then create again',
    });
  }
  return r.i;
}
