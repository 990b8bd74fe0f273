import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generateCa, issueClientCert, issueServerCert, type PemPair } from '../../../src/tls';

let ca: PemPair;
let client: PemPair;
let foreignClient: PemPair;
let server: Server;
let port: number;
/** Connections the server accepted (its handler ran) and handshakes it refused. */
const accepted: string[] = [];
const refused: string[] = [];

before(async () => {
  ca = await generateCa({ org: 'alice' });
  const other = await generateCa({ org: 'alice' });
  const serverPair = await issueServerCert(ca, { org: 'alice.dev', hosts: ['10.0.0.2'] });
  client = await issueClientCert(ca, { org: 'alice' });
  foreignClient = await issueClientCert(other, { org: 'alice' });
  server = createServer({ cert: serverPair.cert, key: serverPair.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (s) => {
    accepted.push(String(s.getPeerCertificate().subject.CN));
    s.end(`hello ${s.getPeerCertificate().subject.CN}`);
  });
  server.on('tlsClientError', (e: NodeJS.ErrnoException) => refused.push(e.code ?? e.message));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

/** Connects with mutual TLS; resolves with what the server said, rejects with the TLS error. */
function talk(opts: { cert?: string; key?: string; ca?: string; servername?: string; maxVersion?: 'TLSv1.2' }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: '127.0.0.1', port, ca: ca.cert, ...opts });
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => (data ? resolve(data) : reject(new Error('closed without an answer'))));
    s.on('error', reject);
  });
}

test('the server accepts a client certificate from our CA, and the client verifies the server (127.0.0.1 SAN)', async () => {
  assert.equal(await talk({ cert: client.cert, key: client.key }), 'hello alice client');
  assert.equal(await talk({ cert: client.cert, key: client.key, maxVersion: 'TLSv1.2' }), 'hello alice client');
});

test('the client verifies the server by an IP SAN and a DNS SAN (localhost)', async () => {
  assert.equal(await talk({ cert: client.cert, key: client.key, servername: 'localhost' }), 'hello alice client');
});

/** Waits until the server recorded a refused handshake; returns what it recorded. */
async function nextRefusal(before: number): Promise<string> {
  for (let i = 0; i < 100 && refused.length === before; i++) await new Promise((r) => setTimeout(r, 20));
  return refused[before];
}

test('the server refuses a connection without a client certificate', async () => {
  const [a, r] = [accepted.length, refused.length];
  await assert.rejects(talk({}), (e: NodeJS.ErrnoException) => e.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  assert.equal(await nextRefusal(r), 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  assert.equal(accepted.length, a, 'the connection handler never ran');
});

test('the server refuses a client certificate from another CA (same subject names)', async () => {
  const [a, r] = [accepted.length, refused.length];
  // node:tls completes the handshake, then checks the peer certificate and destroys the socket
  // (tlsClientError), so the client only sees the connection close; the handler never runs.
  await assert.rejects(talk({ cert: foreignClient.cert, key: foreignClient.key }));
  assert.ok(await nextRefusal(r), 'the server recorded a refused handshake');
  assert.equal(accepted.length, a, 'the connection handler never ran');
});

test('a client trusting another CA refuses our server', async () => {
  const other = await generateCa({ org: 'x' });
  await assert.rejects(talk({ cert: client.cert, key: client.key, ca: other.cert }), (e: NodeJS.ErrnoException) =>
    /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i.test(`${e.code} ${e.message}`));
});

test('the client refuses the server for a host not in its SANs', async () => {
  await assert.rejects(talk({ cert: client.cert, key: client.key, servername: 'evil.example' }), (e: NodeJS.ErrnoException) =>
    e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
});
