// Registry authentication and TLS with the real docker CLI: a TLS registry trusted through
// the agent's certs.d folder with htpasswd Basic auth (docker login), a bearer-token realm
// (token service fixture) with anonymous, password and identity-token clients, and blob
// redirects to another host that must not receive the Authorization header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentHarness } from './harness';
import { TestRegistry } from '../../helpers/registry';
import { TokenService } from '../../helpers/registry-token';
import { RegistryProxy } from '../../helpers/registry-proxy';
import { makeTestCerts, type TestCerts } from '../../helpers/openssl-certs';
import { buildImages, seedRegistry, lines, type BuiltImages } from './registry-fixture';

let h: AgentHarness;
let tlsReg: TestRegistry;
let tokReg: TestRegistry;
let tokens: TokenService;
let proxy: RegistryProxy;
let img: BuiltImages;
let certs: TestCerts;
let dir: string;

const ALICE = { user: 'alice', password: 'wonder-land-42' };
const BOB = { user: 'bob', password: 'builder-s3cret' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsm-regauth-'));
  mkdirSync(join(dir, 'certs'));
  certs = makeTestCerts(join(dir, 'certs'));
  img = buildImages();
  tlsReg = await TestRegistry.start({ tls: { cert: certs.serverCert, key: certs.serverKey }, users: { [ALICE.user]: ALICE.password } });
  mkdirSync(join(dir, 'skopeo-certs'));
  copyFileSync(certs.caPem, join(dir, 'skopeo-certs', 'ca.crt'));
  await seedRegistry(img, tlsReg.host, { creds: `${ALICE.user}:${ALICE.password}`, certDir: join(dir, 'skopeo-certs'), tlsVerify: true });
  tokens = new TokenService(dir, { [BOB.user]: BOB.password });
  await tokens.start();
  tokReg = await TestRegistry.start({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile } });
  await seedRegistry(img, tokReg.host, { creds: `${BOB.user}:${BOB.password}` });
  proxy = new RegistryProxy(tokReg.url);
  await proxy.start();
  h = await AgentHarness.create();
  h.extraArgs = ['--insecure-registry', tokReg.host, '--insecure-registry', proxy.host, '--registry-certs-dir', join(h.base, 'certs.d')];
  await h.start();
});

