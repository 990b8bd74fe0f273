import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { killMachine } from '../core/lifecycle';
import { forEachMachine } from './_lib/for-each-machine';

export default class Kill extends BaseCommand {
  static summary = 'Power off machines at once';
  static strict = false;
  static args = machineNamesArg;
  static examples = ['<%= config.bin %> kill dev'];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Kill);
    const store = this.store(flags);
    const progress = this.progress();
    const signal = this.interruptSignal();
    await forEachMachine(this.namesOrDefault(argv), (name) => killMachine(store, name, { progress, signal }));
  }
}
