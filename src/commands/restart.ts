import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { restartMachine } from '../core/lifecycle';
import { forEachMachine } from './_lib/for-each-machine';

export default class Restart extends BaseCommand {
  static summary = 'Restart machines';
  static strict = false;
  static args = machineNamesArg;
  static examples = ['<%= config.bin %> restart dev'];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Restart);
    const store = this.store(flags);
    const progress = this.progress();
    const signal = this.interruptSignal();
    await forEachMachine(this.namesOrDefault(argv), (name) => restartMachine(store, name, { progress, signal }));
  }
}
