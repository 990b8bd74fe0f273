import type { DriverDefinition, FlagValues } from '../drivers/driver';
import { loadDriver } from '../drivers/registry';
import { errorMessage, throwIfProblems, TsmError, type Problem } from './errors';
import type { Exec } from './exec';
import { MACHINE_RECORD_VERSION, type EngineKind, type EngineOptions, type MachineRecord } from './machine';
import { driverContext } from './machine-context';
import { step, silentProgress, type ProgressSink } from './progress';
import { provisionMachine } from './provision-machine';
import { generateMachineKey } from './ssh-key';
import type { Store } from './store';
import { ensureStoreCerts } from '../tls';
import { machineNameProblems } from './validate-name';
import { agentCommand, agentFlagArgs } from '../provision/agent-render';
import { FlagError, parseAgentFlags } from '../agent/config/flags';

export interface CreateOptions {
  name: string;
  driver: string;
  /** Values of the driver's own flags (env and defaults applied). */
  driverFlags: FlagValues;
  engine: { kind: EngineKind; port: number; options: EngineOptions };
  /** Extra SANs for the server certificate (--tls-san). */
  extraSans: string[];
  /** Keep what was created when a step fails (for debugging). */
  keepOnFailure?: boolean;
  progress?: ProgressSink;
  signal?: AbortSignal;
  exec?: Exec;
  /** The driver definition to use instead of looking `driver` up (tests, embedders). */
  definition?: DriverDefinition<any>;
  /** Bounded waits; defaults suit clouds. */
  sshTimeoutMs?: number;
  engineTimeoutMs?: number;
}

function engineProblems(o: CreateOptions): Problem[] {
  const problems: Problem[] = [];
  const kv = (list: string[], flag: string) => {
    for (const v of list) if (!/^[^=\s]+=/.test(v)) problems.push({ field: flag, message: `"${v}" is not key=value`, suggestion: `e.g. ${flag} k=v` });
  };
  kv(o.engine.options.env, '--engine-env');
  kv(o.engine.options.labels, '--engine-label');
  if (o.engine.kind !== 'tsagent') {
    problems.push({ field: '--engine', message: `engine "${o.engine.kind}" is not available yet`, suggestion: 'use the default engine, tsagent' });
  }
  problems.push(...agentFlagProblems(o));
  for (const san of o.extraSans) {
    if (!/^[a-zA-Z0-9.:*-]+$/.test(san)) problems.push({ field: '--tls-san', message: `"${san}" is not an IP address or DNS name` });
  }
  return problems;
}

/**
 * Checks the engine options the way the agent will parse them on the host, so a bad
 * --engine-opt is reported before anything is created rather than as an engine that never starts.
 */
function agentFlagProblems(o: CreateOptions): Problem[] {
  if (o.engine.kind !== 'tsagent') return [];
  try {
    // Labels and env were checked above: only the engine opts are left for the agent's parser.
    const valid = (l: string[]) => l.filter((v) => /^[^=\s]+=/.test(v));
    const e = o.engine.options;
    const engineOptions = { ...e, labels: valid(e.labels), env: valid(e.env) };
    const cmd = agentCommand({ nodePath: 'node', port: o.engine.port, engineOptions });
    parseAgentFlags(agentFlagArgs(cmd));
    return [];
  } catch (e) {
    if (e instanceof TsmError) return [...e.problems];
    if (e instanceof FlagError) {
      return e.problems.map((m) => ({ field: '--engine-opt', message: m, suggestion: 'run "node tsagent.js --help" on a host for the engine flags' }));
    }
    throw e;
  }
}

/**
 * The create pipeline (design.md): validate everything, reserve the name, bootstrap the CA,
 * preCreateCheck, create, wait for SSH, provision, wait for the engine. Any failure (or an abort
 * through `signal`) removes what was created and frees the name, unless keepOnFailure.
 */
export async function createMachine(store: Store, o: CreateOptions): Promise<MachineRecord> {
  const progress = o.progress ?? silentProgress;
  const problems = machineNameProblems(o.name);
  const definition = o.definition ?? loadDriver(o.driver);
  const { config, problems: driverProblems } = definition.configFromFlags(o.driverFlags);
  throwIfProblems([...problems, ...driverProblems, ...engineProblems(o)], problems.length ? 'INVALID_NAME' : 'INVALID_FLAG');

  await store.reserve(o.name);
  const record: MachineRecord = {
    version: MACHINE_RECORD_VERSION,
    name: o.name,
    createdAt: new Date().toISOString(),
    driver: { name: definition.name, config: config as Record<string, unknown> },
    engine: { kind: o.engine.kind, port: o.engine.port, options: o.engine.options },
    tls: { extraSans: o.extraSans, issuedSans: [] },
  };
  let created = false;
  let driver: ReturnType<typeof definition.create> | undefined;
  try {
    return await store.withLock(o.name, async () => {
      await store.save(record);
      await step(progress, 'certs', 'Checking the store CA and client certificate', () => ensureStoreCerts(store));
      await generateMachineKey(store.machineDir(o.name), `tsmachine-${o.name}`);
      const ctx = await driverContext(store, record, { progress, signal: o.signal, exec: o.exec });
      driver = definition.create(ctx);
      await step(progress, 'precreate', `Checking ${definition.name} before creating anything`, () => driver!.preCreateCheck());
      created = true;
      await step(progress, 'create', `Creating ${definition.name} machine "${o.name}"`, () => driver!.create());
      await provisionMachine(store, { record, dir: ctx.dir, definition, driver }, {
        progress,
        signal: o.signal,
        sshTimeoutMs: o.sshTimeoutMs,
        engineTimeoutMs: o.engineTimeoutMs,
      });
      return record;
    });
  } catch (e) {
    if (o.keepOnFailure) {
      progress({ kind: 'warn', message: `kept "${o.name}" for debugging (--keep-on-failure); remove it with "tsmachine rm -f ${o.name}"` });
    } else {
      // The rollback must not inherit an aborted signal (Ctrl-C): its waits would stop at once
      // and leak what was made. It gets a driver of its own over the same recorded config.
      const cleanup = created && driver ? definition.create(await driverContext(store, record, { progress, exec: o.exec })) : undefined;
      await rollback(store, o.name, cleanup, progress);
    }
    throw wrapCreateError(e, o.name);
  }
}

async function rollback(store: Store, name: string, driver: { remove(): Promise<void> } | undefined, progress: ProgressSink): Promise<void> {
  progress({ kind: 'info', message: `Rolling back "${name}": removing what was created` });
  let leftover: unknown;
  if (driver) {
    try {
      await driver.remove();
    } catch (e) {
      leftover = e;
    }
  }
  if (leftover) {
    progress({ kind: 'warn', message: `could not remove everything for "${name}": ${errorMessage(leftover)}; kept its record so "tsmachine rm -f ${name}" can retry` });
    return;
  }
  await store.remove(name);
}

function wrapCreateError(e: unknown, name: string): unknown {
  if (e instanceof TsmError) return e;
  return new TsmError('CREATE_FAILED', `creating "${name}" failed: ${errorMessage(e)}`, { cause: e });
}
