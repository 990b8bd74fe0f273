import { Command, Flags, Interfaces } from '@oclif/core';
import { TsmError, errorMessage } from '../../core/errors';
import { storeRoot } from '../../core/paths';
import { Store } from '../../core/store';
import { progressRenderer } from './progress-renderer';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

/**
 * Shared by every tsmachine command: the global flags (-s/--storage-path, --debug), the store,
 * progress rendering, Ctrl-C as an AbortSignal, and error rendering (message, then the remedy).
 */
export abstract class BaseCommand extends Command {
  static baseFlags = {
    'storage-path': Flags.string({
      char: 's',
      description: 'Store folder for machines and certificates',
      env: 'TSMACHINE_STORAGE_PATH',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({ description: 'Show error causes and stacks', helpGroup: 'GLOBAL', default: false }),
  };

  private aborter?: AbortController;
  private stopProgress?: () => void;

  protected store(flags: { 'storage-path'?: string }): Store {
    return new Store(storeRoot(flags['storage-path']));
  }

  /** Progress sink for the core (stderr). Quiet when --json is set. */
  protected progress() {
    const r = progressRenderer(process.stderr, this.jsonEnabled());
    this.stopProgress = r.stop;
    return r.sink;
  }

  /** An AbortSignal that fires on the first Ctrl-C (a second one exits at once). */
  protected interruptSignal(): AbortSignal {
    const ac = new AbortController();
    this.aborter = ac;
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      process.stderr.write('\nInterrupted: cleaning up (Ctrl-C again to quit now)\n');
      ac.abort(new Error('interrupted by the user'));
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    return ac.signal;
  }

  /** Machine names given, or `default` when none is. */
  protected namesOrDefault(argv: unknown[]): string[] {
    const names = argv.map(String).filter(Boolean);
    return names.length > 0 ? names : ['default'];
  }

  protected async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<any> {
    this.stopProgress?.();
    if (!(err instanceof TsmError)) return super.catch(err);
    const debug = this.argv.includes('--debug');
    if (this.jsonEnabled()) {
      this.logJson({ error: { code: err.code, message: err.message, suggestion: err.suggestion, problems: err.problems } });
    } else {
      process.stderr.write(`Error: ${err.message}\n`);
      if (err.suggestion) process.stderr.write(`  → ${err.suggestion}\n`);
      if (debug && err.cause) process.stderr.write(`  cause: ${errorMessage(err.cause)}\n${(err.cause as Error).stack ?? ''}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
    }
    process.exitCode = err.code === 'ABORTED' ? 130 : 1;
    this.exit(process.exitCode);
  }
}
