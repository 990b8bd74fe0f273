/**
 * provisionHost / installAgent for real, against a throwaway root: sshd runs in new mount, UTS
 * and PID namespaces with overlays over /etc, /usr, /var and a tmpfs /run (test/helpers/sshd.ts),
 * so /etc/tsagent, the boot.d script, the hostname and the agent process all vanish at stop().
 * The bundle is a stand-in agent (a few lines of node) that records how it was started.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { existsSync } from 'node:fs';
import { emptyEngineOptions } from '../../../src/core/machine';
import type { ProgressEvent } from '../../../src/core/progress';
import { SshClient } from '../../../src/provision/ssh-client';
import { provisionHost } from '../../../src/provision/provision';
import { AGENT_PATHS, agentLogsTail, installAgentCerts, restartAgent } from '../../../src/provision/agent-install';
import { startSshd, type Sshd } from '../../helpers/sshd';

/** Stand-in agent: writes its pidfile and how it was started, logs, exits on SIGTERM. */
const FAKE_AGENT = `
const fs = require('fs');
const a = process.argv.slice(1);
fs.writeFileSync(a[a.indexOf('--pidfile') + 1], String(process.pid));
fs.writeFileSync('/run/fake-agent.json', JSON.stringify({ argv: a, proxy: process.env.HTTP_PROXY, cert: fs.readFileSync('/etc/tsagent/server.pem', 'utf8') }));
console.log('fake agent up pid=' + process.pid);
process.on('SIGTERM', () => { console.log('fake agent stopping'); process.exit(0); });
setInterval(() => {}, 1 << 30);
`;

const CERTS = { caPem: 'CA PEM\n', serverCertPem: 'SERVER CERT 1\n', serverKeyPem: 'SERVER KEY SECRET\n' };

let sshd: Sshd;
let ssh: SshClient;

before(async () => {
  sshd = await startSshd({ sandbox: true });
  ssh = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: join(sshd.dir, 'known_hosts') });
});
after(async () => {
  ssh?.close();
  await sshd?.stop();
});

async function agentState(): Promise<{ pid: number; argv: string[]; proxy?: string; cert: string; alive: boolean }> {
  const pid = Number((await ssh.run(`cat ${AGENT_PATHS.pidfile}`)).stdout.trim());
  const rec = JSON.parse((await ssh.run('cat /run/fake-agent.json')).stdout);
  const alive = (await ssh.exec(`kill -0 ${pid}`)).code === 0;
  return { pid, ...rec, alive };
}

