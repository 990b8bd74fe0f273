// Mutual TLS is the only way in over TCP: no client certificate, a certificate from another
// CA, and plain HTTP are all refused; the agent refuses to start a TCP listener without TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as http from 'node:http';
import { AgentHarness, runProcess, AGENT_BUNDLE } from './harness';

const h = AgentHarness.forSuite({ busybox: false });

test('a client certificate signed by the CA is accepted', async () => {
  assert.equal(await h.ping(), 200);
});

test('no client certificate is refused', async () => {
  assert.match(String(await h.ping({ noClientCert: true })), /^error/);
});

test('a client certificate from another CA is refused', async () => {
  const r = await h.ping({ cert: readFileSync(h.certs.rogueCert), key: readFileSync(h.certs.rogueKey) });
  assert.match(String(r), /^error/);
});

test('plain HTTP on the TLS port gets no HTTP answer', async () => {
  const answer = await new Promise<string>((resolve) => {
    const s = net.connect(h.port, '127.0.0.1', () => s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n'));
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    setTimeout(() => s.destroy(), 3000);
  });
  assert.doesNotMatch(answer, /^HTTP\/1\.1 200/);
});

test('the unix socket is 0660 and speaks the API', async () => {
  assert.equal(statSync(h.socket).mode & 0o777, 0o660);
  const body = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    http.get({ socketPath: h.socket, path: '/v1.24/version' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    }).on('error', reject);
  });
  assert.equal(body.status, 200);
  assert.equal(body.headers['api-version'], '1.51');
  assert.equal(body.headers['ostype'], 'linux');
  assert.equal(body.headers['docker-experimental'], 'false');
  const v = JSON.parse(body.text);
  assert.equal(v.Components[0].Name, 'Engine');
  assert.equal(v.MinAPIVersion, '1.24');
});

test('errors are {"message"} with Content-Type exactly application/json; version range enforced', async () => {
  const get = (path: string) => new Promise<{ status: number; type?: string; json: { message?: string } }>((resolve, reject) => {
    http.get({ socketPath: h.socket, path }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], json: JSON.parse(text) }));
    }).on('error', reject);
  });
  const missing = await get('/containers/nope/json');
  assert.equal(missing.status, 404);
  assert.equal(missing.type, 'application/json');
  assert.equal(missing.json.message, 'No such container: nope');
  assert.equal((await get('/v1.12/version')).status, 400);
  assert.match((await get('/v1.99/version')).json.message ?? '', /too new/);
  assert.equal((await get('/images/nope/json')).status, 404);
});

test('a TCP listener without --tlsverify, or an unknown flag, stops the agent at once', async () => {
  const plain = await runProcess(process.execPath, [AGENT_BUNDLE, '-H', 'tcp://127.0.0.1:1', '--data-root', `${h.base}/x`], { timeoutMs: 10_000 });
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /refusing to listen on tcp:\/\/127\.0\.0\.1:1 without --tlsverify/);
  const unknown = await runProcess(process.execPath, [AGENT_BUNDLE, '--frobnicate'], { timeoutMs: 10_000 });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown flag: --frobnicate/);
});
