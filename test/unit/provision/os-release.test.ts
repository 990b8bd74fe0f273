import { test } from 'node:test';
import assert from 'node:assert/strict';
import { osFamily, parseOsRelease, parseOsReleaseVars } from '../../../src/provision/os-release';
import { parseInitSystem, toInitSystem } from '../../../src/provision/init-system';

const SAMPLES: Array<[string, string, { id: string; family: string; versionId: string; prettyName: string }]> = [
  ['debian 12', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n', { id: 'debian', family: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }],
  ['ubuntu 24.04', 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n', { id: 'ubuntu', family: 'debian', versionId: '24.04', prettyName: 'Ubuntu 24.04.1 LTS' }],
  ['amazon linux 2023', 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023.6.20241212"\n', { id: 'amzn', family: 'rhel', versionId: '2023', prettyName: 'Amazon Linux 2023.6.20241212' }],
  ['rocky 9', 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n', { id: 'rocky', family: 'rhel', versionId: '9.4', prettyName: 'Rocky Linux 9.4 (Blue Onyx)' }],
  ['fedora', 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Server Edition)"\n', { id: 'fedora', family: 'rhel', versionId: '40', prettyName: 'Fedora Linux 40 (Server Edition)' }],
  ['alpine', 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n', { id: 'alpine', family: 'alpine', versionId: '3.20.3', prettyName: 'Alpine Linux v3.20' }],
  ['tsos', "NAME=tsos\nID=tsos\nID_LIKE='alpine'\nVERSION_ID=0.1\n", { id: 'tsos', family: 'tsos', versionId: '0.1', prettyName: 'tsos 0.1' }],
  ['arch', 'NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\n', { id: 'arch', family: 'unknown', versionId: '', prettyName: 'Arch Linux' }],
];

for (const [name, text, want] of SAMPLES) {
  test(`parseOsRelease: ${name}`, () => {
    const r = parseOsRelease(text);
    assert.deepEqual({ id: r.id, family: r.family, versionId: r.versionId, prettyName: r.prettyName }, want);
  });
}

test('parseOsReleaseVars unquotes double quotes with escapes and single quotes, skips comments', () => {
  const v = parseOsReleaseVars('# c\nA="x \\"y\\" \\$z"\nB=\'q w\'\nC=plain\n  D="sp"\nlower=no\n');
  assert.deepEqual(v, { A: 'x "y" $z', B: 'q w', C: 'plain', D: 'sp' });
});

test('osFamily uses ID first, then ID_LIKE in order', () => {
  assert.equal(osFamily('linuxmint', ['ubuntu', 'debian']), 'debian');
  assert.equal(osFamily('ol', []), 'rhel');
  assert.equal(osFamily('custom', ['fedora']), 'rhel');
  assert.equal(osFamily('custom', []), 'unknown');
});

test('parseInitSystem/toInitSystem accept the three systems and map anything else to none', () => {
  assert.equal(parseInitSystem('systemd\n'), 'systemd');
  assert.equal(parseInitSystem('noise\nopenrc\n'), 'openrc');
  assert.equal(parseInitSystem(''), 'none');
  assert.equal(toInitSystem('upstart'), 'none');
});