/** Polls until the stand-in agent wrote its pidfile and record (it starts detached). */
async function waitAgent(notPid?: number): Promise<Awaited<ReturnType<typeof agentState>>> {
  for (let i = 0; i < 100; i++) {
    const s = await agentState().catch(() => undefined);
    if (s && s.alive && s.pid !== notPid) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the agent did not start; log:\n${await agentLogsTail(ssh, 'none')}`);
}

test('provisionHost: detects Debian/none, sets the hostname, installs nothing here, starts the agent', async (t) => {
  const events: ProgressEvent[] = [];
  const hostBefore = hostname();
  const hadTsagent = existsSync('/etc/tsagent');
  await ssh.run("printf '127.0.0.1 localhost\\n127.0.1.1 oldname\\n' > /etc/hosts");
  const result = await provisionHost(ssh, {
    hostname: 'tsm-prov1',
    bundle: Buffer.from(FAKE_AGENT),
    ...CERTS,
    port: 2399,
    engineOptions: { ...emptyEngineOptions(), labels: ['tier=test'], env: ['HTTP_PROXY=http://proxy:3128'], opts: ['debug'] },
    progress: (e) => events.push(e),
  });
  const local = /PRETTY_NAME="(.*)"/.exec(await readFile('/etc/os-release', 'utf8'))![1];
  assert.deepEqual(result, { os: local, family: 'debian', initSystem: 'none', installed: [] });
  assert.deepEqual(events.filter((e) => e.kind === 'done').map((e) => (e as { step: string }).step), ['os', 'hostname', 'cloud-init', 'agent']);

  assert.equal((await ssh.run('hostname; cat /etc/hostname')).stdout, 'tsm-prov1\ntsm-prov1\n');
  assert.equal(hostname(), hostBefore, 'the dev host keeps its name (UTS namespace)');
  assert.equal(existsSync('/etc/tsagent'), hadTsagent, 'nothing written to the dev host (overlay)');
  t.diagnostic(events.filter((e) => e.kind === 'done').map((e) => `${(e as { step: string }).step}=${(e as { ms: number }).ms}ms`).join(' '));
  assert.equal((await ssh.run('cat /etc/hosts')).stdout, '127.0.0.1 localhost\n127.0.1.1 tsm-prov1\n', 'the old 127.0.1.1 entry is replaced');
  assert.equal((await ssh.run(`stat -c '%a %U' ${AGENT_PATHS.certDir} ${AGENT_PATHS.ca} ${AGENT_PATHS.cert} ${AGENT_PATHS.key}`)).stdout, '700 root\n600 root\n600 root\n600 root\n');
  assert.equal((await ssh.getFile(AGENT_PATHS.key)).toString(), CERTS.serverKeyPem);
  assert.equal((await ssh.getFile(AGENT_PATHS.bundle)).toString(), FAKE_AGENT);
  assert.equal((await ssh.run(`stat -c %a ${AGENT_PATHS.bootScript}`)).stdout, '755\n');

  const s = await waitAgent();
  assert.deepEqual(s.argv.slice(0, 4), [AGENT_PATHS.bundle, '-H', 'tcp://0.0.0.0:2399', '-H']);
  assert.deepEqual(s.argv.slice(-3), ['--label', 'tier=test', '--debug']);
  assert.equal(s.proxy, 'http://proxy:3128');
  assert.match(await agentLogsTail(ssh, 'none'), /fake agent up pid=\d+/);
  // Detached: its own session, not a child of the SSH session that started it.
  const sid = (await ssh.run(`ps -o sid= -p ${s.pid}`)).stdout.trim();
  assert.equal(sid, String(s.pid));
});

test('re-provisioning is idempotent and restarts the agent (the old one stopped by its pidfile)', async () => {
  const first = await waitAgent();
  await provisionHost(ssh, { hostname: 'tsm-prov1', bundle: Buffer.from(FAKE_AGENT), ...CERTS, engineOptions: emptyEngineOptions() });
  const second = await waitAgent(first.pid);
  assert.equal((await ssh.exec(`kill -0 ${first.pid}`)).code, 1, 'the old agent is gone');
  assert.equal(second.argv[2], 'tcp://0.0.0.0:2376', 'default port');
  assert.equal((await ssh.run("grep -c '^127.0.1.1' /etc/hosts")).stdout.trim(), '1');
  assert.match(await agentLogsTail(ssh, 'none'), /fake agent stopping/);
});

test('installAgentCerts writes new certificates and restarts the agent', async () => {
  const before = await waitAgent();
  await installAgentCerts(ssh, { ...CERTS, serverCertPem: 'SERVER CERT 2\n', initSystem: 'none' });
  const now = await waitAgent(before.pid);
  assert.equal(now.cert, 'SERVER CERT 2\n');
  assert.equal((await ssh.run(`stat -c %a ${AGENT_PATHS.cert}`)).stdout, '600\n');
});

test('restartAgent never kills an unrelated process whose PID sits in a stale pidfile', async () => {
  const agent = await waitAgent();
  await ssh.run(`kill ${agent.pid}`);
  const other = (await ssh.run('setsid nohup sleep 300 >/dev/null 2>&1 </dev/null & echo $!')).stdout.trim();
  await ssh.run(`echo ${other} > ${AGENT_PATHS.pidfile}`);
  await restartAgent(ssh, 'none');
  await waitAgent(Number(other));
  assert.equal((await ssh.exec(`kill -0 ${other}`)).code, 0, 'the sleep survived');
  await ssh.run(`kill ${other}`);
});
