import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { stopMachine } from '../core/lifecycle';
import { forEachMachine } from './_lib/for-each-machine';

export default class Stop extends BaseCommand {
  static summary = 'Stop machines gracefully';
  static strict = false;
  static args = machineNamesArg;
  static examples = ['<%= config.bin %> stop dev'];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stop);
    const store = this.store(flags);
    const progress = this.progress();
    const signal = this.interruptSignal();
    await forEachMachine(this.namesOrDefault(argv), (name) => stopMachine(store, name, { progress, signal }));
  }
}
