import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateCa, issueClientCert, issueServerCert, type PemPair } from '../../../src/tls';

const run = promisify(execFile);
let dir: string;
let ca: PemPair;
const file = (name: string) => join(dir, name);

/** Runs openssl; resolves with its exit code and combined output (never throws on a non-zero exit). */
async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('openssl', args);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsm-openssl-'));
  ca = await generateCa({ org: 'alice' });
  const other = await generateCa({ org: 'alice' });
  const server = await issueServerCert(ca, { org: 'alice.dev', hosts: ['10.0.0.2', '2001:db8::7', 'dev.example.com'] });
  const client = await issueClientCert(ca, { org: 'alice' });
  const foreign = await issueServerCert(other, { org: 'alice.dev', hosts: ['10.0.0.2'] });
  for (const [n, v] of Object.entries({ 'ca.pem': ca.cert, 'server.pem': server.cert, 'server-key.pem': server.key, 'cert.pem': client.cert, 'key.pem': client.key, 'foreign.pem': foreign.cert })) {
    writeFileSync(file(n), v);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('openssl verify accepts the server and client certificates for their purposes', async () => {
  const s = await openssl(['verify', '-CAfile', file('ca.pem'), '-purpose', 'sslserver', file('server.pem')]);
  assert.equal(s.code, 0, s.out);
  assert.match(s.out, /server\.pem: OK/);
  const c = await openssl(['verify', '-CAfile', file('ca.pem'), '-purpose', 'sslclient', file('cert.pem')]);
  assert.equal(c.code, 0, c.out);
  assert.match(c.out, /cert\.pem: OK/);
});

test('openssl verify refuses the client cert as a server cert and a cert from another CA', async () => {
  const wrongPurpose = await openssl(['verify', '-CAfile', file('ca.pem'), '-purpose', 'sslserver', file('cert.pem')]);
  assert.notEqual(wrongPurpose.code, 0, wrongPurpose.out);
  const foreign = await openssl(['verify', '-CAfile', file('ca.pem'), file('foreign.pem')]);
  assert.notEqual(foreign.code, 0, foreign.out);
  assert.match(foreign.out, /unable to get local issuer certificate|signature failure/);
});

test('openssl shows the SANs, the CA flags and that the key matches', async () => {
  const san = await openssl(['x509', '-in', file('server.pem'), '-noout', '-ext', 'subjectAltName']);
  assert.equal(san.code, 0, san.out);
  for (const want of ['IP Address:10.0.0.2', 'IP Address:2001:DB8:0:0:0:0:0:7', 'DNS:dev.example.com', 'DNS:localhost', 'IP Address:127.0.0.1']) {
    assert.ok(san.out.includes(want), `${want} in ${san.out}`);
  }
  const caText = await openssl(['x509', '-in', file('ca.pem'), '-noout', '-ext', 'basicConstraints,keyUsage']);
  assert.match(caText.out, /CA:TRUE/);
  assert.match(caText.out, /Certificate Sign/);
  const modCert = await openssl(['x509', '-in', file('server.pem'), '-noout', '-pubkey']);
  const modKey = await openssl(['pkey', '-in', file('server-key.pem'), '-pubout']);
  assert.equal(modCert.out, modKey.out);
});
