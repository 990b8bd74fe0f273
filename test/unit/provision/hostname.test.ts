import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostExec } from '../../../src/core/exec';
import { hostnameScript } from '../../../src/provision/hostname';

test('hostnameScript: hostnamectl only under systemd, valid sh, /etc/hosts entry with the short name', async () => {
  const sd = hostnameScript('web1', 'systemd');
  const none = hostnameScript('db.lab.example', 'none');
  assert.match(sd, /hostnamectl set-hostname "\$NAME"/);
  assert.doesNotMatch(none, /hostnamectl/);
  assert.match(none, /'db\.lab\.example db'/);
  for (const s of [sd, none]) await hostExec('sh', ['-n', '-c', s]);
});

test('hostnameScript refuses names that are not hostnames', () => {
  for (const bad of ['', '-x', 'a b', 'x;reboot', "a'b", 'a'.repeat(254)]) {
    assert.throws(() => hostnameScript(bad, 'none'), RangeError, bad);
  }
});
