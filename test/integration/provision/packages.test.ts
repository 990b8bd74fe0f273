/**
 * ensurePackages for real in a throwaway root (test/helpers/sshd.ts sandbox): packages are
 * removed and installed inside the overlay only. The apt-get test needs the Debian mirror and is
 * skipped (saying why) when apt cannot download.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isTsmError } from '../../../src/core/errors';
import type { ProgressEvent } from '../../../src/core/progress';
import { SshClient } from '../../../src/provision/ssh-client';
import { detectOs } from '../../../src/provision/os-release';
import { ensurePackages } from '../../../src/provision/packages';
import { startSshd, type Sshd } from '../../helpers/sshd';

let sshd: Sshd;
let ssh: SshClient;

beforeEach(async () => {
  sshd = await startSshd({ sandbox: true });
  ssh = await SshClient.connect({ ...sshd.endpoint(), knownHostsPath: join(sshd.dir, 'known_hosts') });
});
afterEach(async () => {
  ssh?.close();
  await sshd?.stop();
});

/** What apt-get says when the Debian mirror cannot be reached (the tests then skip, not fail). */
const MIRROR_UNREACHABLE = /Failed to fetch|Could not resolve|Temporary failure|Unable to locate/i;

const removeConmon = () => ssh.run('DEBIAN_FRONTEND=noninteractive dpkg --purge --force-depends conmon >/dev/null && ! command -v conmon');

test('installs only what is missing (conmon) with apt-get, after the dpkg lock is released', async (t) => {
  await removeConmon();
  // Another process holds the dpkg frontend lock for 3 s (like unattended-upgrades at first boot).
  await ssh.run('(exec 3</var/lib/dpkg/lock-frontend; sleep 3) >/dev/null 2>&1 </dev/null &');
  const events: ProgressEvent[] = [];
  let installed: string[];
  try {
    installed = await ensurePackages(ssh, await detectOs(ssh), (e) => events.push(e));
  } catch (e) {
    if (isTsmError(e, 'PROVISION_FAILED') && MIRROR_UNREACHABLE.test(e.message)) {
      return t.skip(`apt-get cannot reach the Debian mirror: ${e.message.split('\n').pop()}`);
    }
    throw e;
  }
  assert.deepEqual(installed, ['conmon']);
  assert.equal((await ssh.exec('command -v conmon')).stdout, '/usr/bin/conmon\n');
  const step = events.find((e) => e.kind === 'done' && e.step === 'packages');
  assert.match(step?.message ?? '', /conmon/);
  assert.ok(step?.kind === 'done' && step.ms >= 2500, `waited for the lock (${step?.kind === 'done' ? step.ms : '?'} ms)`);
  assert.deepEqual(await ensurePackages(ssh, await detectOs(ssh)), [], 'nothing left to install');
});

test('missing optional tools (tini for --init, setfattr for layer xattrs) are installed too; where they cannot be, that is a warning', async (t) => {
  await ssh.run('DEBIAN_FRONTEND=noninteractive dpkg --purge --force-depends tini attr >/dev/null && [ ! -e /usr/bin/tini-static ] && ! command -v setfattr');
  const events: ProgressEvent[] = [];
  let installed: string[];
  try {
    installed = await ensurePackages(ssh, await detectOs(ssh), (e) => events.push(e));
  } catch (e) {
    throw new Error(`optional tools may not fail the provisioning: ${String(e)}`);
  }
  const warned = events.find((e) => e.kind === 'warn' && /could not be installed/.test(e.message));
  if (installed.length === 0 && warned && MIRROR_UNREACHABLE.test(warned.message)) {
    return t.skip(`apt-get cannot reach the Debian mirror: ${warned.message}`);
  }
  assert.deepEqual(installed, ['tini', 'attr'], JSON.stringify(events));
  assert.equal((await ssh.exec('[ -x /usr/bin/tini-static ] && command -v setfattr')).stdout, '/usr/bin/setfattr\n');
  // On an OS without such packages: warnings naming what will not work, and no failure.
  await ssh.run('DEBIAN_FRONTEND=noninteractive dpkg --purge --force-depends tini attr >/dev/null');
  await ssh.run("printf 'ID=tsos\\nNAME=tsos\\nVERSION_ID=0.1\\nPRETTY_NAME=\"tsos 0.1\"\\n' > /etc/os-release");
  const later: ProgressEvent[] = [];
  assert.deepEqual(await ensurePackages(ssh, await detectOs(ssh), (e) => later.push(e)), []);
  assert.ok(later.some((e) => e.kind === 'warn' && /^no package for tsos 0\.1: on .*, "docker run --init" will be refused/.test(e.message)), JSON.stringify(later));
  assert.ok(later.some((e) => e.kind === 'warn' && /^no package for tsos 0\.1: on .*, extended attributes of image layers .* will be skipped/.test(e.message)), JSON.stringify(later));
});

test('a host that cannot install packages (tsos) fails clearly, naming what is missing', async () => {
  await removeConmon();
  await ssh.run("printf 'ID=tsos\\nNAME=tsos\\nVERSION_ID=0.1\\nPRETTY_NAME=\"tsos 0.1\"\\n' > /etc/os-release");
  await assert.rejects(ensurePackages(ssh, await detectOs(ssh)), (e) => {
    assert.ok(isTsmError(e, 'PROVISION_FAILED'));
    assert.match(e.message, /^tsos 0\.1 on root@127\.0\.0\.1:\d+ lacks conmon \(tsmachine cannot install packages on this OS\)$/);
    assert.match(e.suggestion!, /install conmon on the host/);
    return true;
  });
});

test('cloud-init still running is waited for; a failed cloud-init is a warning, not an error', async () => {
  // A stand-in cloud-init in the sandbox: `status --wait` takes a moment and reports an error.
  await ssh.putFile('/usr/local/bin/cloud-init', '#!/bin/sh\n[ "$1 $2" = "status --wait" ] && sleep 1 && exit 1\nexit 0\n', { mode: 0o755 });
  const events: ProgressEvent[] = [];
  const t0 = Date.now();
  assert.deepEqual(await ensurePackages(ssh, await detectOs(ssh), (e) => events.push(e)), []);
  assert.ok(Date.now() - t0 >= 1000, 'waited for cloud-init');
  assert.ok(events.some((e) => e.kind === 'warn' && /cloud-init .* finished with errors \(status 1\)/.test(e.message)), JSON.stringify(events));
});
