/**
 * One conformance suite for every driver, run against a stateful fake provider behind the
 * driver's api.ts. A driver's test file calls `runDriverConformance({...})` with a factory.
 *
 * What it checks (issue: cloud drivers):
 *  - preCreateCheck rejects bad credentials and bad flags (region/size/...) creating nothing
 *  - create -> Running with an IP; stop -> Stopped; start -> Running; kill -> Stopped;
 *    restart -> Running; remove -> no resources; a second remove is fine
 *  - a failure injected at each creation call leaves zero resources after remove (rollback)
 *  - an interrupt (AbortSignal) at each creation call leaves zero resources after remove
 *  - remove deletes only what the machine created (a resource made outside survives)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Driver, DriverContext, DriverDefinition, FlagValues } from '../../../src/drivers/driver';
import { makeDriverContext, type TestDriverContext } from '../driver-context';

/** What the suite needs from a driver's stateful fake provider. */
export interface ConformanceFake {
  /** Every live resource the fake provider holds, as "kind:id" (sorted or not). */
  liveResources(): string[];
  /**
   * The provider calls that create something, named as the fake names them (e.g.
   * "CreateSecurityGroup", "RunInstances"), in the order create() makes them on a fresh account.
   */
  readonly creationCalls: readonly string[];
  /** Makes the next call named `call` fail with a provider-like error. */
  failOn(call: string): void;
  /** Runs `hook` (once) when `call` is made, after the fake carried it out. */
  onCall(call: string, hook: () => void): void;
  /** Makes every call fail as the provider does for bad credentials. */
  rejectCredentials(): void;
  /** Creates a resource outside tsmachine (e.g. another instance) and returns its "kind:id". */
  createForeignResource(): string;
}

export interface ConformanceSubject<C, F extends ConformanceFake> {
  /** Driver name, used in test titles. */
  name: string;
  definition: DriverDefinition<C>;
  /** Flags that make a valid config for this fake account. */
  validFlags: FlagValues;
  /** Flag sets that preCreateCheck (or configFromFlags) must refuse, each naming a flag it mentions. */
  badFlags: Array<{ flags: FlagValues; mentions: RegExp }>;
  newFake(): F;
  /** Builds the driver over the fake (inject fast sleeps/polls here). */
  makeDriver(ctx: DriverContext<C>, fake: F): Driver;
}

function setup<C, F extends ConformanceFake>(s: ConformanceSubject<C, F>, flags: FlagValues, signal?: AbortSignal) {
  const { config, problems } = s.definition.configFromFlags(flags);
  assert.deepEqual(problems, [], 'validFlags must make a valid config');
  const fake = s.newFake();
  const ctx: TestDriverContext<C> = makeDriverContext({ name: `conf-${s.name}`, config, signal });
  return { fake, ctx, driver: s.makeDriver(ctx, fake) };
}

export function runDriverConformance<C, F extends ConformanceFake>(s: ConformanceSubject<C, F>): void {
  test(`${s.name} conformance: lifecycle create -> stop -> start -> kill -> restart -> remove twice`, async () => {
    const { fake, ctx, driver } = setup(s, s.validFlags);
    try {
      await driver.preCreateCheck();
      assert.deepEqual(fake.liveResources(), [], 'preCreateCheck creates nothing');
      await driver.create();
      assert.equal(await driver.state(), 'Running');
      assert.match(await driver.ip(), /^[0-9a-f.:]+$/i);
      assert.ok((await driver.addresses()).includes(await driver.ip()));
      const ssh = await driver.sshEndpoint();
      assert.ok(ssh.user && ssh.port > 0 && ssh.host);
      await driver.stop();
      assert.equal(await driver.state(), 'Stopped');
      await driver.start();
      assert.equal(await driver.state(), 'Running');
      await driver.kill();
      assert.equal(await driver.state(), 'Stopped');
      await driver.restart();
      assert.equal(await driver.state(), 'Running');
      await driver.remove();
      assert.deepEqual(fake.liveResources(), [], 'remove deletes everything the machine created');
      await driver.remove();
      assert.notEqual(await driver.state(), 'Running');
    } finally {
      ctx.cleanup();
    }
  });

  test(`${s.name} conformance: remove deletes only what the machine created`, async () => {
    const { fake, ctx, driver } = setup(s, s.validFlags);
    try {
      const foreign = fake.createForeignResource();
      await driver.create();
      await driver.remove();
      assert.deepEqual(fake.liveResources(), [foreign]);
    } finally {
      ctx.cleanup();
    }
  });

  test(`${s.name} conformance: bad credentials are refused before anything is created`, async () => {
    const { fake, ctx, driver } = setup(s, s.validFlags);
    try {
      fake.rejectCredentials();
      await assert.rejects(driver.preCreateCheck(), (e: Error) => /credential|token|auth|key/i.test(e.message));
      assert.deepEqual(fake.liveResources(), []);
    } finally {
      ctx.cleanup();
    }
  });

  for (const [i, bad] of s.badFlags.entries()) {
    test(`${s.name} conformance: bad flags #${i + 1} are refused before anything is created (${bad.mentions})`, async () => {
      const { config, problems } = s.definition.configFromFlags({ ...s.validFlags, ...bad.flags });
      if (problems.length > 0) {
        assert.ok(problems.some((p) => bad.mentions.test(`${p.field} ${p.message}`)), JSON.stringify(problems));
        return;
      }
      const fake = s.newFake();
      const ctx = makeDriverContext({ name: `conf-${s.name}`, config });
      try {
        await assert.rejects(s.makeDriver(ctx, fake).preCreateCheck(), (e: Error) => bad.mentions.test(e.message));
        assert.deepEqual(fake.liveResources(), []);
      } finally {
        ctx.cleanup();
      }
    });
  }

  const calls = s.newFake().creationCalls;
  for (const call of calls) {
    test(`${s.name} conformance: a failure at ${call} is rolled back completely`, async () => {
      const { fake, ctx, driver } = setup(s, s.validFlags);
      try {
        fake.failOn(call);
        await assert.rejects(driver.create());
        await driver.remove();
        assert.deepEqual(fake.liveResources(), []);
      } finally {
        ctx.cleanup();
      }
    });

    test(`${s.name} conformance: an interrupt at ${call} is rolled back completely`, async () => {
      const ac = new AbortController();
      const { fake, ctx, driver } = setup(s, s.validFlags, ac.signal);
      try {
        fake.onCall(call, () => ac.abort(new Error('interrupted')));
        await driver.create().catch(() => undefined);
        await driver.remove();
        assert.deepEqual(fake.liveResources(), []);
      } finally {
        ctx.cleanup();
      }
    });
  }
}
