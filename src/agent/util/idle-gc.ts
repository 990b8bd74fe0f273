import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives memory back once the agent goes quiet after work: a full garbage collection a moment
 * after the last request began or ended. Without it, the buffers of an image import or pull stay
 * resident until V8's own idle heuristics get to them (seconds to minutes), and the agent, which
 * mostly waits, looks 5-10 MB bigger than it is.
 */
export class IdleReclaimer {
  private timer?: NodeJS.Timeout;
  /** Collections run so far (tests). */
  runs = 0;

  constructor(
    private readonly delayMs = 500,
    private readonly gc: () => void = exposeGc(),
  ) {}

  /** A request began or ended. */
  touch(): void {
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => this.fire(), this.delayMs);
      this.timer.unref();
    }
  }

  private fire(): void {
    this.timer = undefined;
    this.runs++;
    this.gc();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** V8's gc(), without --expose-gc on the command line. */
function exposeGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
