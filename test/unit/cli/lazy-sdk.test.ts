/** Loading a cloud SDK must not slow down commands that do not use it (drivers load lazily). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, BIN } from '../../helpers/cli';

const spy = join(__dirname, '..', '..', 'helpers', 'sdk-load-spy.js');

async function sdksLoadedBy(args: string[]): Promise<string[]> {
  const store = mkdtempSync(join(tmpdir(), 'tsm-lazy-'));
  try {
    const r = await run(process.execPath, ['--require', spy, BIN, ...args], { env: { ...process.env, TSMACHINE_STORAGE_PATH: store } });
    const m = /SDKS-LOADED: (.*)$/m.exec(r.stderr);
    assert.ok(m, `no spy output: ${r.stderr}`);
    return JSON.parse(m[1]);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

for (const args of [['ls'], ['env', '--shell', 'bash', 'nosuch'], ['create', '--help'], ['status', 'nosuch']]) {
  test(`"tsmachine ${args.join(' ')}" loads no cloud SDK`, async () => {
    assert.deepEqual(await sdksLoadedBy(args), []);
  });
}

test('the spy does see an SDK when one is loaded (the check can fail)', async () => {
  const r = await run(process.execPath, ['--require', spy, '-e', "require('digitalocean-js')"]);
  assert.match(r.stderr, /SDKS-LOADED: \["digitalocean-js"\]/);
});
