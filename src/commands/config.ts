import { BaseCommand } from './_lib/base';
import { machineNameArg } from './_lib/machine-args';
import { clientConfig } from '../core/machine-url';

export default class Config extends BaseCommand {
  static summary = 'Print the docker client flags that reach a machine';
  static examples = ['docker $(<%= config.bin %> config dev) ps'];
  static args = machineNameArg;
  static enableJsonFlag = true;

  async run() {
    const { args, flags } = await this.parse(Config);
    const c = await clientConfig(this.store(flags), args.name);
    this.log(['--tlsverify', `--tlscacert="${c.caPath}"`, `--tlscert="${c.certFile}"`, `--tlskey="${c.keyFile}"`, `-H=${c.url}`].join('\n'));
    return c;
  }
}
