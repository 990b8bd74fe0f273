/**
 * The real tsagent bundle installed by provisionHost in a throwaway root (test/helpers/sshd.ts
 * sandbox: overlays over /etc, /usr, /var, tmpfs /run, own PID namespace, shared loopback), then
 * reached over mutual TLS with certificates from src/tls. Needs dist/agent/tsagent.js
 * (`npm run build`). Containers are the e2e suite's job: this only checks the agent starts with
 * the command line, certificates and service that provisioning wrote.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { emptyEngineOptions } from '../../../src/core/machine';
import { generateCa, issueClientCert, issueServerCert, type PemPair } from '../../../src/tls';
import { SshClient } from '../../../src/provision/ssh-client';
import { provisionHost } from '../../../src/provision/provision';
import { agentLogsTail } from '../../../src/provision/agent-install';
import { startSshd, type Sshd } from '../../helpers/sshd';

const BUNDLE = join(__dirname, '..', '..', '..', 'agent', 'tsagent.js');

let sshd: Sshd | undefined;
let ssh: SshClient | undefined;

after(async () => {
  ssh?.close();
  await sshd?.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, path: string, ca: PemPair, client: PemPair): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: ca.cert, cert: client.cert, key: client.key, servername: 'localhost', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('provisionHost installs the real agent; it answers /_ping and /info over mutual TLS', async (t) => {
  if (!existsSync(BUNDLE)) return t.skip(`${BUNDLE} is missing: run "npm run build" first`);
  sshd = await startSshd({ sandbox: true });
  ssh = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: join(sshd.dir, 'known_hosts') });
  const ca = await generateCa({ org: 'tsm-test' });
  const server = await issueServerCert(ca, { org: 'tsm-real', hosts: ['127.0.0.1', 'localhost'] });
  const client = await issueClientCert(ca, { org: 'tsm-test' });
  const port = await freePort();
  await provisionHost(ssh, {
    hostname: 'tsm-real',
    bundle: await readFile(BUNDLE),
    caPem: ca.cert,
    serverCertPem: server.cert,
    serverKeyPem: server.key,
    port,
    engineOptions: { ...emptyEngineOptions(), labels: ['provisioned-by=test'], opts: ['bridge=none'] }, // no bridge/iptables in the host's namespace
  });
  let ping: { status: number; body: string } | undefined;
  let lastError: unknown;
  for (let i = 0; i < 100 && ping?.status !== 200; i++) {
    ping = await get(port, '/_ping', ca, client).catch((e) => ((lastError = e), undefined));
    if (ping?.status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(ping?.status, 200, `no /_ping (${String(lastError)}); agent log:\n${await agentLogsTail(ssh, 'none')}`);
  assert.equal(ping?.body, 'OK');
  const info = JSON.parse((await get(port, '/info', ca, client)).body) as { Labels?: string[]; Name?: string };
  assert.ok(info.Labels?.includes('provisioned-by=test'), JSON.stringify(info.Labels));
  // A client certificate from another CA is refused.
  const otherCa = await generateCa({ org: 'other' });
  const stranger = await issueClientCert(otherCa, { org: 'other' });
  await assert.rejects(get(port, '/_ping', ca, stranger));
});
