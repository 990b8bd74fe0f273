import { Flags } from '@oclif/core';
import { BaseCommand } from './_lib/base';
import { machineNameArg } from './_lib/machine-args';
import { inspectMachine } from '../core/inspect';
import { renderInspect } from '../core/render';

export default class Inspect extends BaseCommand {
  static summary = 'Show everything tsmachine knows about a machine';
  static examples = ['<%= config.bin %> inspect dev', "<%= config.bin %> inspect --format '{{.Driver.IPAddress}}' dev"];
  static args = machineNameArg;
  static flags = { format: Flags.string({ char: 'f', description: 'Go template applied to the result' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Inspect);
    const text = renderInspect(await inspectMachine(this.store(flags), args.name), flags.format);
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
