import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostExec } from '../../../src/core/exec';
import {
  CLOUD_INIT_WAIT_SCRIPT,
  PROBE_SCRIPT,
  installScript,
  missingRequirements,
  nodeMajor,
  packageNames,
  parseProbe,
} from '../../../src/provision/packages';

test('the probe script runs here and finds what this host has', async () => {
  const r = await hostExec('sh', ['-c', PROBE_SCRIPT], { env: { PATH: '/usr/bin:/bin' } });
  const tools = parseProbe(r.stdout);
  // This dev host has runc, conmon, iptables (in /usr/sbin: the probe must add it to PATH), socat, tini-static, setfattr and node 20.
  assert.deepEqual(tools, { runtime: true, conmon: true, iptables: true, socat: true, init: true, xattr: true, nodeVersion: process.version });
  assert.deepEqual(missingRequirements(tools), []);
});

test('missingRequirements: node older than 18 or unparsable counts as missing', () => {
  const base = { runtime: true, conmon: true, iptables: true, socat: true, init: false, xattr: false };
  assert.deepEqual(missingRequirements({ ...base, nodeVersion: 'v18.19.0' }), []);
  assert.deepEqual(missingRequirements({ ...base, nodeVersion: 'v12.22.9' }), ['node']);
  assert.deepEqual(missingRequirements({ ...base, nodeVersion: '' }), ['node']);
  assert.deepEqual(missingRequirements({ runtime: false, conmon: false, iptables: false, socat: false, init: true, xattr: true, nodeVersion: 'v20.0.0' }), ['runtime', 'conmon', 'iptables', 'socat']);
  assert.equal(nodeMajor('v20.11.1\n'), 20);
  assert.equal(nodeMajor('garbage'), undefined);
  assert.deepEqual(packageNames(['runtime', 'node']), ['runc', 'nodejs']);
});

test('parseProbe reads key=value lines and tolerates noise', () => {
  assert.deepEqual(parseProbe('motd\nruntime=no\nconmon=yes\niptables=yes\nsocat=yes\ninit=no\nxattr=yes\nnode=v16.0.0\n'), {
    runtime: false, conmon: true, iptables: true, socat: true, init: false, xattr: true, nodeVersion: 'v16.0.0',
  });
});

test('installScript: apt-get noninteractive with lock waits, dnf/yum, apk; all valid sh', async () => {
  const apt = installScript('debian', ['runc', 'nodejs']);
  assert.match(apt, /export DEBIAN_FRONTEND=noninteractive/);
  assert.match(apt, /fuser \/var\/lib\/dpkg\/lock-frontend/);
  assert.match(apt, /apt-get -o DPkg::Lock::Timeout=300 -q update\n/);
  assert.match(apt, /apt-get -o DPkg::Lock::Timeout=300 -q -y install --no-install-recommends runc nodejs$/);
  assert.doesNotMatch(installScript('debian', ['tini'], { update: false }), /apt-get .* update/, 'no second update right after one');
  assert.match(installScript('rhel', ['conmon']), /if command -v dnf .*; then dnf -y -q install conmon; else yum -y -q install conmon; fi/);
  assert.match(installScript('alpine', ['iptables']), /apk add --wait 300 --no-cache iptables/);
  assert.throws(() => installScript('tsos', ['runc']), RangeError);
  for (const script of [apt, installScript('rhel', ['a']), installScript('alpine', ['a']), CLOUD_INIT_WAIT_SCRIPT, PROBE_SCRIPT]) {
    await hostExec('sh', ['-n', '-c', script]);
  }
});

test('the cloud-init wait reports absent on a host without cloud-init', async () => {
  const r = await hostExec('/bin/sh', ['-c', CLOUD_INIT_WAIT_SCRIPT], { env: { PATH: '/nonexistent' } });
  assert.equal(r.stdout.trim(), 'absent');
});
