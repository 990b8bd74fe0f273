import { Args, Flags } from '@oclif/core';
import { BaseCommand } from './_lib/base';
import { driverFlagValues, driverOclifFlags, foreignDriverFlags } from './_lib/driver-flags';
import { createMachine } from '../core/create';
import { DEFAULT_DRIVER, allDriverFlags, loadDriver } from '../drivers/registry';
import { TsmError } from '../core/errors';
import type { EngineKind } from '../core/machine';

export default class Create extends BaseCommand {
  static summary = 'Create a machine, provision it and start its engine';
  static description = 'Creates a host with the chosen driver, provisions it over SSH with TLS certificates and starts tsagent on port 2376 (mutual TLS).';
  static examples = [
    '<%= config.bin %> create dev',
    '<%= config.bin %> create -d generic --generic-ip-address 203.0.113.10 --generic-ssh-user ubuntu web1',
  ];
  static enableJsonFlag = true;
  static args = { name: Args.string({ description: 'Machine name', default: 'default' }) };
  static flags = {
    driver: Flags.string({ char: 'd', description: 'Driver to create the machine with', default: DEFAULT_DRIVER, env: 'MACHINE_DRIVER' }),
    engine: Flags.string({ description: 'Engine to install', default: 'tsagent', options: ['tsagent', 'docker'] }),
    'engine-port': Flags.integer({ description: 'Port of the engine API', default: 2376 }),
    'engine-opt': Flags.string({ description: 'Engine flag, key=value (repeatable)', multiple: true, multipleNonGreedy: true }),
    'engine-env': Flags.string({ description: 'Engine environment variable, KEY=VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
    'engine-label': Flags.string({ description: 'Engine label, key=value (repeatable)', multiple: true, multipleNonGreedy: true }),
    'engine-insecure-registry': Flags.string({ description: 'Registry the engine may reach without TLS (repeatable)', multiple: true, multipleNonGreedy: true }),
    'engine-registry-mirror': Flags.string({ description: 'Registry mirror URL (repeatable)', multiple: true, multipleNonGreedy: true }),
    'tls-san': Flags.string({ description: 'Extra name or IP for the server certificate (repeatable)', multiple: true, multipleNonGreedy: true }),
    swarm: Flags.boolean({ description: 'The machine is meant for a Docker Swarm: cloud drivers also open the swarm ports (2377/tcp, 7946/tcp+udp, 4789/udp)', default: false }),
    'keep-on-failure': Flags.boolean({ description: 'Keep what was created when creation fails (to debug it)', default: false }),
    ...driverOclifFlags(),
  };

  async run() {
    const { args, flags } = await this.parse(Create);
    const driverName = flags.driver;
    loadDriver(driverName); // UNKNOWN_DRIVER before anything else
    const foreign = foreignDriverFlags(driverName, flags as Record<string, unknown>);
    if (foreign.length > 0) {
      throw new TsmError('INVALID_FLAG', `${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not a flag of the ${driverName} driver`, {
        suggestion: `pick the driver those flags belong to with -d, or drop them`,
      });
    }
    const store = this.store(flags);
    const record = await createMachine(store, {
      name: args.name,
      driver: driverName,
      driverFlags: { ...driverFlagValues(allDriverFlags()[driverName] ?? [], flags as Record<string, unknown>), swarm: flags.swarm, 'engine-port': flags['engine-port'] },
      engine: {
        kind: flags.engine as EngineKind,
        port: flags['engine-port'],
        options: {
          opts: flags['engine-opt'] ?? [],
          env: flags['engine-env'] ?? [],
          labels: flags['engine-label'] ?? [],
          insecureRegistries: flags['engine-insecure-registry'] ?? [],
          registryMirrors: flags['engine-registry-mirror'] ?? [],
        },
      },
      extraSans: flags['tls-san'] ?? [],
      keepOnFailure: flags['keep-on-failure'],
      progress: this.progress(),
      signal: this.interruptSignal(),
    });
    if (!this.jsonEnabled()) {
      this.log(`Machine "${record.name}" is running.`);
      this.log(`To point your Docker client at it, run: ${this.config.bin} env ${record.name}`);
    }
    return { name: record.name, driver: record.driver.name, engine: record.engine.kind, os: record.provisioned?.os };
  }
}
