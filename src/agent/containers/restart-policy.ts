/**
 * dockerd's restart policies: `no`, `always`, `unless-stopped`, `on-failure[:N]`, with its
 * backoff (100 ms doubling to 1 min, reset after a run of 10 s or more). Pure.
 */
export interface RestartPolicy {
  Name?: string;
  MaximumRetryCount?: number;
}

export interface RestartInput {
  policy: RestartPolicy | undefined;
  exitCode: number;
  /** Stopped or killed through the API: never restarted. */
  manuallyStopped: boolean;
  /** Restarts so far (on-failure counts against MaximumRetryCount). */
  restartCount: number;
  /** How long the run lasted. */
  ranMs: number;
  /** The previous backoff delay (0 for none). */
  previousDelayMs: number;
}

export interface RestartDecision {
  restart: boolean;
  delayMs: number;
}

const FIRST_DELAY = 100;
const MAX_DELAY = 60_000;
const RESET_AFTER = 10_000;

export const VALID_POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

/** Whether (and after how long) a container that just exited is started again. */
export function restartDecision(i: RestartInput): RestartDecision {
  const name = i.policy?.Name ?? '';
  const no = { restart: false, delayMs: 0 };
  if (i.manuallyStopped || name === '' || name === 'no') return no;
  if (name === 'on-failure') {
    if (i.exitCode === 0) return no;
    const max = i.policy?.MaximumRetryCount ?? 0;
    if (max > 0 && i.restartCount >= max) return no;
  } else if (name !== 'always' && name !== 'unless-stopped') {
    return no;
  }
  const delay = i.ranMs >= RESET_AFTER || i.previousDelayMs === 0 ? FIRST_DELAY : Math.min(i.previousDelayMs * 2, MAX_DELAY);
  return { restart: true, delayMs: delay };
}

/** Whether the agent starts this container when it starts itself (dockerd does at daemon start). */
export function startOnBoot(policy: RestartPolicy | undefined, manuallyStopped: boolean): boolean {
  const name = policy?.Name ?? '';
  return !manuallyStopped && (name === 'always' || name === 'unless-stopped');
}
