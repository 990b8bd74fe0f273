import { request } from 'node:https';
import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MACHINE_FILES } from './machine';
import { TsmError } from './errors';
import { waitFor } from './wait';

/** Mutual-TLS material for talking to a machine's engine (the files in the machine folder). */
export interface EngineTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export async function readEngineTls(machineDir: string): Promise<EngineTls> {
  const [ca, cert, key] = await Promise.all(
    [MACHINE_FILES.ca, MACHINE_FILES.cert, MACHINE_FILES.key].map((f) => readFile(join(machineDir, f))),
  );
  return { ca, cert, key };
}

export interface EngineResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to the Engine API over mutual TLS, verifying the server against the machine CA. */
export function engineRequest(
  host: string,
  port: number,
  tls: EngineTls,
  method: string,
  path: string,
  timeoutMs = 5000,
): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, method, path, ca: tls.ca, cert: tls.cert, key: tls.key, servername: isIP(host) ? undefined : host, timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET /version: the engine's version string, or throws. */
export async function engineVersion(host: string, port: number, tls: EngineTls, timeoutMs = 5000): Promise<string> {
  const res = await engineRequest(host, port, tls, 'GET', '/version', timeoutMs);
  if (res.status !== 200) throw new Error(`GET /version answered ${res.status}`);
  return String(JSON.parse(res.body).Version ?? 'unknown');
}

/** Waits until GET /_ping answers OK over mutual TLS. */
export async function waitForEngine(host: string, port: number, tls: EngineTls, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  await waitFor(
    async () => {
      const res = await engineRequest(host, port, tls, 'GET', '/_ping', 2000);
      if (res.status !== 200) throw new Error(`/_ping answered ${res.status}`);
      return true;
    },
    { timeoutMs: opts.timeoutMs, what: `the engine API on ${host}:${port} (mutual TLS)`, intervalMs: 100, signal: opts.signal },
  ).catch((e) => {
    if (e instanceof TsmError && e.code === 'TIMEOUT') {
      throw new TsmError('PROVISION_FAILED', e.message, {
        cause: e,
        suggestion: 'look at the agent log with "tsmachine ssh <name> tail /var/log/tsagent.log", then "tsmachine provision <name>"',
      });
    }
    throw e;
  });
}
