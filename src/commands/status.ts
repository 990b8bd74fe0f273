import { BaseCommand } from './_lib/base';
import { machineNameArg } from './_lib/machine-args';
import { machineState } from '../core/lifecycle';

export default class Status extends BaseCommand {
  static summary = 'Print the state of a machine (Running, Stopped, ...)';
  static args = machineNameArg;
  static enableJsonFlag = true;

  async run() {
    const { args, flags } = await this.parse(Status);
    const state = await machineState(this.store(flags), args.name);
    this.log(state);
    return { name: args.name, state };
  }
}
