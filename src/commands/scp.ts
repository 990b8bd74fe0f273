import { Args, Flags } from '@oclif/core';
import { BaseCommand } from './_lib/base';
import { copyFiles } from '../core/machine-scp';

export default class Scp extends BaseCommand {
  static summary = 'Copy files between this host and machines (MACHINE:PATH)';
  static examples = ['<%= config.bin %> scp ./app.tar dev:/tmp/', '<%= config.bin %> scp -r dev:/etc/tsagent ./tsagent-conf'];
  static args = {
    from: Args.string({ required: true, description: 'Source: PATH or MACHINE:PATH' }),
    to: Args.string({ required: true, description: 'Destination: PATH or MACHINE:PATH' }),
  };
  static flags = { recursive: Flags.boolean({ char: 'r', description: 'Copy folders recursively', default: false }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Scp);
    await copyFiles(this.store(flags), args.from, args.to, { recursive: flags.recursive });
  }
}
