import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Store } from '../../../src/core/store';
import { ensureStoreCerts, issueServerCert, writeMachineCerts } from '../../../src/tls';

const run = promisify(execFile);

// The docker CLI (Go crypto/tls and crypto/x509, stricter than OpenSSL about certificate
// encoding) must accept the server certificate and present the client certificate from a
// machine folder used as DOCKER_CERT_PATH.
test('the docker CLI talks mutual TLS with DOCKER_CERT_PATH = the machine folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-dockercli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new Store(join(dir, 'store'));
  const certs = await ensureStoreCerts(store, { org: 'alice' });
  const serverPair = await issueServerCert(certs.ca, { org: 'alice.dev', hosts: ['10.0.0.2'] });
  await store.reserve('dev');
  await writeMachineCerts(store, 'dev', { ...certs, server: serverPair });

  const seen: string[] = [];
  const server = createServer({ cert: serverPair.cert, key: serverPair.key, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: true }, (req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url} ${(req.socket as TLSSocket).getPeerCertificate().subject.CN}`);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.51' });
    res.end(req.url?.endsWith('/version') ? JSON.stringify({ Version: '0.0.0-test', ApiVersion: '1.51', Os: 'linux', Arch: 'amd64' }) : 'OK');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;

  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker-config'),
    DOCKER_HOST: `tcp://127.0.0.1:${port}`,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: store.machineDir('dev'),
  };
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { env });
  assert.equal(r.stdout.trim(), '0.0.0-test');
  assert.ok(seen.some((s) => s.endsWith('/version alice client')), seen.join('\n'));
});
