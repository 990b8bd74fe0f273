import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine';
import type { ExecSession } from './exec-manager';
import { mkdirp } from '../util/fsx';
import { tailLog } from '../logs/log-tail';
import { recordBytes, type LogRecord } from '../logs/k8s-log';
import { startConmonExec, type ConmonExec } from '../tty/conmon-exec';
import { forwardTtyInput } from '../tty/tty-input';
import { parseDetachKeys } from '../tty/detach-keys';
import { writeWindowSize } from '../tty/window-size';

/** Where a TTY exec session keeps conmon's files (its bundle folder for conmon). */
export function ttyExecDir(engine: Engine, id: string): string {
  return join(engine.config.execRoot, 'exec-tty', id);
}

function writer(io: Duplex, s: ExecSession) {
  return async (records: LogRecord[]) => {
    if (s.config.AttachStdout === false || io.destroyed || io.writableEnded) return;
    const data = Buffer.concat(records.map(recordBytes));
    if (data.length && !io.write(data)) await new Promise<void>((r) => { io.once('drain', r); io.once('close', r); });
  };
}

/**
 * `docker exec -t`: the process runs under conmon with a real pty (see startConmonExec).
 * Output is read from the session's conmon log; keyboard input goes through conmon's attach
 * socket; the detach sequence ends the client's stream and leaves the process running. The
 * exit code is recorded before `io` is ended. With `detach`, resolves once started.
 */
export async function startTtyExec(engine: Engine, s: ExecSession, processFile: string, io: Duplex | undefined, detach: boolean): Promise<void> {
  const dir = ttyExecDir(engine, s.id);
  const cuuid = s.id.slice(0, 12);
  const logPath = join(dir, 'output.log');
  await mkdirp(dir, 0o700);
  const cleanup = async () => {
    s.running = false;
    s.ttyDir = undefined;
    await fsp.rm(join(engine.paths.socks, cuuid), { force: true });
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rm(processFile, { force: true });
  };
  let started: ConmonExec;
  try {
    started = await startConmonExec(engine.conmonBin, {
      containerId: s.containerId, cuuid, name: `exec-${cuuid}`, dir, processSpec: processFile, logPath,
      socketDir: engine.paths.socks, runtime: engine.runtime,
    });
  } catch (e) {
    s.exitCode = 126;
    await cleanup();
    if (io && !detach) io.end(Buffer.from(`OCI runtime exec failed: ${(e as Error).message}\r\n`));
    return;
  }
  s.pid = started.pid;
  s.ttyDir = dir;
  if (s.size) await writeWindowSize(dir, s.size.height, s.size.width);
  const finished = started.exit.then(async (code) => {
    s.exitCode = code;
    await cleanup();
  });
  if (detach || !io) return;
  const abort = new AbortController();
  io.on('close', () => abort.abort());
  io.on('error', () => abort.abort());
  if (s.config.AttachStdin) {
    forwardTtyInput(io, {
      socketDir: join(engine.paths.socks, cuuid), detachKeys: parseDetachKeys(s.config.DetachKeys), ready: Promise.resolve(true),
      onDetach: () => abort.abort(), signal: abort.signal,
      onError: (m) => engine.log.debug('exec tty input relay ended', { exec: s.id.slice(0, 12), message: m }),
    });
  } else {
    io.on('data', () => undefined);
  }
  try {
    await tailLog({ path: logPath, offset: 0, follow: true, done: started.exit, signal: abort.signal, onRecords: writer(io, s) });
    if (!abort.signal.aborted) await finished;
  } finally {
    abort.abort();
    io.end();
  }
}
