import { BaseCommand } from './base';
import { machineNamesArg } from './machine-args';
import { forEachMachine } from './for-each-machine';
import type { LifecycleOptions } from '../../core/lifecycle';
import type { Store } from '../../core/store';

type Action = (store: Store, name: string, o: LifecycleOptions) => Promise<void>;

/**
 * A command that applies one lifecycle action (start, stop, restart, kill, provision) to each
 * named machine in turn (`default` when none is named), with progress and Ctrl-C handling.
 */
export function powerCommand(verb: string, summary: string, action: Action): typeof BaseCommand {
  return class extends BaseCommand {
    static summary = summary;
    static strict = false;
    static args = machineNamesArg;
    static examples = [`<%= config.bin %> ${verb} dev`];

    async run(): Promise<void> {
      const { argv, flags } = await this.parse(this.constructor as typeof BaseCommand);
      const store = this.store(flags as { 'storage-path'?: string });
      const progress = this.progress();
      const signal = this.interruptSignal();
      await forEachMachine(this.namesOrDefault(argv), (name) => action(store, name, { progress, signal }));
    }
  };
}