after(async () => {
  try {
    assert.deepEqual(await h.cleanup(), [], 'nothing may be left behind');
  } finally {
    await proxy.stop();
    tlsReg.stop();
    tokReg.stop();
    await tokens.stop();
    img.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

function assertNoSecrets(): void {
  const log = h.log();
  for (const s of [ALICE.password, BOB.password, Buffer.from(`${ALICE.user}:${ALICE.password}`).toString('base64'), Buffer.from(`${BOB.user}:${BOB.password}`).toString('base64')]) {
    assert.ok(!log.includes(s), 'credentials must never reach the agent log');
  }
  assert.ok(!/eyJ[\w-]+\.eyJ/.test(log), 'no bearer token in the log');
}

test('TLS registry: refused until its CA is in certs.d, then htpasswd Basic auth through docker login', async () => {
  const T = tlsReg.host;
  const untrusted = await h.docker(['pull', `${T}/test/busybox:oci`]);
  assert.notEqual(untrusted.code, 0);
  assert.match(untrusted.stderr, /TLS failure talking to 127\.0\.0\.1:\d+: .*certificate.*certs-dir/);
  mkdirSync(join(h.base, 'certs.d', T), { recursive: true });
  copyFileSync(certs.caPem, join(h.base, 'certs.d', T, 'ca.crt'));
  const anonymous = await h.docker(['pull', `${T}/test/busybox:oci`]);
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.stderr, /pull access denied for 127\.0\.0\.1:\d+\/test\/busybox, repository does not exist or may require 'docker login': .*unauthorized/);
  const wrong = await h.docker(['login', '-u', ALICE.user, '--password-stdin', T], { input: 'not-the-password\n' });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /login attempt to 127\.0\.0\.1:\d+ failed/);
  const login = await h.docker(['login', '-u', ALICE.user, '--password-stdin', T], { input: `${ALICE.password}\n` });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const pull = await h.docker(['pull', `${T}/test/busybox:oci`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal((await h.docker(['run', '--rm', `${T}/test/busybox:oci`])).stdout, 'hello from the registry\n');
  assert.equal((await h.docker(['tag', `${T}/test/busybox:oci`, `${T}/alice/bb:1`])).code, 0);
  const push = await h.docker(['push', `${T}/alice/bb:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.ok(lines(push.stdout).some((l) => l.endsWith('Mounted from test/busybox')), push.stdout);
  assertNoSecrets();
});

test('bearer-token realm: anonymous pull of public repositories only, docker login then push', async () => {
  const K = tokReg.host;
  const anonymousDenied = await h.docker(['pull', `${K}/test/busybox:v2`]);
  assert.equal(anonymousDenied.code, 1, 'private repositories need a login');
  assert.match(anonymousDenied.stderr, /pull access denied for .*test\/busybox.*(unauthorized|denied)/);
  assert.equal((await h.docker(['login', '-u', BOB.user, '--password-stdin', K], { input: `${BOB.password}\n` })).code, 0);
  const pull = await h.docker(['pull', `${K}/test/busybox:v2`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal((await h.docker(['tag', `${K}/test/busybox:v2`, `${K}/public/bb:1`])).code, 0);
  const push = await h.docker(['push', `${K}/public/bb:1`]);
  assert.equal(push.code, 0, push.stderr);
  const pushScopes = tokens.requests.filter((r) => r.account === BOB.user).flatMap((r) => r.scopes);
  assert.ok(pushScopes.includes('repository:public/bb:pull,push'), `scopes: ${pushScopes}`);
  assert.ok(pushScopes.includes('repository:test/busybox:pull'), 'the mount source is in the token request');
  assert.equal((await h.docker(['logout', K])).code, 0);
  const anonymousPush = await h.docker(['push', `${K}/public/bb:1`]);
  assert.equal(anonymousPush.code, 1);
  assert.match(anonymousPush.stdout + anonymousPush.stderr, /unauthorized|denied/);
  assert.equal((await h.docker(['rmi', `${K}/public/bb:1`])).code, 0);
  const publicPull = await h.docker(['pull', `${K}/public/bb:1`]);
  assert.equal(publicPull.code, 0, publicPull.stderr);
  assert.ok(tokens.requests.some((r) => r.method === 'GET' && r.account === undefined && r.scopes.includes('repository:public/bb:pull') && r.ok));
  assertNoSecrets();
});

test('identity token (OAuth2 refresh_token grant) from the CLI config', async () => {
  const K = tokReg.host;
  mkdirSync(join(h.base, 'docker-config'), { recursive: true });
  writeFileSync(join(h.base, 'docker-config', 'config.json'), JSON.stringify({ auths: { [K]: { identitytoken: tokens.identityToken(BOB.user) } } }));
  const r = await h.docker(['pull', `${K}/test/layered:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(tokens.requests.some((q) => q.method === 'POST' && q.grant === 'refresh_token' && q.ok));
});

test('a blob download redirected to another host does not carry the Authorization header', async () => {
  const X = proxy.host;
  assert.equal((await h.docker(['login', '-u', BOB.user, '--password-stdin', X], { input: `${BOB.password}\n` })).code, 0);
  proxy.behaviour.redirectBlobs = true;
  const arm = await h.docker(['pull', '--platform', 'linux/arm64', `${X}/test/multi:1`]);
  assert.equal(arm.code, 0, arm.stderr + h.log());
  const r = await h.docker(['pull', `${X}/test/multi:1`]);
  assert.equal(r.code, 0, r.stderr + h.log());
  assert.ok(proxy.redirectedAuth.length >= 3, `redirected: ${proxy.redirectedAuth.length}`);
  assert.deepEqual(proxy.redirectedAuth.filter((a) => a !== undefined), [], 'no Authorization header followed a redirect to 127.0.0.2');
  assert.equal((await h.docker(['run', '--rm', `${X}/test/multi:1`])).stdout, 'amd64 image\n');
  assertNoSecrets();
});
