import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { forEachMachine } from './_lib/for-each-machine';
import { reprovisionMachine } from '../core/reprovision';

export default class Provision extends BaseCommand {
  static summary = 'Provision existing machines again (agent, certificates, service)';
  static strict = false;
  static args = machineNamesArg;

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Provision);
    const store = this.store(flags);
    const progress = this.progress();
    const signal = this.interruptSignal();
    await forEachMachine(this.namesOrDefault(argv), (name) => reprovisionMachine(store, name, { progress, signal }));
  }
}
