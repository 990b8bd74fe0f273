import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { openMachine } from '../core/machine-context';

export default class Ip extends BaseCommand {
  static summary = 'Print the IP address of machines';
  static strict = false;
  static args = machineNamesArg;
  static enableJsonFlag = true;

  async run() {
    const { argv, flags } = await this.parse(Ip);
    const store = this.store(flags);
    const out: { name: string; ip: string }[] = [];
    for (const name of this.namesOrDefault(argv)) {
      const m = await openMachine(store, name);
      const ip = await m.driver.ip();
      this.log(ip);
      out.push({ name, ip });
    }
    return out;
  }
}
