import { Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from './_lib/base';
import { machineNamesArg } from './_lib/machine-args';
import { forEachMachine } from './_lib/for-each-machine';
import { removeMachine } from '../core/lifecycle';
import { TsmError } from '../core/errors';

export default class Rm extends BaseCommand {
  static summary = 'Remove machines and everything they created';
  static strict = false;
  static args = machineNamesArg;
  static examples = ['<%= config.bin %> rm -y dev', '<%= config.bin %> rm -f broken1 broken2'];
  static flags = {
    force: Flags.boolean({ char: 'f', description: 'Forget the machine even if removing it from its provider fails (implies -y)', default: false }),
    y: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Rm);
    const names = this.namesOrDefault(argv);
    if (!flags.y && !flags.force) {
      if (!process.stdin.isTTY) {
        throw new TsmError('INVALID_FLAG', `refusing to remove ${names.join(', ')} without confirmation`, {
          suggestion: 'add -y to confirm when no terminal is attached',
        });
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`About to remove ${names.join(', ')}\nAre you sure? (y/n): `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return void this.log('Aborted.');
    }
    const store = this.store(flags);
    const progress = this.progress();
    await forEachMachine(names, async (name) => {
      await removeMachine(store, name, { progress, force: flags.force });
      this.log(`Successfully removed ${name}`);
    });
  }
}
