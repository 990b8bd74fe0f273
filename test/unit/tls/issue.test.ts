import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import {
  generateCa, issueClientCert, issueServerCert, serverSans, certInfo, verifyChain, certMatchesKey,
  CLOCK_SKEW_MS, type PemPair,
} from '../../../src/tls';
import { isTsmError } from '../../../src/core/errors';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 24 * 3600 * 1000;
let ca: PemPair;
let client: PemPair;
let server: PemPair;

before(async () => {
  ca = await generateCa({ org: 'alice', now: NOW });
  client = await issueClientCert(ca, { org: 'alice', now: NOW });
  server = await issueServerCert(ca, { org: 'alice.dev', now: NOW, hosts: ['10.0.0.2', '2001:db8::7', 'dev.example.com'] });
});

const ext = (pem: string, name: string) => forge.pki.certificateFromPem(pem).getExtension(name) as Record<string, unknown> | undefined;

test('CA: self-signed, cA=true, keyCertSign, 10 years from 5 minutes before now', () => {
  const info = certInfo(ca.cert);
  assert.equal(info.isCa, true);
  assert.equal(info.subject, info.issuer);
  assert.match(info.subject, /O=alice/);
  assert.equal(info.notBefore.getTime(), NOW.getTime() - CLOCK_SKEW_MS);
  assert.equal(info.notAfter.getTime(), NOW.getTime() + 3650 * DAY);
  assert.equal(ext(ca.cert, 'basicConstraints')?.cA, true);
  assert.equal(ext(ca.cert, 'keyUsage')?.keyCertSign, true);
  assert.equal(new X509Certificate(ca.cert).verify(new X509Certificate(ca.cert).publicKey), true);
  assert.equal(certMatchesKey(ca.cert, ca.key), true);
});

test('client: clientAuth only, not a CA, 3 years, signed by the CA with SHA-256', () => {
  const x = new X509Certificate(client.cert);
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(x.ca, false);
  assert.equal(ext(client.cert, 'basicConstraints')?.cA, false);
  const info = certInfo(client.cert);
  assert.equal(info.notBefore.getTime(), NOW.getTime() - CLOCK_SKEW_MS);
  assert.equal(info.notAfter.getTime(), NOW.getTime() + 1095 * DAY);
  assert.deepEqual(info.sans, []);
  assert.deepEqual(verifyChain(ca.cert, client.cert, NOW), { ok: true });
  assert.equal(forge.pki.certificateFromPem(client.cert).siginfo.algorithmOid, forge.pki.oids.sha256WithRSAEncryption);
  assert.equal(certMatchesKey(client.cert, client.key), true);
  assert.equal(certMatchesKey(client.cert, ca.key), false);
});

test('server: IP and DNS SANs plus localhost and 127.0.0.1, serverAuth, digitalSignature+keyEncipherment', () => {
  const info = certInfo(server.cert);
  assert.deepEqual(info.sans, ['10.0.0.2', '2001:db8::7', 'dev.example.com', 'localhost', '127.0.0.1']);
  const alt = ext(server.cert, 'subjectAltName')?.altNames as { type: number; ip?: string; value?: string }[];
  assert.deepEqual(alt.map((a) => a.type), [7, 7, 2, 2, 7], 'IPs as IP SANs (7), names as DNS SANs (2)');
  assert.deepEqual(new X509Certificate(server.cert).keyUsage, ['1.3.6.1.5.5.7.3.1']);
  const ku = ext(server.cert, 'keyUsage');
  assert.equal(ku?.digitalSignature, true);
  assert.equal(ku?.keyEncipherment, true);
  assert.equal(ku?.keyCertSign, false);
  assert.equal(info.isCa, false);
  assert.match(info.issuer, /CN=alice CA/);
  assert.deepEqual(verifyChain(ca.cert, server.cert, NOW), { ok: true });
});

test('serials are random 128-bit positive integers', async () => {
  const serials = [ca, client, server].map((p) => certInfo(p.cert).serial);
  assert.equal(new Set(serials).size, 3);
  for (const s of serials) {
    assert.equal(s.length, 32);
    assert.ok(parseInt(s.slice(0, 2), 16) < 0x80, 'positive DER integer');
  }
});

test('serverSans: dedupes, canonicalizes IPv6, strips brackets, keeps localhost once', () => {
  assert.deepEqual(serverSans(['LOCALHOST', '[::1]', '0:0::1', '127.0.0.1', ' h.example ']), ['LOCALHOST', '::1', '127.0.0.1', 'h.example']);
  assert.deepEqual(serverSans([]), ['localhost', '127.0.0.1']);
});

test('issueServerCert refuses hosts that are neither IPs nor DNS names, naming each', async () => {
  await assert.rejects(issueServerCert(ca, { org: 'a', hosts: ['ok.example', 'a,b', 'x y'] }), (e) =>
    isTsmError(e, 'TLS_ERROR') && e.message.includes('"a,b"') && e.message.includes('"x y"'));
});

test('issuing with a CA that is not RSA PEM is a TLS_ERROR', async () => {
  await assert.rejects(issueClientCert({ cert: 'garbage', key: 'garbage' }, { org: 'a' }), (e) => isTsmError(e, 'TLS_ERROR'));
});

test('the default issue time is now', async () => {
  const c = await issueClientCert(ca, { org: 'a' });
  const skew = Date.now() - certInfo(c.cert).notBefore.getTime();
  assert.ok(skew >= CLOCK_SKEW_MS - 2000 && skew <= CLOCK_SKEW_MS + 5000, `notBefore ${skew} ms before now`);
});
