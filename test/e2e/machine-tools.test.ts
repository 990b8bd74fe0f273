/**
 * The rest of the machine commands as a user runs them against one local machine: ssh, scp,
 * ip/url/config/inspect/active, --json, regenerate-certs, kill/restart, and the generic driver
 * provisioning that machine as an existing SSH host from a second store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsm, run, parseBashExports } from '../helpers/cli';
import { realLocalApi, removeUnusedBridge } from '../../src/drivers/local';
import { hostExec } from '../../src/core/exec';
import { hostSnapshot } from '../helpers/host-snapshot';

const store = mkdtempSync(join(tmpdir(), 'tsm-tools-'));
const store2 = mkdtempSync(join(tmpdir(), 'tsm-tools2-'));
const work = mkdtempSync(join(tmpdir(), 'tsm-tools-files-'));
const name = `tools${process.pid}`;

test('machine commands', async (t) => {
  const bridgeExisted = hostSnapshot(store).links.includes('tsm0');
  t.after(async () => {
    await tsm(store2, ['rm', '-f', 'g1']);
    await tsm(store, ['rm', '-f', name]);
    for (const d of [store, store2, work]) rmSync(d, { recursive: true, force: true });
    if (!bridgeExisted) await removeUnusedBridge(realLocalApi(hostExec), 'tsm0');
  });
  const created = await tsm(store, ['create', name], { timeoutMs: 180_000 });
  assert.equal(created.code, 0, created.stderr);
  const ip = (await tsm(store, ['ip', name])).stdout.trim();
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  const env = parseBashExports((await tsm(store, ['env', '--shell', 'bash', name])).stdout);
  const docker = (args: string[], e: NodeJS.ProcessEnv = env) => run('docker', args, { env: { ...process.env, ...e } });

  await t.test('ssh runs one command and returns its exit code', async () => {
    const r = await tsm(store, ['ssh', name, '--', 'hostname']);
    assert.equal(r.stdout.trim(), name);
    const fail = await tsm(store, ['ssh', name, '--', 'sh', '-c', "'echo oops >&2; exit 7'"]);
    assert.equal(fail.code, 7);
    assert.match(fail.stderr, /oops/);
  });

  await t.test('scp copies files and folders both ways', async () => {
    mkdirSync(join(work, 'up', 'sub'), { recursive: true });
    writeFileSync(join(work, 'up', 'sub', 'f.txt'), 'payload\n');
    writeFileSync(join(work, 'one.txt'), 'one\n');
    assert.equal((await tsm(store, ['scp', join(work, 'one.txt'), `${name}:/tmp/one.txt`])).code, 0);
    assert.equal((await tsm(store, ['ssh', name, '--', 'cat', '/tmp/one.txt'])).stdout, 'one\n');
    assert.equal((await tsm(store, ['scp', join(work, 'one.txt'), `${name}:rel.txt`])).code, 0);
    assert.equal((await tsm(store, ['ssh', name, '--', 'cat', 'rel.txt'])).stdout, 'one\n');
    const up = await tsm(store, ['scp', '-r', join(work, 'up'), `${name}:/root/up`]);
    assert.equal(up.code, 0, up.stderr);
    const down = await tsm(store, ['scp', '-r', `${name}:/root/up`, join(work, 'down')]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(join(work, 'down', 'sub', 'f.txt'), 'utf8'), 'payload\n');
    const none = await tsm(store, ['scp', join(work, 'one.txt'), join(work, 'two.txt')]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /MACHINE:PATH/);
  });

  await t.test('ip, url, config, inspect, status, active and --json agree', async () => {
    assert.equal((await tsm(store, ['url', name])).stdout.trim(), `tcp://${ip}:2376`);
    const config = (await tsm(store, ['config', name])).stdout;
    assert.match(config, /^--tlsverify$/m);
    assert.match(config, new RegExp(`^-H=tcp://${ip.replace(/\./g, '\\.')}:2376$`, 'm'));
    const viaConfig = await run('sh', ['-c', `docker $(node "$TSM_BIN" config ${name}) ps -q`], {
      env: { ...process.env, TSMACHINE_STORAGE_PATH: store, TSM_BIN: join(__dirname, '..', '..', '..', 'bin', 'run.js') },
    });
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.equal((await tsm(store, ['inspect', '--format', '{{.Driver.IPAddress}} {{.DriverName}}', name])).stdout.trim(), `${ip} local`);
    const inspect = JSON.parse((await tsm(store, ['inspect', name])).stdout);
    assert.equal(inspect.Name, name);
    assert.equal(inspect.HostOptions.AuthOptions.StorePath, join(store, 'machines', name));
    const ls = JSON.parse((await tsm(store, ['ls', '--json'])).stdout);
    assert.equal(ls[0].Name, name);
    assert.equal(ls[0].State, 'Running');
    assert.equal(JSON.parse((await tsm(store, ['status', '--json', name])).stdout).state, 'Running');
    assert.equal((await tsm(store, ['active'], { env: { DOCKER_HOST: env.DOCKER_HOST } })).stdout.trim(), name);
    const noActive = await tsm(store, ['active'], { env: { DOCKER_HOST: '' } });
    assert.notEqual(noActive.code, 0);
    const filtered = await tsm(store, ['ls', '--filter', 'driver=generic', '-q']);
    assert.equal(filtered.stdout, '');
    const badFilter = await tsm(store, ['ls', '--filter', 'color=red']);
    assert.notEqual(badFilter.code, 0);
    assert.match(badFilter.stderr, /--filter/);
  });

  await t.test('regenerate-certs issues a new server certificate and docker keeps working', async () => {
    const before = readFileSync(join(store, 'machines', name, 'server.pem'), 'utf8');
    const r = await tsm(store, ['regenerate-certs', '-f', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(readFileSync(join(store, 'machines', name, 'server.pem'), 'utf8'), before);
    assert.equal((await docker(['ps'])).code, 0);
    const cli = await tsm(store, ['regenerate-certs', '-f', '--client-certs', name]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await docker(['ps'])).code, 0, 'the new client certificate is accepted');
  });

  await t.test('kill then restart brings the engine back; an address missing from the certificate is re-issued', async () => {
    assert.equal((await tsm(store, ['kill', name])).code, 0);
    // Simulate an IP change (a cloud without a static IP): the record says the cert covers another address.
    const recordPath = join(store, 'machines', name, 'machine.json');
    const record = JSON.parse(readFileSync(recordPath, 'utf8'));
    record.tls.issuedSans = ['192.0.2.1'];
    writeFileSync(recordPath, JSON.stringify(record));
    const certBefore = readFileSync(join(store, 'machines', name, 'server.pem'), 'utf8');
    assert.equal((await tsm(store, ['status', name])).stdout.trim(), 'Stopped');
    const r = await tsm(store, ['restart', name], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /not in the server certificate: re-issuing it/);
    assert.notEqual(readFileSync(join(store, 'machines', name, 'server.pem'), 'utf8'), certBefore);
    assert.ok(JSON.parse(readFileSync(recordPath, 'utf8')).tls.issuedSans.includes(ip));
    assert.equal((await docker(['ps'])).code, 0);
  });

  await t.test('the generic driver provisions an existing SSH host', async () => {
    const key = join(store, 'machines', name, 'id_ed25519');
    const r = await tsm(store2, ['create', '-d', 'generic', '--generic-ip-address', ip, '--generic-ssh-key', key, 'g1'], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
    const env2 = parseBashExports((await tsm(store2, ['env', '--shell', 'bash', 'g1'])).stdout);
    assert.equal(env2.DOCKER_HOST, `tcp://${ip}:2376`);
    const v = await docker(['version', '--format', '{{.Server.Version}}'], env2);
    assert.match(v.stdout, /tsagent/);
    // The host now trusts the second store's CA only.
    assert.notEqual((await docker(['ps'])).code, 0);
    assert.equal((await tsm(store2, ['rm', '-y', 'g1'])).code, 0);
    assert.equal((await tsm(store, ['status', name])).stdout.trim(), 'Running', 'removing a generic machine leaves the host alone');
  });
});
