// RefusedLayers: what it remembers of refused layers and removed images, how much, across a
// restart, and that refusals run one at a time. (The refusal itself runs against a real agent in
// test/integration/agent/registry-hostile.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RefusedLayers } from '../../../src/agent/images/layer-refusal';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

test('RefusedLayers: a refusal is of one blob as one diff ID; the oldest are forgotten past 1000', () => {
  const r = new RefusedLayers();
  r.addLayer(digest(1), digest(2), { code: 'DIFF_ID_MISMATCH', reason: 'layer x failed verification' });
  assert.deepEqual(r.layer(digest(1), digest(2)), { code: 'DIFF_ID_MISMATCH', reason: 'layer x failed verification' });
  assert.equal(r.layer(digest(1), digest(3)), undefined, 'the same blob as another diff ID is another question');
  assert.equal(r.anyLayer(digest(1)), true);
  assert.equal(r.anyLayer(digest(2)), false, 'a diff ID is not a refused blob');
  r.addImage(digest(9), 'why');
  assert.equal(r.image(digest(9)), 'why');
  for (let i = 10; i < 1009; i++) r.addLayer(digest(i), digest(2), { code: 'LAYER_INVALID', reason: `${i}` });
  assert.ok(r.layer(digest(1), digest(2)), '1000 are kept');
  r.addLayer(digest(1), digest(2), { code: 'DIFF_ID_MISMATCH', reason: 'again' }); // refreshed: now the newest
  r.addLayer(digest(2000), digest(2), { code: 'LAYER_INVALID', reason: 'new' });
  assert.equal(r.layer(digest(10), digest(2)), undefined, 'the oldest went');
  assert.equal(r.layer(digest(1), digest(2))?.reason, 'again');
  assert.equal(r.layer(digest(2000), digest(2))?.reason, 'new');
});

test('RefusedLayers: refusals run one at a time, and settled() waits for the ones in progress', async () => {
  const r = new RefusedLayers();
  const order: string[] = [];
  let release!: () => void;
  const first = r.run(async () => { order.push('first begins'); await new Promise<void>((res) => { release = res; }); order.push('first ends'); });
  const second = r.run(async () => { order.push('second'); });
  const settled = r.settled().then(() => order.push('settled'));
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(order, ['first begins']);
  release();
  await Promise.all([first, second, settled]);
  assert.deepEqual(order, ['first begins', 'first ends', 'second', 'settled']);
});

test('RefusedLayers: layer refusals outlive a restart (the file), why an image was removed does not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsa-refused-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'refused-layers.json');
  const r = new RefusedLayers(file);
  await r.init();
  await r.addLayer(digest(1), digest(2), { code: 'LAYER_INVALID', reason: 'not a tar' });
  await r.addLayer(digest(3), digest(4), { code: 'DIFF_ID_MISMATCH', reason: 'hashes to something else' });
  r.addImage(digest(9), 'why');
  const again = new RefusedLayers(file);
  await again.init();
  assert.deepEqual(again.layer(digest(1), digest(2)), { code: 'LAYER_INVALID', reason: 'not a tar' });
  assert.deepEqual(again.layer(digest(3), digest(4)), { code: 'DIFF_ID_MISMATCH', reason: 'hashes to something else' });
  assert.equal(again.image(digest(9)), undefined);
  assert.deepEqual(readdirSync(dir), ['refused-layers.json'], 'written through a temp file, none left');
});
