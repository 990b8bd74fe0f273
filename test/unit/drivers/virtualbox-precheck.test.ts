/** virtualbox preCreateCheck and the boot image: refused before anything is created, with the flag to change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostExec } from '../../../src/core/exec';
import { isTsmError, type TsmError } from '../../../src/core/errors';
import { VBoxManageCli } from '../../../src/drivers/virtualbox/api';
import { VirtualBoxDriver } from '../../../src/drivers/virtualbox/driver';
import { testVBoxHost, vboxTestMachine } from '../../helpers/fakes/vboxmanage-fake-harness';

function refused(re: RegExp) {
  return (e: Error) => {
    assert.ok(isTsmError(e, 'PRECREATE_FAILED'), `${e.name}: ${e.message}`);
    assert.match(e.message, re);
    return true;
  };
}

test('VBoxManage missing: says so and how to fix it', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  const driver = new VirtualBoxDriver(m.ctx, { api: new VBoxManageCli(hostExec, join(m.dir, 'no', 'VBoxManage')), host: testVBoxHost() });
  await assert.rejects(driver.preCreateCheck(), (e: TsmError) => refused(/VBoxManage was not found/)(e) && /TSMACHINE_VBOXMANAGE/.test(e.suggestion ?? ''));
});

test('VirtualBox older than 6.1 is refused', async (t) => {
  const m = vboxTestMachine({ fake: { setup: (s) => void (s.version = '5.2.44r139111') } });
  t.after(() => m.cleanup());
  await assert.rejects(m.driver.preCreateCheck(), refused(/VirtualBox 5\.2\.44r139111 is too old: tsmachine needs 6\.1/));
});

test('VirtualBox 7 on macOS (host-only networks instead of interfaces) is refused as unsupported', async (t) => {
  const mac7 = vboxTestMachine({ host: { platform: 'darwin' } });
  t.after(() => mac7.cleanup());
  await assert.rejects(mac7.driver.preCreateCheck(), (e: Error) => isTsmError(e, 'DRIVER_UNSUPPORTED') && /hostonlynet/.test(e.message));
  const mac6 = vboxTestMachine({ host: { platform: 'darwin' }, fake: { setup: (s) => void (s.version = '6.1.50r161033') } });
  t.after(() => mac6.cleanup());
  await mac6.driver.preCreateCheck();
});

test('no VT-x/AMD-V in /proc/cpuinfo is refused unless --virtualbox-no-vtx-check', async (t) => {
  const noVtx = { cpuInfo: async () => 'processor\t: 0\nflags\t\t: fpu vme de pse sse sse2 hypervisor\n' };
  const m = vboxTestMachine({ host: noVtx });
  t.after(() => m.cleanup());
  await assert.rejects(m.driver.preCreateCheck(), refused(/--virtualbox-no-vtx-check: .*no hardware virtualization/));
  const skip = vboxTestMachine({ host: noVtx, flags: { 'virtualbox-no-vtx-check': true } });
  t.after(() => skip.cleanup());
  await skip.driver.preCreateCheck();
  const unknown = vboxTestMachine({ host: { cpuInfo: async () => undefined } });
  t.after(() => unknown.cleanup());
  await unknown.driver.preCreateCheck();
});

test('a user VirtualBox refuses is told they are not authorized and what to do', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  m.fake.rejectCredentials();
  await assert.rejects(m.driver.preCreateCheck(), (e: TsmError) => refused(/not authorized.*Failed to create the VirtualBox object/)(e) && /vboxusers/.test(e.suggestion ?? ''));
});

test('host-only CIDRs outside /etc/vbox/networks.conf are refused on VirtualBox 6.1.28+', async (t) => {
  const m = vboxTestMachine({ flags: { 'virtualbox-hostonly-cidr': '10.99.0.1/24' } });
  t.after(() => m.cleanup());
  await assert.rejects(m.driver.preCreateCheck(), refused(/--virtualbox-hostonly-cidr: VirtualBox 7\.0\.20r163906 only allows host-only networks in 192\.168\.56\.0\/21/));
  const allowed = vboxTestMachine({ flags: { 'virtualbox-hostonly-cidr': '10.99.0.1/24' }, host: { readFile: async () => '# ranges\n* 10.0.0.0/8 192.168.0.0/16\n' } });
  t.after(() => allowed.cleanup());
  await allowed.driver.preCreateCheck();
  // ...and when VirtualBox still refuses the address, create says where to look.
  await assert.rejects(allowed.driver.create(), (e: TsmError) => isTsmError(e, 'DRIVER_ERROR') && /refused the address 10\.99\.0\.1\/24/.test(e.message) && /networks\.conf/.test(e.suggestion ?? ''));
  await allowed.driver.remove();
  assert.deepEqual(allowed.fake.liveResources(), []);
  const old = vboxTestMachine({ flags: { 'virtualbox-hostonly-cidr': '10.99.0.1/24' }, fake: { setup: (s) => void (s.version = '6.1.26r145957') } });
  t.after(() => old.cleanup());
  await old.driver.preCreateCheck();
});

test('host-only CIDR collisions: overlapping interfaces are refused, the exact one is reused', async (t) => {
  const ifs = (ip: string, mask: string, name = 'vboxnet0') => ({ name, guid: name, ip, netmask: mask, mac: '0a:00:27:00:00:00', status: 'Up' as const });
  const overlap = vboxTestMachine({ fake: { setup: (s) => void s.hostOnlyIfs.push(ifs('192.168.56.1', '255.255.254.0')) } });
  t.after(() => overlap.cleanup());
  await assert.rejects(overlap.driver.preCreateCheck(), refused(/192\.168\.56\.1\/24 overlaps host-only interface vboxnet0 \(192\.168\.56\.0\/23\)/));
  const twice = vboxTestMachine({ fake: { setup: (s) => void s.hostOnlyIfs.push(ifs('192.168.56.1', '255.255.255.0'), ifs('192.168.56.1', '255.255.255.0', 'vboxnet1')) } });
  t.after(() => twice.cleanup());
  await assert.rejects(twice.driver.preCreateCheck(), refused(/vboxnet0 and vboxnet1 all have the address 192\.168\.56\.1/));
  const exact = vboxTestMachine({
    fake: { setup: (s) => void s.hostOnlyIfs.push(ifs('192.168.56.1', '255.255.255.0')) },
    host: { addresses: () => [{ ifName: 'vboxnet0', address: '192.168.56.1', prefix: 24 }] },
  });
  t.after(() => exact.cleanup());
  await exact.driver.preCreateCheck();
  assert.deepEqual(exact.fake.liveResources(), ['hostonlyif:vboxnet0']);
});

test('the default boot image is <store>/cache/tsos.iso; missing, the error names the flag', async (t) => {
  const m = vboxTestMachine({ flags: { 'virtualbox-boot2docker-url': undefined } });
  t.after(() => m.cleanup());
  delete (m.ctx.config as { bootImage?: string }).bootImage;
  const cached = join(m.ctx.storePath, 'cache', 'tsos.iso');
  await assert.rejects(m.driver.preCreateCheck(), (e: TsmError) => refused(new RegExp(`boot image ${cached} does not exist`))(e) && /--virtualbox-boot2docker-url/.test(e.suggestion ?? ''));
  mkdirSync(join(m.ctx.storePath, 'cache'), { recursive: true });
  writeFileSync(cached, 'tsos');
  await m.driver.preCreateCheck();
  await m.driver.create();
  assert.equal(readFileSync(join(m.ctx.dir, 'boot.iso'), 'utf8'), 'tsos');
});

test('an http(s) boot image is downloaded once into the store cache; a failed download hides credentials', async (t) => {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/images/tsos.iso') res.end('downloaded ISO');
    else if (req.url === '/private/tsos.iso' && req.headers.authorization === `Basic ${Buffer.from('me:s3cret').toString('base64')}`) res.end('private ISO');
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const m = vboxTestMachine({ flags: { 'virtualbox-boot2docker-url': `${base}/images/tsos.iso` } });
  t.after(() => m.cleanup());
  await m.driver.preCreateCheck();
  await m.driver.preCreateCheck();
  await m.driver.create();
  assert.equal(hits, 1);
  assert.equal(readFileSync(join(m.ctx.dir, 'boot.iso'), 'utf8'), 'downloaded ISO');
  assert.ok(m.ctx.events.some((e) => e.kind === 'info' && e.message.includes(`${base}/images/tsos.iso`)));
  const auth = vboxTestMachine({ flags: { 'virtualbox-boot2docker-url': `http://me:s3cret@${base.slice(7)}/private/tsos.iso` } });
  t.after(() => auth.cleanup());
  await auth.driver.preCreateCheck();
  assert.ok(!auth.ctx.events.some((e) => 'message' in e && e.message.includes('s3cret')));
  const bad = vboxTestMachine({ flags: { 'virtualbox-boot2docker-url': `http://me:s3cret@127.0.0.1:${(server.address() as AddressInfo).port}/nope.iso?token=abc` } });
  t.after(() => bad.cleanup());
  await assert.rejects(bad.driver.preCreateCheck(), (e: Error) => refused(/could not download .*HTTP 404/)(e) && !/s3cret|token=abc/.test(e.message));
  assert.deepEqual(bad.fake.liveResources(), []);
});
