import { promises as fsp, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { parseAgentFlags, agentUsage, FlagError, type AgentConfig } from './config/flags';
import { createLogger, type Logger } from './util/log';
import { isPidAlive } from './util/proc';
import { IdleReclaimer } from './util/idle-gc';
import { openEngine } from './engine';
import { Router } from './http/router';
import { listen } from './http/server';
import { Lifecycle, reconcile } from './containers/lifecycle';
import { ExecManager } from './exec/exec-manager';
import { HealthMonitor } from './health/health-monitor';
import { statsRoutes } from './stats/stats-routes';
import { updateRoutes } from './runtime/cgroups-update';
import { ExitWatcher } from './runtime/exit-watcher';
import { systemRoutes, AGENT_VERSION } from './api/system-routes';
import { imageRoutes } from './api/image-routes';
import { containerRoutes } from './api/container-routes';
import { streamRoutes } from './api/stream-routes';
import { execRoutes } from './api/exec-routes';
import { pruneRoutes } from './api/prune-routes';
import { registryRoutes } from './api/registry-routes';
import { archiveRoutes } from './api/archive-routes';
import { volumeRoutes } from './api/volume-routes';
import { cpRoutes } from './api/cp-routes';
import { networkRoutes } from './api/network-routes';
import { withSystemDirs } from '../core/system-path';

/** Writes the pid file, refusing when another live agent owns it. */
async function writePidfile(path: string): Promise<void> {
  let other: number | undefined;
  try {
    other = Number(readFileSync(path, 'utf8').trim());
  } catch { /* none */ }
  if (other && other !== process.pid && isPidAlive(other)) {
    throw new Error(`pid file ${path} names a running process (${other}): is another tsagent running?`);
  }
  await fsp.mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
  await fsp.writeFile(path, `${process.pid}\n`, { mode: 0o644 });
}

async function serve(config: AgentConfig, log: Logger): Promise<void> {
  await writePidfile(config.pidfile);
  const engine = await openEngine(config, log);
  const lc = new Lifecycle(engine);
  const execs = new ExecManager(engine);
  await engine.network.init();
  const health = new HealthMonitor(engine, execs);
  await reconcile(engine, lc);
  health.resume();
  const watcher = new ExitWatcher(engine.paths.exits, (id) => void lc.onExit(id));
  watcher.start(() => void lc.poll());
  const router = new Router();
  systemRoutes(router, engine);
  pruneRoutes(router, engine, lc);
  registryRoutes(router, engine);
  archiveRoutes(router, engine, lc);
  volumeRoutes(router, engine);
  cpRoutes(router, engine);
  imageRoutes(router, engine);
  containerRoutes(router, engine, lc, execs);
  streamRoutes(router, engine);
  execRoutes(router, execs);
  networkRoutes(router, engine);
  statsRoutes(router, engine);
  updateRoutes(router, engine);
  const reclaimer = new IdleReclaimer();
  const servers: Server[] = await listen(config.hosts, config.tls, { router, log, activity: reclaimer });
  log.info('tsagent listening', { version: AGENT_VERSION, hosts: config.hosts.map((h) => `${h.proto}://${h.address}`).join(','), runtime: engine.runtime.bin, dataRoot: config.dataRoot });
  const shutdown = (sig: string) => {
    log.info('shutting down; containers keep running', { signal: sig });
    watcher.stop();
    health.stopAll();
    reclaimer.stop();
    for (const s of servers) { s.close(); (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.(); }
    // A layer still unpacking after a pull holds an overlay mount: let it finish (the next start
    // discards a half-unpacked one, so a slow one is not waited for long).
    const unpacked = Promise.race([engine.layers.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    void unpacked.then(() => fsp.rm(config.pidfile, { force: true })).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  // Layer unpacking keeps many filesystem calls in flight; libuv's default pool has 4 threads.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  // runc, conmon, iptables and mount live in sbin; a boot hook or `env -i` may not have it on PATH.
  process.env.PATH = withSystemDirs(process.env.PATH);
  let config: AgentConfig;
  try {
    config = parseAgentFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`tsagent: ${e.message}\nRun 'tsagent --help' for usage.\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config.showHelp) { process.stdout.write(agentUsage()); return; }
  if (config.showVersion) { process.stdout.write(`tsagent version ${AGENT_VERSION}\n`); return; }
  const log = createLogger(config.debug);
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', { error: e instanceof Error ? e.stack ?? e.message : String(e) }));
  try {
    await serve(config, log);
  } catch (e) {
    log.error('tsagent failed to start', { error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
}

void main(process.argv.slice(2));
