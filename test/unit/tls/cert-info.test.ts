import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateCa, issueServerCert, issueClientCert, missingSans, verifyChain, certInfo, canonicalHost, type PemPair } from '../../../src/tls';
import { isTsmError } from '../../../src/core/errors';

let ca: PemPair;
let otherCa: PemPair;
let server: PemPair;

before(async () => {
  [ca, otherCa] = await Promise.all([generateCa({ org: 'a' }), generateCa({ org: 'b' })]);
  server = await issueServerCert(ca, { org: 'a', hosts: ['10.0.0.2', 'fe80::1', 'Dev.Example.com', '*.apps.example.com'] });
});

test('missingSans returns exactly the hosts the certificate does not cover', () => {
  assert.deepEqual(missingSans(server.cert, ['10.0.0.2', 'localhost', '127.0.0.1']), []);
  assert.deepEqual(missingSans(server.cert, ['10.0.0.3', '10.0.0.2']), ['10.0.0.3'], 'an IP that left the SANs');
  assert.deepEqual(missingSans(server.cert, ['FE80:0:0::1', '[fe80::1]', 'dev.example.COM']), [], 'canonical IPs, case-insensitive names');
  assert.deepEqual(missingSans(server.cert, ['x.apps.example.com', 'a.b.apps.example.com', 'apps.example.com']), ['a.b.apps.example.com', 'apps.example.com']);
  assert.deepEqual(missingSans(server.cert, ['::1']), ['::1']);
});

test('verifyChain: ok for our CA, reasons for another CA, a non-CA and expiry', async () => {
  assert.deepEqual(verifyChain(ca.cert, server.cert), { ok: true });
  const other = verifyChain(otherCa.cert, server.cert);
  assert.equal(other.ok, false);
  assert.match(!other.ok ? other.reason : '', /not issued by/);
  const notCa = verifyChain(server.cert, server.cert);
  assert.match(!notCa.ok ? notCa.reason : '', /not a CA/);
  const late = verifyChain(ca.cert, server.cert, new Date(Date.now() + 4 * 365 * 24 * 3600 * 1000));
  assert.match(!late.ok ? late.reason : '', /expired/);
  const early = verifyChain(ca.cert, server.cert, new Date(Date.now() - 3600_000));
  assert.match(!early.ok ? early.reason : '', /not valid before/);
  assert.equal(verifyChain('nope', server.cert).ok, false);
});

test('verifyChain: a client cert of another CA fails even with the same subject', async () => {
  const forged = await issueClientCert(otherCa, { org: 'a' });
  assert.equal(verifyChain(ca.cert, forged.cert).ok, false);
});

test('certInfo: TLS_ERROR for what is not a certificate', () => {
  assert.throws(() => certInfo('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), (e) => isTsmError(e, 'TLS_ERROR'));
});

test('canonicalHost', () => {
  assert.equal(canonicalHost('[2001:DB8:0:0:0:0:0:1]'), '2001:db8::1');
  assert.equal(canonicalHost(' 10.0.0.1 '), '10.0.0.1');
  assert.equal(canonicalHost('Host.Example'), 'Host.Example');
});
