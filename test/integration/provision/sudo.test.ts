/**
 * Non-root users, in a throwaway root (test/helpers/sshd.ts sandbox): users are added with
 * useradd and sudo is installed with our own apt-get script inside the overlay, so the dev host
 * gets neither. Installing sudo needs the Debian mirror; without it the sudo tests are skipped
 * (the "sudo is not installed" case still runs).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isTsmError } from '../../../src/core/errors';
import { emptyEngineOptions } from '../../../src/core/machine';
import { SshClient } from '../../../src/provision/ssh-client';
import { installScript } from '../../../src/provision/packages';
import { provisionHost } from '../../../src/provision/provision';
import { AGENT_PATHS } from '../../../src/provision/agent-install';
import { startSshd, type Sshd } from '../../helpers/sshd';

let sshd: Sshd;
let root: SshClient;
let sudoInstalled: string | true = 'not tried';

const connect = (user: string) => SshClient.connect({ ...sshd.endpoint(user), knownHostsPath: join(sshd.dir, 'known_hosts') });

before(async () => {
  sshd = await startSshd({ sandbox: true });
  root = await connect('root');
  for (const user of ['deploy', 'nosudo']) {
    await root.run(`useradd -m -s /bin/sh -p '*' ${user}`);
    await sshd.authorize(user);
  }
});
after(async () => {
  root?.close();
  await sshd?.stop();
});

test('a non-root user without sudo installed gets a clear PROVISION_FAILED', async (t) => {
  if ((await root.exec('command -v sudo')).code === 0) return t.skip('sudo is already installed on this host');
  const deploy = await connect('deploy');
  t.after(() => deploy.close());
  assert.equal(await deploy.isRoot(), false);
  assert.equal((await deploy.run('id -un')).stdout, 'deploy\n', 'commands without sudo run as the user');
  await assert.rejects(deploy.exec('id -u', { sudo: true }), (e) => {
    assert.ok(isTsmError(e, 'PROVISION_FAILED'), String(e && (e as Error).stack));
    assert.match(e.message, /user "deploy" on deploy@127\.0\.0\.1:\d+ is not root .*sudo is not installed/);
    assert.match(e.suggestion!, /connect as root, or install sudo/);
    return true;
  });
});

test('install sudo in the sandbox with our apt-get script; passwordless sudo for "deploy" only', async () => {
  const r = await root.exec(installScript('debian', ['sudo']), { sudo: true });
  if (r.code !== 0) {
    sudoInstalled = `apt-get could not install sudo (no Debian mirror?): ${r.stderr.trim().split('\n').pop()}`;
    return;
  }
  await root.putFile('/etc/sudoers.d/deploy', 'deploy ALL=(ALL) NOPASSWD:ALL\n', { mode: 0o440 });
  await root.run('visudo -c -q');
  sudoInstalled = true;
});

test('with passwordless sudo: sudo commands run as root, input passes through, putFile lands root-owned', async (t) => {
  if (sudoInstalled !== true) return t.skip(sudoInstalled);
  const deploy = await connect('deploy');
  t.after(() => deploy.close());
  assert.equal((await deploy.run('id -u', { sudo: true })).stdout, '0\n');
  assert.notEqual((await deploy.run('id -u')).stdout, '0\n');
  assert.equal((await deploy.run('cat > /etc/tsm-in && cat /etc/tsm-in', { sudo: true, input: "it's piped" })).stdout, "it's piped");
  await deploy.putFile('/etc/tsm-secret', 'SECRET', { mode: 0o600, sudo: true });
  assert.equal((await root.run('stat -c "%a %U" /etc/tsm-secret')).stdout, '600 root\n');
  assert.equal((await deploy.getFile('/etc/tsm-secret', { sudo: true })).toString(), 'SECRET');
  await assert.rejects(deploy.getFile('/etc/tsm-secret'), (e) => isTsmError(e, 'PROVISION_FAILED'), 'not readable without sudo');
});

test('a user whose sudo wants a password fails clearly, suggesting NOPASSWD', async (t) => {
  if (sudoInstalled !== true) return t.skip(sudoInstalled);
  const nosudo = await connect('nosudo');
  t.after(() => nosudo.close());
  await assert.rejects(nosudo.run('true', { sudo: true }), (e) => {
    assert.ok(isTsmError(e, 'PROVISION_FAILED'), String(e && (e as Error).stack));
    assert.match(e.message, /user "nosudo" .* cannot run commands as root: sudo -n failed: .*password is required/);
    assert.match(e.suggestion!, /nosudo ALL=\(ALL\) NOPASSWD:ALL/);
    return true;
  });
});

test('provisionHost as a sudo user installs and starts the agent as root', async (t) => {
  if (sudoInstalled !== true) return t.skip(sudoInstalled);
  const deploy = await connect('deploy');
  t.after(() => deploy.close());
  const bundle = Buffer.from(`require('fs').writeFileSync(process.argv[process.argv.indexOf('--pidfile') + 1], String(process.pid)); setInterval(() => {}, 1 << 30);`);
  const result = await provisionHost(deploy, {
    hostname: 'tsm-sudo1', bundle, caPem: 'CA', serverCertPem: 'CERT', serverKeyPem: 'KEY', engineOptions: emptyEngineOptions(),
  });
  assert.equal(result.initSystem, 'none');
  assert.equal((await root.run('hostname')).stdout, 'tsm-sudo1\n');
  assert.equal((await root.run(`stat -c '%a %U' ${AGENT_PATHS.certDir} ${AGENT_PATHS.key}`)).stdout, '700 root\n600 root\n');
  let pid = '';
  for (let i = 0; i < 50 && !pid; i++) {
    pid = (await root.exec(`cat ${AGENT_PATHS.pidfile} 2>/dev/null`)).stdout.trim();
    if (!pid) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match((await root.run(`grep '^Uid:' /proc/${pid}/status`)).stdout, /^Uid:\s+0\s/);
});
