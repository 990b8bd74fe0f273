/**
 * The fake VBoxManage as a real program (a `VBoxManage` script running the compiled fake with its
 * state in a JSON file), driven through hostExec: its answers and exit codes, and a lifecycle with
 * the driver as the CLI builds it (definition.create, TSMACHINE_VBOXMANAGE, the real host).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostExec } from '../../../src/core/exec';
import { definition } from '../../../src/drivers/virtualbox';
import { makeDriverContext } from '../../helpers/driver-context';
import { VBoxManageFake, vboxTestMachine } from '../../helpers/fakes/vboxmanage-fake-harness';

test('the fake program answers like VBoxManage: outputs, error texts, exit codes', async (t) => {
  const fake = new VBoxManageFake({ spawn: true });
  t.after(() => fake.cleanup());
  const run = (...args: string[]) => hostExec(fake.command, args, { allowFailure: true });
  assert.deepEqual(await run('--version'), { code: 0, stdout: '7.0.20r163906\n', stderr: '' });
  const missing = await run('showvminfo', 'nope', '--machinereadable');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^VBoxManage: error: Could not find a registered machine named 'nope'\nVBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND/);
  const created = await run('createvm', '--name', 'x', '--basefolder', `${fake.command}-vms`, '--register');
  assert.match(created.stdout, /^Virtual machine 'x' is created and registered\.\nUUID: [0-9a-f-]{36}\nSettings file: '.*\/x\/x\.vbox'\n$/);
  assert.match((await run('list', 'vms')).stdout, /^"x" \{[0-9a-f-]{36}\}\n$/);
  assert.match((await run('showvminfo', 'x', '--machinereadable')).stdout, /^name="x"\n[\s\S]*VMState="poweroff"\n/);
  const notRunning = await run('controlvm', 'x', 'poweroff');
  assert.deepEqual([notRunning.code, notRunning.stderr], [1, "VBoxManage: error: Machine 'x' is not currently running\n"]);
  assert.equal((await run('guestproperty', 'get', 'x', '/VirtualBox/GuestInfo/Net/Count')).stdout, 'No value set!\n');
  assert.match((await run('hostonlyif', 'create')).stdout, /^Interface 'vboxnet0' was successfully created\n$/);
  assert.match((await run('list', 'hostonlyifs')).stdout, /^Name:            vboxnet0\nGUID: [\s\S]*VBoxNetworkName: HostInterfaceNetworking-vboxnet0\n/);
  assert.equal((await run('frobnicate')).code, 2);
  assert.equal((await run('unregistervm', 'x', '--delete')).code, 0);
  assert.deepEqual(fake.liveResources(), ['hostonlyif:vboxnet0']);
});

test('a lifecycle through the fake program, with the driver built as the CLI does (TSMACHINE_VBOXMANAGE, real host)', async (t) => {
  const fake = new VBoxManageFake({ spawn: true, setup: (s) => void (s.behaviour.bootPolls = 1) });
  const m = vboxTestMachine();
  const { config, problems } = definition.configFromFlags({ 'virtualbox-boot2docker-url': m.iso, 'virtualbox-no-share': true, 'virtualbox-no-vtx-check': true });
  assert.deepEqual(problems, []);
  const ctx = makeDriverContext({ name: 'cli-built', config, exec: hostExec });
  const saved = process.env.TSMACHINE_VBOXMANAGE;
  t.after(() => {
    if (saved === undefined) delete process.env.TSMACHINE_VBOXMANAGE;
    else process.env.TSMACHINE_VBOXMANAGE = saved;
    ctx.cleanup();
    m.cleanup();
    fake.cleanup();
  });
  process.env.TSMACHINE_VBOXMANAGE = fake.command;
  const driver = definition.create(ctx);
  await driver.preCreateCheck();
  await driver.create();
  const ssh = await driver.sshEndpoint();
  assert.equal(ssh.host, '127.0.0.1');
  assert.ok(ssh.port > 1024);
  assert.equal(ssh.user, 'docker');
  assert.equal(await driver.ip(), '192.168.56.101');
  await driver.stop();
  assert.equal(await driver.state(), 'Stopped');
  await driver.start();
  assert.equal(await driver.state(), 'Running');
  await driver.kill();
  assert.equal(await driver.state(), 'Stopped');
  await driver.remove();
  await driver.remove();
  assert.deepEqual(fake.liveResources(), []);
});
