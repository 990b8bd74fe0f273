/**
 * The shared driver conformance suite over the fake VBoxManage (in-process: the same program
 * code without a node start-up per call; virtualbox-process.test.ts runs it as a real program).
 */
import { after } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDriverConformance } from '../../helpers/conformance/driver-conformance';
import { VBoxManageFake, testVBoxHost } from '../../helpers/fakes/vboxmanage-fake-harness';
import { definition } from '../../../src/drivers/virtualbox';
import { VBoxManageCli } from '../../../src/drivers/virtualbox/api';
import { VirtualBoxDriver } from '../../../src/drivers/virtualbox/driver';

const dir = mkdtempSync(join(tmpdir(), 'tsm-vbox-conf-'));
const iso = join(dir, 'tsos.iso');
writeFileSync(iso, 'not really an ISO');
after(() => rmSync(dir, { recursive: true, force: true }));

runDriverConformance({
  name: 'virtualbox',
  definition,
  validFlags: { 'virtualbox-boot2docker-url': iso, 'virtualbox-share-folder': `${dir}:work` },
  badFlags: [
    { flags: { 'virtualbox-memory': 'lots' }, mentions: /--virtualbox-memory/ },
    { flags: { 'virtualbox-hostonly-cidr': '192.168.56.0/24' }, mentions: /--virtualbox-hostonly-cidr/ },
    { flags: { 'virtualbox-hostonly-cidr': '10.20.30.1/24' }, mentions: /--virtualbox-hostonly-cidr.*overlaps host interface eth0/ },
    { flags: { 'virtualbox-boot2docker-url': join(dir, 'missing.iso') }, mentions: /boot image .*missing\.iso does not exist/ },
    { flags: { 'virtualbox-nat-nictype': 'e1000' }, mentions: /--virtualbox-nat-nictype/ },
    { flags: { 'virtualbox-ui-type': 'fancy' }, mentions: /--virtualbox-ui-type/ },
    { flags: { 'virtualbox-share-folder': `${join(dir, 'nope')}:x` }, mentions: /--virtualbox-share-folder/ },
  ],
  newFake: () => new VBoxManageFake(),
  makeDriver: (ctx, fake) =>
    new VirtualBoxDriver(ctx, {
      api: new VBoxManageCli(fake.exec, fake.command),
      host: testVBoxHost(),
      sleep: async () => undefined,
      pollMs: 1,
      timeouts: { ipMs: 2000, stopMs: 500, powerOffMs: 500 },
    }),
});
