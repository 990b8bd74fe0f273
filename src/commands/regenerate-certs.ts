import { Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { forEachMachine } from './_lib/for-each-machine';
import { regenerateCerts } from '../core/regenerate-certs';
import { TsmError } from '../core/errors';

export default class RegenerateCerts extends BaseCommand {
  static summary = 'Issue new TLS certificates for machines and install them';
  static strict = false;
  static args = machineNamesArg;
  static flags = {
    force: Flags.boolean({ char: 'f', description: 'Do not ask for confirmation', default: false }),
    'client-certs': Flags.boolean({ description: 'Also make a new CA and client certificate (other machines then need regenerate-certs too)', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RegenerateCerts);
    const names = this.namesOrDefault(argv);
    if (!flags.force) {
      if (!process.stdin.isTTY) throw new TsmError('INVALID_FLAG', 'refusing to regenerate certificates without confirmation', { suggestion: 'add -f' });
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Regenerate TLS machine certs for ${names.join(', ')}? Warning: this is irreversible. (y/n): `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const store = this.store(flags);
    const progress = this.progress();
    let first = true;
    await forEachMachine(names, async (name) => {
      this.log(`Regenerating TLS certificates for ${name}`);
      await regenerateCerts(store, name, { clientCerts: flags['client-certs'] && first, progress });
      first = false;
    });
  }
}
