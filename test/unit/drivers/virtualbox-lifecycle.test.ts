/** virtualbox stop/start/kill/restart/state/ip over the fake VBoxManage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTsmError } from '../../../src/core/errors';
import { vboxTestMachine } from '../../helpers/fakes/vboxmanage-fake-harness';

async function created(t: { after(fn: () => void): void }, o: Parameters<typeof vboxTestMachine>[0] = {}) {
  const m = vboxTestMachine(o);
  t.after(() => m.cleanup());
  await m.driver.create();
  return m;
}

test('stop presses the ACPI power button and waits; no hard power-off when the guest obeys', async (t) => {
  const m = await created(t);
  const uuid = m.ctx.config.resources.vm!.uuid;
  await m.driver.stop();
  assert.equal(await m.driver.state(), 'Stopped');
  const calls = m.fake.calls();
  assert.ok(calls.includes(`controlvm ${uuid} acpipowerbutton`));
  assert.ok(!calls.includes(`controlvm ${uuid} poweroff`));
  await m.driver.stop();
  assert.equal(calls.length + 1, m.fake.calls().length, 'stopping a stopped VM only looks at it');
});

test('stop powers the VM off when the guest ignores ACPI, with a warning', async (t) => {
  const m = await created(t, { fake: { setup: (s) => void (s.behaviour.ignoreAcpi = true) }, timeouts: { stopMs: 20 } });
  await m.driver.stop();
  assert.equal(await m.driver.state(), 'Stopped');
  assert.ok(m.fake.calls().includes(`controlvm ${m.ctx.config.resources.vm!.uuid} poweroff`));
  assert.ok(m.ctx.events.some((e) => e.kind === 'warn' && /did not shut down .*powering it off/.test(e.message)));
});

test('kill is controlvm poweroff; killing a stopped VM does nothing', async (t) => {
  const m = await created(t);
  await m.driver.kill();
  assert.equal(await m.driver.state(), 'Stopped');
  const n = m.fake.calls().length;
  await m.driver.kill();
  assert.deepEqual(m.fake.calls().slice(n).map((c) => c.split(' ')[0]), ['showvminfo']);
});

test('start after the host-only interface vanished re-creates it, re-points NIC 2 and finds the address', async (t) => {
  const m = await created(t);
  await m.driver.stop();
  await m.fake.exec('VBoxManage', ['dhcpserver', 'remove', '--network', 'HostInterfaceNetworking-vboxnet0']);
  await m.fake.exec('VBoxManage', ['hostonlyif', 'remove', 'vboxnet0']);
  m.fake.update((s) => s.hostOnlyIfs.push({ name: 'vboxnet0', guid: 'x', ip: '192.168.60.1', netmask: '255.255.255.0', mac: '0a:00:27:00:00:00', status: 'Up' }));
  await m.driver.start();
  assert.equal(await m.driver.state(), 'Running');
  const s = m.fake.state();
  assert.deepEqual(s.hostOnlyIfs.map((h) => [h.name, h.ip]), [['vboxnet0', '192.168.60.1'], ['vboxnet1', '192.168.56.1']]);
  assert.equal(s.vms[0].nics['2'].hostOnlyAdapter, 'vboxnet1');
  assert.deepEqual(m.ctx.config.resources.hostOnlyIf, { name: 'vboxnet1', created: true });
  assert.equal(m.ctx.config.ip, '192.168.56.101');
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), ['hostonlyif:vboxnet0'], 'the foreign vboxnet0 stays');
});

test('start moves the SSH forward to a new port when the old one is taken', async (t) => {
  let taken = 0;
  const m = await created(t, { host: { portFree: async (p) => p !== taken } });
  const old = m.ctx.config.sshPort!;
  await m.driver.stop();
  taken = old;
  await m.driver.start();
  const port = m.ctx.config.sshPort!;
  assert.notEqual(port, old);
  assert.deepEqual(m.fake.state().vms[0].natpf, [`ssh,tcp,127.0.0.1,${port},,22`]);
  assert.equal((await m.driver.sshEndpoint()).port, port);
});

test('a paused VM: start resumes it, stop resumes then shuts it down', async (t) => {
  const m = await created(t);
  const uuid = m.ctx.config.resources.vm!.uuid;
  await m.fake.exec('VBoxManage', ['controlvm', uuid, 'pause']);
  assert.equal(await m.driver.state(), 'Paused');
  await m.driver.start();
  assert.equal(await m.driver.state(), 'Running');
  await m.fake.exec('VBoxManage', ['controlvm', uuid, 'pause']);
  await m.driver.stop();
  assert.equal(await m.driver.state(), 'Stopped');
});

test('restart is stop then start; the address is looked up again', async (t) => {
  const m = await created(t);
  m.ctx.config.ip = '192.0.2.1';
  await m.driver.restart();
  assert.equal(await m.driver.state(), 'Running');
  assert.equal(m.ctx.config.ip, '192.168.56.101');
});

test('state: None before create, Saved and Error as VirtualBox reports; ip() refuses a stopped VM', async (t) => {
  const m = vboxTestMachine();
  t.after(() => m.cleanup());
  assert.equal(await m.driver.state(), 'None');
  await m.driver.create();
  await m.driver.kill();
  await assert.rejects(m.driver.ip(), (e: Error) => isTsmError(e, 'MACHINE_NOT_RUNNING'));
  m.fake.update((s) => void (s.vms[0].state = 'saved'));
  assert.equal(await m.driver.state(), 'Saved');
  m.fake.update((s) => void (s.vms = []));
  assert.equal(await m.driver.state(), 'Error');
  await assert.rejects(m.driver.start(), (e: Error) => isTsmError(e, 'MACHINE_NOT_FOUND') && /no longer registered/.test(e.message));
});

test('a VM that cannot start for lack of VT-x says so (read from VBox.log)', async (t) => {
  const m = vboxTestMachine({ fake: { setup: (s) => void (s.behaviour.noVtx = true) } });
  t.after(() => m.cleanup());
  await assert.rejects(m.driver.create(), (e: Error) => isTsmError(e, 'DRIVER_ERROR') && /could not start .*VT-x is not available.*hardware virtualization VT-x\/AMD-V is not available/.test(e.message));
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), []);
});

test('an interrupt while waiting for the address stops create; remove still cleans up', async (t) => {
  const ac = new AbortController();
  const m = vboxTestMachine({ signal: ac.signal, fake: { setup: (s) => void (s.behaviour.bootPolls = 1000) } });
  t.after(() => m.cleanup());
  m.fake.onCall('showvminfo', () => ac.abort(new Error('Ctrl-C')));
  await assert.rejects(m.driver.create(), (e: Error) => isTsmError(e, 'ABORTED'));
  assert.equal(m.fake.state().vms[0].state, 'running');
  await m.driver.remove();
  assert.deepEqual(m.fake.liveResources(), []);
});
