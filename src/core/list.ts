import { errorMessage } from './errors';
import { engineVersion, readEngineTls } from './engine-client';
import { openMachine } from './machine-context';
import type { Store } from './store';

/** What `ls` knows about one machine (docker-machine's ls fields). */
export interface MachineSummary {
  name: string;
  driver: string;
  state: string;
  url: string;
  /** Engine version from GET /version, '' when unknown. */
  dockerVersion: string;
  error: string;
  labels: string[];
  active: boolean;
  responseTimeMs: number;
}

/** Races `p` against a timeout; resolves `undefined` (and reports why) on timeout. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)}s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

async function summarize(store: Store, name: string, timeoutMs: number, dockerHost: string | undefined): Promise<MachineSummary> {
  const t0 = Date.now();
  const s: MachineSummary = { name, driver: '', state: 'Error', url: '', dockerVersion: '', error: '', labels: [], active: false, responseTimeMs: 0 };
  try {
    const m = await openMachine(store, name);
    s.driver = m.record.driver.name;
    s.labels = m.record.engine.options.labels;
    s.state = await withTimeout(m.driver.state(), timeoutMs, 'state');
    if (s.state === 'Running' && m.record.provisioned) {
      const ip = await m.driver.ip();
      s.url = `tcp://${ip.includes(':') ? `[${ip}]` : ip}:${m.record.engine.port}`;
      s.active = dockerHost === s.url;
      try {
        s.dockerVersion = await engineVersion(ip, m.record.engine.port, await readEngineTls(m.dir), timeoutMs);
      } catch (e) {
        s.dockerVersion = 'Unknown';
        s.error = `Unable to query docker version: ${errorMessage(e)}`;
      }
    } else if (s.state === 'Running') {
      s.error = 'not provisioned (run "tsmachine provision")';
    }
  } catch (e) {
    s.error = errorMessage(e);
  }
  s.responseTimeMs = Date.now() - t0;
  return s;
}

/** Summaries of every machine in the store, queried in parallel, each bounded by `timeoutMs`. */
export async function listMachines(store: Store, o: { timeoutMs: number; dockerHost?: string }): Promise<MachineSummary[]> {
  const names = await store.list();
  return Promise.all(names.map((n) => summarize(store, n, o.timeoutMs, o.dockerHost)));
}

/** The machine whose URL is $DOCKER_HOST, if any. */
export async function activeMachine(store: Store, dockerHost: string | undefined): Promise<string | undefined> {
  if (!dockerHost) return undefined;
  const all = await listMachines(store, { timeoutMs: 5000, dockerHost });
  return all.find((m) => m.active)?.name;
}
