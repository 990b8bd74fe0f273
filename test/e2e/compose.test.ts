/**
 * docker-compose 1.29 (Debian's package) against a local machine's tsagent over mutual TLS, as a
 * user runs it: a web service published on a port, talking to a backend by service name over the
 * project network, with a named volume; up (twice: unchanged, no recreate), ps, logs, exec,
 * scale, stop/start/restart, a changed file (recreate), down -v, and nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { tsm, run, parseBashExports } from '../helpers/cli';
import { hostSnapshot, leaked } from '../helpers/host-snapshot';
import { buildBusyboxRootfs } from '../helpers/busybox-rootfs';
import { realLocalApi, removeUnusedBridge } from '../../src/drivers/local';
import { hostExec } from '../../src/core/exec';
import { waitFor } from '../../src/core/wait';

const store = mkdtempSync(join(tmpdir(), 'tsm-compose-'));
const project = mkdtempSync(join(tmpdir(), 'tsm-compose-project-'));
const name = `cmp${process.pid}`;
let env: NodeJS.ProcessEnv = {};
const docker = (args: string[], input?: Buffer) => run('docker', args, { env: { ...process.env, ...env }, input, timeoutMs: 60_000 });
// python-requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override docker-py's CA (the machine's
// ca.pem) for every request, so with either set (some CI images do) TLS to the machine fails.
const composeEnv = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env, COMPOSE_INTERACTIVE_NO_CLI: '1' };
  delete e.REQUESTS_CA_BUNDLE;
  delete e.CURL_CA_BUNDLE;
  return e;
};
const compose = (args: string[]) => run('docker-compose', ['-p', 'shop', '-f', join(project, 'docker-compose.yml'), ...args], { env: composeEnv(), timeoutMs: 120_000 });

function composeFile(webGreeting: string): string {
  return `version: "3.7"
services:
  api:
    image: bb
    init: true
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && echo api up && exec httpd -f -p 8080 -h /www"]
  web:
    image: bb
    init: true
    depends_on: [api]
    environment:
      GREETING: "${webGreeting}"
    ports: ["8081:80"]
    volumes: ["webdata:/data"]
    command: ["sh", "-c", "echo $$GREETING >> /data/visits && echo web up && exec httpd -f -p 80 -h /data"]
volumes:
  webdata: {}
`;
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

const names = async () => (await docker(['ps', '-a', '--format', '{{.Names}} {{.State}}'])).stdout.trim().split('\n').filter(Boolean).sort();

test('docker-compose 1.29: a two-service project with a published port, service-name DNS and a named volume', async (t) => {
  const before = hostSnapshot(store);
  const bridgeExisted = before.links.includes('tsm0');
  t.after(async () => {
    await tsm(store, ['rm', '-f', name]);
    rmSync(store, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
    if (!bridgeExisted) await removeUnusedBridge(realLocalApi(hostExec), 'tsm0');
  });

  const created = await tsm(store, ['create', name], { timeoutMs: 180_000 });
  assert.equal(created.code, 0, `create failed:\n${created.stdout}\n${created.stderr}`);
  env = parseBashExports((await tsm(store, ['env', '--shell', 'bash', name])).stdout);
  const ip = (await tsm(store, ['ip', name])).stdout.trim();
  const rootfs = mkdtempSync(join(tmpdir(), 'tsm-bb-'));
  try {
    assert.equal((await docker(['import', '-', 'bb'], await buildBusyboxRootfs(rootfs))).code, 0);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  writeFileSync(join(project, 'docker-compose.yml'), composeFile('hello'));

  await t.test('up -d starts both services on the project network', async () => {
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(await names(), ['shop_api_1 running', 'shop_web_1 running']);
    const ps = await compose(['ps']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /shop_web_1 .*Up .*0\.0\.0\.0:8081->80\/tcp/);
    assert.match((await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout, /^shop_default$/m);
    assert.match((await docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout, /^shop_webdata$/m);
  });

  await t.test('the web service reaches the api by service name, and its port is published on the machine', async () => {
    const viaDns = await compose(['exec', '-T', 'web', 'wget', '-qO-', 'http://api:8080/']);
    assert.equal(viaDns.code, 0, viaDns.stderr);
    const apiId = (await docker(['ps', '-q', '--filter', 'name=shop_api_1'])).stdout.trim();
    assert.equal(viaDns.stdout.trim(), apiId.slice(0, 12), 'the answer comes from the api container');
    const page = await waitFor(async () => { try { return await httpGet(`http://${ip}:8081/visits`); } catch { return undefined; } }, { timeoutMs: 10_000, what: 'the published port' });
    assert.deepEqual(page, { status: 200, body: 'hello\n' });
    const logs = await compose(['logs', '--no-color', 'api', 'web']);
    assert.match(logs.stdout, /api_1 +\| api up/);
    assert.match(logs.stdout, /web_1 +\| web up/);
  });

  await t.test('up on an unchanged project recreates nothing', async () => {
    const ids = (await docker(['ps', '-q', '--no-trunc'])).stdout.trim().split('\n').sort();
    const again = await compose(['up', '-d']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /shop_web_1 is up-to-date/);
    assert.doesNotMatch(again.stderr, /Recreating/);
    assert.deepEqual((await docker(['ps', '-q', '--no-trunc'])).stdout.trim().split('\n').sort(), ids);
  });

  await t.test('scale, stop, start, restart', async () => {
    const scaled = await compose(['up', '-d', '--scale', 'api=2']);
    assert.equal(scaled.code, 0, `up --scale failed:\n${scaled.stderr}`);
    assert.deepEqual(await names(), ['shop_api_1 running', 'shop_api_2 running', 'shop_web_1 running']);
    // The service name has both replicas' addresses (which one a client uses is its own choice:
    // glibc's getaddrinfo sorts by prefix match, as with dockerd).
    const replicaIps = (await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'shop_api_1', 'shop_api_2'])).stdout.trim().split('\n').sort();
    const lookup = await compose(['exec', '-T', 'web', 'nslookup', 'api']);
    assert.equal(lookup.code, 0, `nslookup api failed:\n${lookup.stdout}\n${lookup.stderr}`);
    // (Once per host search domain, when the host's resolv.conf has any: busybox asks name.domain.)
    assert.deepEqual([...new Set([...lookup.stdout.matchAll(/^Address: (\S+)$/gm)].map((m) => m[1]))].sort(), replicaIps);
    // logs -f follows every service and ends when they stop.
    const follow = run('docker-compose', ['-p', 'shop', '-f', join(project, 'docker-compose.yml'), 'logs', '-f', '--no-color'], { env: composeEnv(), timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const rstop = await compose(['stop']);
    assert.equal(rstop.code, 0, rstop.stderr);
    const followed = await follow;
    assert.equal(followed.code, 0, `logs -f ends when the services stop: ${followed.stderr}`);
    for (const svc of ['api_1 +\\| api up', 'api_2 +\\| api up', 'web_1 +\\| web up']) assert.match(followed.stdout, new RegExp(svc));
    assert.deepEqual(await names(), ['shop_api_1 exited', 'shop_api_2 exited', 'shop_web_1 exited']);
    const rstart = await compose(['start']);
    assert.equal(rstart.code, 0, rstart.stderr);
    const rrestart = await compose(['restart', 'web']);
    assert.equal(rrestart.code, 0, rrestart.stderr);
    assert.deepEqual(await names(), ['shop_api_1 running', 'shop_api_2 running', 'shop_web_1 running']);
    const page = await waitFor(async () => { try { return await httpGet(`http://${ip}:8081/visits`); } catch { return undefined; } }, { timeoutMs: 10_000, what: 'the published port after restart' });
    assert.equal(page.body, 'hello\nhello\nhello\n', `the named volume kept every start's line; web logs:\n${(await compose(['logs', '--no-color', 'web'])).stdout}`);
  });

  await t.test('a changed service is recreated and keeps its volume', async () => {
    writeFileSync(join(project, 'docker-compose.yml'), composeFile('changed'));
    const up = await compose(['up', '-d', '--scale', 'api=2']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /Recreating shop_web_1/);
    assert.doesNotMatch(up.stderr, /Recreating shop_api/);
    const page = await waitFor(async () => { try { return await httpGet(`http://${ip}:8081/visits`); } catch { return undefined; } }, { timeoutMs: 10_000, what: 'the recreated web service' });
    assert.equal(page.body, 'hello\nhello\nhello\nchanged\n');
  });

  await t.test('down -v removes containers, the network and the volume', async () => {
    const down = await compose(['down', '-v']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await names(), []);
    assert.doesNotMatch((await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout, /shop_default/);
    assert.doesNotMatch((await docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout, /shop_webdata/);
    await assert.rejects(httpGet(`http://${ip}:8081/visits`));
  });

  await t.test('rm leaves nothing on the host', async () => {
    assert.equal((await tsm(store, ['rm', '-y', name])).code, 0);
    assert.deepEqual(leaked(before, hostSnapshot(store)), {});
  });
});
