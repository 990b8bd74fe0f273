import { Flags } from '@oclif/core';
import { BaseCommand } from './_lib/base';
import { machineNameArg } from './_lib/machine-args';
import { clientConfig } from '../core/machine-url';
import { SHELL_FALLBACK_NOTICE, detectShell, dockerEnvNames, dockerEnvVars, findNoProxy, noProxyValue, renderEnv, shellSyntax } from '../core/render';

export default class Env extends BaseCommand {
  static summary = 'Print the shell exports that point the docker CLI at a machine';
  static examples = ['eval $(<%= config.bin %> env dev)', '<%= config.bin %> env --shell fish dev | source', 'eval $(<%= config.bin %> env -u)'];
  static args = machineNameArg;
  static enableJsonFlag = true;
  static flags = {
    shell: Flags.string({ description: 'Shell to print for: bash, zsh, sh, fish, powershell, cmd, tcsh, emacs (default: from $SHELL)' }),
    unset: Flags.boolean({ char: 'u', description: 'Print the lines that unset the variables instead', default: false }),
    'no-proxy': Flags.boolean({ description: "Add the machine's IP to NO_PROXY", default: false }),
  };

  async run() {
    const { args, flags } = await this.parse(Env);
    const shell = flags.shell ?? detectShell(process.env, process.platform);
    shellSyntax(shell); // an unsupported shell is refused before anything else
    const bin = this.config.bin;
    if (flags.unset) {
      const names = dockerEnvNames(process.platform);
      const noProxy = flags['no-proxy'] ? { ...findNoProxy(process.env), value: '' } : undefined;
      this.printOut(renderEnv({ shell, vars: names.map((n) => [n, ''] as const), unset: true, noProxy, commandLine: [bin, 'env', '-u'] }));
      return { unset: noProxy ? [...names, noProxy.name] : names };
    }
    const c = await clientConfig(this.store(flags), args.name);
    const host = new URL(c.url.replace('tcp://', 'http://'));
    const vars = dockerEnvVars({ host: host.hostname.replace(/^\[|\]$/g, ''), port: Number(host.port), certPath: c.certPath, machineName: args.name, platform: process.platform });
    let noProxy: { name: string; value: string } | undefined;
    if (flags['no-proxy']) {
      const current = findNoProxy(process.env);
      noProxy = { name: current.name, value: noProxyValue(current.value, host.hostname.replace(/^\[|\]$/g, '')) };
    }
    const commandLine = [bin, 'env', ...(flags.shell ? ['--shell', flags.shell] : []), args.name];
    this.printOut(renderEnv({ shell, vars, noProxy, commandLine }));
    return Object.fromEntries(noProxy ? [...vars, [noProxy.name, noProxy.value]] : vars);
  }

  private printOut(text: string): void {
    if (this.jsonEnabled()) return;
    if (!process.env.SHELL && process.platform !== 'win32' && !this.argv.some((a) => a === '--shell' || a.startsWith('--shell='))) process.stderr.write(`${SHELL_FALLBACK_NOTICE}\n`);
    process.stdout.write(text);
  }
}
