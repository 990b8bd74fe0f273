import { BaseCommand } from './_lib/base';
import { clientConfig } from '../core/machine-url';
import { engineVersion, readEngineTls } from '../core/engine-client';
import { Args } from '@oclif/core';

export default class Version extends BaseCommand {
  static summary = 'Print the tsmachine version, or the engine version of a machine';
  static args = { name: Args.string({ description: 'Machine name (prints its engine version)' }) };
  static enableJsonFlag = true;

  async run() {
    const { args, flags } = await this.parse(Version);
    if (!args.name) {
      const v = `tsmachine version ${this.config.version}`;
      this.log(v);
      return { version: this.config.version };
    }
    const store = this.store(flags);
    const c = await clientConfig(store, args.name);
    const u = new URL(c.url.replace('tcp://', 'https://'));
    const engine = await engineVersion(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port), await readEngineTls(c.certPath));
    this.log(engine);
    return { name: args.name, engine };
  }
}
