import { Args } from '@oclif/core';
import { BaseCommand } from './_lib/base';
import { connectToMachine } from '../core/machine-ssh';

export default class Ssh extends BaseCommand {
  static summary = 'Log into a machine, or run a command on it';
  static examples = ['<%= config.bin %> ssh dev', '<%= config.bin %> ssh dev -- uname -a'];
  static strict = false;
  static args = { name: Args.string({ description: 'Machine name', default: 'default' }) };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(Ssh);
    const command = (argv as string[]).slice(1).join(' ');
    const ssh = await connectToMachine(this.store(flags), args.name);
    const stdin = process.stdin;
    const interactive = Boolean(stdin.isTTY);
    if (interactive) stdin.setRawMode(true);
    try {
      const size = { rows: process.stdout.rows, cols: process.stdout.columns };
      const code = command
        ? await ssh.execStream(command, { stdin, stdout: process.stdout, stderr: process.stderr, pty: interactive ? size : undefined })
        : await ssh.shell({ stdin, stdout: process.stdout, stderr: process.stderr, ...size });
      process.exitCode = code;
    } finally {
      if (interactive) stdin.setRawMode(false);
      stdin.pause();
      ssh.close();
    }
  }
}
