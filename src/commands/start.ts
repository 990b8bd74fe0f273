import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { startMachine } from '../core/lifecycle';
import { forEachMachine } from './_lib/for-each-machine';

export default class Start extends BaseCommand {
  static summary = 'Start machines';
  static strict = false;
  static args = machineNamesArg;
  static examples = ['<%= config.bin %> start dev'];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Start);
    const store = this.store(flags);
    const progress = this.progress();
    const signal = this.interruptSignal();
    await forEachMachine(this.namesOrDefault(argv), (name) => startMachine(store, name, { progress, signal }));
  }
}
