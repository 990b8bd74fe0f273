/**
 * The foundation flow as a user runs it: tsmachine create (local driver) -> env -> the real
 * docker CLI over mutual TLS -> ls -> stop/start -> rm, and nothing left on the host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { tsm, run, parseBashExports } from '../helpers/cli';
import { hostSnapshot, leaked } from '../helpers/host-snapshot';
import { buildBusyboxRootfs } from '../helpers/busybox-rootfs';
import { realLocalApi, removeUnusedBridge } from '../../src/drivers/local';
import { hostExec } from '../../src/core/exec';

const store = mkdtempSync(join(tmpdir(), 'tsm-e2e-'));
const name = `e2e${process.pid}`;
let dockerEnv: NodeJS.ProcessEnv = {};
const docker = (args: string[], input?: Buffer) => run('docker', args, { env: { ...process.env, ...dockerEnv }, input, timeoutMs: 60_000 });

test('foundation: create, docker over mutual TLS, stop/start, rm', async (t) => {
  const before = hostSnapshot(store);
  // The bridge is shared infrastructure that outlives machines; remove it only if this test made it.
  const bridgeExisted = before.links.includes('tsm0');
  t.after(async () => {
    await tsm(store, ['rm', '-f', name]);
    rmSync(store, { recursive: true, force: true });
    if (!bridgeExisted) await removeUnusedBridge(realLocalApi(hostExec), 'tsm0');
  });

  await t.test('create on the default driver', async () => {
    const r = await tsm(store, ['create', name], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `create failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`env ${name}`));
    const dir = join(store, 'machines', name);
    for (const f of ['machine.json', 'id_ed25519', 'ca.pem', 'cert.pem', 'key.pem', 'server.pem', 'server-key.pem']) {
      assert.ok(existsSync(join(dir, f)), `${f} missing from the machine folder`);
    }
    const record = JSON.parse(readFileSync(join(dir, 'machine.json'), 'utf8'));
    assert.equal(record.driver.name, 'local');
    assert.equal(record.version, 1);
  });

  await t.test('env prints docker-machine style exports', async () => {
    const r = await tsm(store, ['env', name, '--shell', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    dockerEnv = parseBashExports(r.stdout);
    assert.equal(dockerEnv.DOCKER_TLS_VERIFY, '1');
    assert.match(dockerEnv.DOCKER_HOST ?? '', /^tcp:\/\/\d+\.\d+\.\d+\.\d+:2376$/);
    assert.equal(dockerEnv.DOCKER_CERT_PATH, join(store, 'machines', name));
    assert.match(r.stdout, new RegExp(`# eval \\$\\(tsmachine env (--shell bash )?${name}\\)`));
  });

  await t.test('docker version reaches tsagent', async () => {
    const r = await docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tsagent/);
  });

  await t.test('a client without a certificate, or with one from another CA, is refused', async () => {
    const url = new URL((dockerEnv.DOCKER_HOST as string).replace('tcp:', 'https:'));
    const ca = readFileSync(join(store, 'machines', name, 'ca.pem'));
    const attempt = (opts: object) =>
      new Promise<string>((resolve) => {
        const req = request({ host: url.hostname, port: Number(url.port), path: '/_ping', ca, servername: url.hostname, agent: false, ...opts }, (res) =>
          resolve(`status ${res.statusCode}`),
        );
        req.on('error', (e) => resolve(`error ${e.message}`));
        req.end();
      });
    assert.match(await attempt({}), /^error/);
    const other = mkdtempSync(join(tmpdir(), 'tsm-otherca-'));
    try {
      await run('sh', ['-c', `cd ${other} && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 1 -subj /CN=intruder 2>/dev/null`]);
      assert.match(await attempt({ cert: readFileSync(join(other, 'c.pem')), key: readFileSync(join(other, 'k.pem')) }), /^error/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    assert.equal(
      await attempt({ cert: readFileSync(join(store, 'machines', name, 'cert.pem')), key: readFileSync(join(store, 'machines', name, 'key.pem')) }),
      'status 200',
    );
  });

  await t.test('import an image and run containers with the docker CLI', async () => {
    const rootfs = mkdtempSync(join(tmpdir(), 'tsm-bb-'));
    try {
      const tar = await buildBusyboxRootfs(rootfs);
      const imp = await docker(['import', '-', 'bb'], tar);
      assert.equal(imp.code, 0, imp.stderr);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
    const hello = await docker(['run', '--rm', 'bb', 'echo', 'hello']);
    assert.equal(hello.code, 0, hello.stderr);
    assert.equal(hello.stdout, 'hello\n');
    const exit3 = await docker(['run', '--rm', 'bb', 'sh', '-c', 'exit 3']);
    assert.equal(exit3.code, 3);
    const d = await docker(['run', '-d', '--name', 'w', 'bb', 'sh', '-c', 'echo started; sleep 1000']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout.trim(), /^[0-9a-f]{64}$/);
    await new Promise((r) => setTimeout(r, 300));
    const logs = await docker(['logs', 'w']);
    assert.equal(logs.stdout, 'started\n');
    const exec = await docker(['exec', 'w', 'echo', 'hi']);
    assert.equal(exec.stdout, 'hi\n');
    const ps = await docker(['ps', '--format', '{{.Names}} {{.Image}} {{.Status}}']);
    assert.match(ps.stdout, /^w bb Up/m);
  });

  await t.test('ls shows the machine as running with its URL and engine version', async () => {
    const r = await tsm(store, ['ls']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trim().split('\n');
    assert.match(header, /^NAME\s+ACTIVE\s+DRIVER\s+STATE\s+URL\s+SWARM\s+DOCKER\s+ERRORS/);
    assert.match(row, new RegExp(`^${name}\\s+-\\s+local\\s+Running\\s+tcp://[0-9.]+:2376\\s+.*tsagent`));
    const quiet = await tsm(store, ['ls', '-q']);
    assert.equal(quiet.stdout, `${name}\n`);
  });

  await t.test('a name in use is refused and the machine is untouched', async () => {
    const recordBefore = readFileSync(join(store, 'machines', name, 'machine.json'), 'utf8');
    const r = await tsm(store, ['create', name]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`"${name}" already exists`));
    assert.match(r.stderr, /tsmachine rm/);
    assert.equal(readFileSync(join(store, 'machines', name, 'machine.json'), 'utf8'), recordBefore);
    assert.equal((await docker(['ps', '-q'])).code, 0);
  });

  await t.test('stop and start keep the machine, its data and valid TLS', async () => {
    assert.equal((await tsm(store, ['stop', name])).code, 0);
    assert.equal((await tsm(store, ['status', name])).stdout.trim(), 'Stopped');
    const down = await docker(['ps']);
    assert.notEqual(down.code, 0, 'docker ps must fail while the machine is stopped');
    const start = await tsm(store, ['start', name], { timeoutMs: 120_000 });
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await tsm(store, ['status', name])).stdout.trim(), 'Running');
    const ps = await docker(['ps', '-a', '--format', '{{.Names}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^w$/m, 'the container record survives a machine restart');
    const images = await docker(['images', '--format', '{{.Repository}}']);
    assert.match(images.stdout, /^bb$/m, 'the image survives a machine restart');
    const again = await docker(['run', '--rm', 'bb', 'echo', 'again']);
    assert.equal(again.stdout, 'again\n');
    assert.equal((await docker(['rm', '-f', 'w'])).code, 0);
  });

  await t.test('rm removes the machine and leaves nothing on the host', async () => {
    const r = await tsm(store, ['rm', '-y', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(store, 'machines', name)), false);
    const after = hostSnapshot(store);
    after.links = after.links.filter((l) => l !== 'tsm0');
    assert.deepEqual(leaked(before, after), {});
  });
});
