/** The create pipeline's rollback, driven by a fake driver that records what exists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine, type CreateOptions } from '../../../src/core/create';
import { Store } from '../../../src/core/store';
import { emptyEngineOptions } from '../../../src/core/machine';
import type { Driver, DriverDefinition, MachineState } from '../../../src/drivers/driver';
import { isTsmError } from '../../../src/core/errors';

type Step = 'preCreateCheck' | 'create' | 'none';

/** A provider with resources that exist until removed; fails at a chosen step. */
function fakeProvider(failAt: Step, sshPort: number) {
  const resources = new Set<string>();
  const calls: string[] = [];
  const definition: DriverDefinition<{ n: number }> = {
    name: 'fake',
    description: 'fake',
    flags: [],
    configFromFlags: () => ({ config: { n: 1 }, problems: [] }),
    create: (ctx): Driver => ({
      async preCreateCheck() {
        calls.push('preCreateCheck');
        if (failAt === 'preCreateCheck') throw new Error('bad credentials');
      },
      async create() {
        calls.push('create');
        resources.add('vm');
        await ctx.save();
        if (failAt === 'create') throw new Error('quota exceeded');
        resources.add('ip');
      },
      async remove() {
        calls.push('remove');
        // Like a cloud driver whose remove waits for deletion with ctx.signal: an aborted
        // signal would stop it at once, leaking what was made.
        if (ctx.signal?.aborted) throw new Error('remove ran with an aborted signal');
        resources.clear();
      },
      start: async () => undefined,
      stop: async () => undefined,
      restart: async () => undefined,
      kill: async () => undefined,
      state: async (): Promise<MachineState> => (resources.has('vm') ? 'Running' : 'None'),
      ip: async () => '127.0.0.1',
      addresses: async () => ['127.0.0.1'],
      sshEndpoint: async () => ({ host: '127.0.0.1', port: sshPort, user: 'root', privateKeyPath: ctx.sshKeyPath }),
    }),
  };
  return { definition, resources, calls };
}

function options(definition: DriverDefinition<any>, extra: Partial<CreateOptions> = {}): CreateOptions {
  return {
    name: 'm1',
    driver: 'fake',
    definition,
    driverFlags: {},
    engine: { kind: 'tsagent', port: 2376, options: emptyEngineOptions() },
    extraSans: [],
    sshTimeoutMs: 300,
    ...extra,
  };
}

const tmpStore = () => {
  const root = mkdtempSync(join(tmpdir(), 'tsm-create-'));
  return { store: new Store(root), root, done: () => rmSync(root, { recursive: true, force: true }) };
};

for (const failAt of ['preCreateCheck', 'create'] as const) {
  test(`a failure in ${failAt} leaves no resource and frees the name`, async () => {
    const { store, done } = tmpStore();
    try {
      const p = fakeProvider(failAt, 1);
      await assert.rejects(createMachine(store, options(p.definition)));
      assert.equal(p.resources.size, 0);
      assert.equal(await store.exists('m1'), false);
      assert.equal(existsSync(store.machineDir('m1')), false);
      if (failAt === 'preCreateCheck') assert.deepEqual(p.calls, ['preCreateCheck']);
      else assert.deepEqual(p.calls, ['preCreateCheck', 'create', 'remove']);
    } finally {
      done();
    }
  });
}

test('a host that never answers SSH times out with the reason, and is rolled back', async () => {
  const { store, done } = tmpStore();
  try {
    const p = fakeProvider('none', 9); // nothing listens on port 9 (discard) here
    await assert.rejects(createMachine(store, options(p.definition)), (e) => isTsmError(e, 'TIMEOUT') && /SSH on root@127\.0\.0\.1:9/.test(e.message));
    assert.equal(p.resources.size, 0);
    assert.equal(await store.exists('m1'), false);
  } finally {
    done();
  }
});

test('an abort (Ctrl-C) during create rolls back', async () => {
  const { store, done } = tmpStore();
  try {
    const p = fakeProvider('none', 9);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('interrupted')), 100);
    await assert.rejects(createMachine(store, options(p.definition, { signal: ac.signal, sshTimeoutMs: 30_000 })), (e) => isTsmError(e, 'ABORTED'));
    assert.equal(p.resources.size, 0);
    assert.equal(await store.exists('m1'), false);
  } finally {
    done();
  }
});

test('--keep-on-failure keeps the machine and its record', async () => {
  const { store, done } = tmpStore();
  try {
    const p = fakeProvider('create', 1);
    await assert.rejects(createMachine(store, options(p.definition, { keepOnFailure: true })));
    assert.ok(p.resources.has('vm'));
    assert.equal(await store.exists('m1'), true);
  } finally {
    done();
  }
});

test('a retry after a failure works with the same name', async () => {
  const { store, done } = tmpStore();
  try {
    await assert.rejects(createMachine(store, options(fakeProvider('create', 1).definition)));
    const p2 = fakeProvider('preCreateCheck', 1);
    await assert.rejects(createMachine(store, options(p2.definition)), /bad credentials/);
    assert.deepEqual(readdirSync(join(store.root, 'machines')).filter((n) => !n.startsWith('.')), []);
  } finally {
    done();
  }
});

test('every problem is reported at once and nothing is reserved', async () => {
  const { store, done } = tmpStore();
  try {
    const p = fakeProvider('none', 1);
    const engine = { kind: 'tsagent' as const, port: 2376, options: { ...emptyEngineOptions(), labels: ['novalue'], env: ['X'] } };
    await assert.rejects(createMachine(store, options(p.definition, { name: 'bad name', engine })), (e) => {
      assert.ok(isTsmError(e, 'INVALID_NAME'));
      assert.deepEqual(e.problems.map((x) => x.field).sort(), ['--engine-env', '--engine-label', 'name']);
      return true;
    });
    assert.equal(existsSync(join(store.root, 'machines')), false);
    assert.deepEqual(p.calls, []);
  } finally {
    done();
  }
});
