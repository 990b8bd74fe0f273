import { BaseCommand } from './_lib/base';
import { machineNameArg } from './_lib/machine-args';
import { clientConfig } from '../core/machine-url';

export default class Url extends BaseCommand {
  static summary = 'Print the engine URL of a machine';
  static args = machineNameArg;
  static enableJsonFlag = true;

  async run() {
    const { args, flags } = await this.parse(Url);
    const { url } = await clientConfig(this.store(flags), args.name);
    this.log(url);
    return { url };
  }
}
