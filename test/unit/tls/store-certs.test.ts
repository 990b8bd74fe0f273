import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { Store } from '../../../src/core/store';
import { isTsmError } from '../../../src/core/errors';
import {
  ensureStoreCerts, regenerateClientCerts, readStoreCerts, writeMachineCerts, issueServerCert, certInfo, verifyChain,
} from '../../../src/tls';

const run = promisify(execFile);
const WORKER = join(__dirname, 'fixtures', 'ensure-certs-worker.js');
const mode = (p: string) => statSync(p).mode & 0o777;

function tempStore(t: TestContext): Store {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new Store(join(dir, 'store'));
}

test('ensureStoreCerts bootstraps certs/ once (0700, files 0600) and then returns the same files', async (t) => {
  const store = tempStore(t);
  assert.equal(await readStoreCerts(store), undefined);
  const first = await ensureStoreCerts(store, { org: 'alice' });
  assert.equal(mode(store.certsDir), 0o700);
  assert.deepEqual((await fs.readdir(store.certsDir)).sort(), ['ca-key.pem', 'ca.pem', 'cert.pem', 'key.pem']);
  for (const f of await fs.readdir(store.certsDir)) assert.equal(mode(join(store.certsDir, f)), 0o600, f);
  assert.deepEqual(verifyChain(first.ca.cert, first.client.cert), { ok: true });
  assert.deepEqual(await ensureStoreCerts(store), first);
  assert.deepEqual(await readStoreCerts(store), first);
});

test('a missing client certificate is reissued from the existing CA', async (t) => {
  const store = tempStore(t);
  const first = await ensureStoreCerts(store, { org: 'alice' });
  await fs.rm(join(store.certsDir, 'cert.pem'));
  const second = await ensureStoreCerts(store, { org: 'alice' });
  assert.equal(second.ca.cert, first.ca.cert);
  assert.notEqual(second.client.cert, first.client.cert);
  assert.deepEqual(verifyChain(second.ca.cert, second.client.cert), { ok: true });
});

test('a client certificate from another CA, or a CA without its key, is a TLS_ERROR', async (t) => {
  const store = tempStore(t);
  await ensureStoreCerts(store, { org: 'alice' });
  const other = tempStore(t);
  const foreign = await ensureStoreCerts(other, { org: 'mallory' });
  await fs.writeFile(join(store.certsDir, 'cert.pem'), foreign.client.cert);
  await assert.rejects(ensureStoreCerts(store), (e) => isTsmError(e, 'TLS_ERROR') && /regenerate-certs --client-certs/.test(e.suggestion ?? ''));
  await fs.rm(join(other.certsDir, 'ca-key.pem'));
  await assert.rejects(ensureStoreCerts(other), (e) => isTsmError(e, 'TLS_ERROR') && e.message.includes('ca-key.pem'));
});

test('concurrent first uses from separate processes create exactly one CA', async (t) => {
  const store = tempStore(t);
  const outs = await Promise.all(Array.from({ length: 5 }, () => run(process.execPath, [WORKER, store.root])));
  const lines = outs.map((o) => o.stdout.trim());
  assert.equal(new Set(lines).size, 1, lines.join('\n'));
  const files = await readStoreCerts(store);
  assert.equal(lines[0], `${certInfo(files!.ca.cert).serial} ${certInfo(files!.client.cert).serial}`);
});

test('regenerateClientCerts replaces the CA and the client certificate', async (t) => {
  const store = tempStore(t);
  const first = await ensureStoreCerts(store, { org: 'alice' });
  const next = await regenerateClientCerts(store, { org: 'alice' });
  assert.notEqual(next.ca.cert, first.ca.cert);
  assert.deepEqual(verifyChain(next.ca.cert, next.client.cert), { ok: true });
  assert.equal(verifyChain(next.ca.cert, first.client.cert).ok, false);
  assert.deepEqual(await readStoreCerts(store), next);
});

test('writeMachineCerts writes the DOCKER_CERT_PATH files, never the CA key', async (t) => {
  const store = tempStore(t);
  const certs = await ensureStoreCerts(store, { org: 'alice' });
  const server = await issueServerCert(certs.ca, { org: 'alice.dev', hosts: ['10.0.0.2'] });
  await store.reserve('dev');
  await writeMachineCerts(store, 'dev', { ...certs, server });
  const dir = store.machineDir('dev');
  assert.deepEqual((await fs.readdir(dir)).sort(), ['ca.pem', 'cert.pem', 'key.pem', 'server-key.pem', 'server.pem']);
  assert.equal(await fs.readFile(join(dir, 'ca.pem'), 'utf8'), certs.ca.cert);
  assert.equal(await fs.readFile(join(dir, 'key.pem'), 'utf8'), certs.client.key);
  assert.equal(await fs.readFile(join(dir, 'server-key.pem'), 'utf8'), server.key);
  for (const f of await fs.readdir(dir)) {
    assert.equal(mode(join(dir, f)), 0o600, f);
    assert.ok(!(await fs.readFile(join(dir, f), 'utf8')).includes(certs.ca.key), `${f} holds the CA key`);
  }
});

test('regenerateClientCerts and ensureStoreCerts can run inside withStoreLock (no self-deadlock)', async (t) => {
  const store = tempStore(t);
  // A self-deadlock would end in MACHINE_LOCKED once the inner lock's wait times out.
  const next = await store.withStoreLock(async () => {
    const r = await regenerateClientCerts(store, { org: 'alice' });
    assert.deepEqual(await ensureStoreCerts(store), r);
    return r;
  }, { timeoutMs: 1000 });
  assert.deepEqual(await readStoreCerts(store), next);
});
