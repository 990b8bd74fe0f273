import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleReclaimer } from '../../../src/agent/util/idle-gc';

test('one collection once requests stop coming, none while they keep coming, none when idle', async () => {
  let collections = 0;
  const r = new IdleReclaimer(60, () => collections++);
  try {
    for (let i = 0; i < 6; i++) {
      r.touch();
      await sleep(20);
    }
    assert.equal(collections, 0, 'still busy: each request pushes the collection back');
    await sleep(150);
    assert.equal(collections, 1, 'one collection after the burst');
    await sleep(150);
    assert.equal(collections, 1, 'nothing new, no collection');
    r.touch();
    await sleep(150);
    assert.equal(collections, 2);
  } finally {
    r.stop();
  }
});

test('the real gc is reachable without --expose-gc on the command line, and frees garbage', async () => {
  const r = new IdleReclaimer(10);
  let junk: Buffer[] | undefined = Array.from({ length: 64 }, () => Buffer.alloc(256 * 1024, 1));
  const ref = new WeakRef(junk);
  junk = undefined;
  r.touch();
  await sleep(100);
  assert.equal(r.runs, 1);
  assert.equal(ref.deref(), undefined, 'the garbage was collected');
  r.stop();
});
