/**
 * Benchmark: `tsmachine create` on the local driver until the first `docker run --rm` returns,
 * repeated a few times (each run removes its machine). Prints each phase and the median.
 * There is no peer to run side by side for this figure (docker-machine needs a VM or a cloud);
 * the target is an absolute one: under 5 s from create to a working `docker run`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsm, run, parseBashExports } from '../test/helpers/cli';
import { buildBusyboxRootfs } from '../test/helpers/busybox-rootfs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function once(store: string, name: string, image: Buffer): Promise<{ create: number; env: number; importMs: number; run: number; total: number }> {
  const t0 = performance.now();
  const c = await tsm(store, ['create', name], { timeoutMs: 120_000 });
  if (c.code !== 0) throw new Error(`create failed: ${c.stderr}`);
  const t1 = performance.now();
  const env = parseBashExports((await tsm(store, ['env', name, '--shell', 'bash'])).stdout);
  const t2 = performance.now();
  const denv = { ...process.env, ...env };
  const imp = await run('docker', ['import', '-', 'bb'], { env: denv, input: image });
  if (imp.code !== 0) throw new Error(`import failed: ${imp.stderr}`);
  const t3 = performance.now();
  const r = await run('docker', ['run', '--rm', 'bb', 'true'], { env: denv });
  if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
  const t4 = performance.now();
  await tsm(store, ['rm', '-y', name]);
  return { create: t1 - t0, env: t2 - t1, importMs: t3 - t2, run: t4 - t3, total: t4 - t0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const store = mkdtempSync(join(tmpdir(), 'tsm-bench-'));
  const rootfs = mkdtempSync(join(tmpdir(), 'tsm-bench-rootfs-'));
  try {
    const image = await buildBusyboxRootfs(rootfs);
    const results = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await once(store, `bench${process.pid}x${i}`, image);
      results.push(r);
      console.log(
        `run ${i + 1}: create ${r.create.toFixed(0)} ms, env ${r.env.toFixed(0)} ms, import ${r.importMs.toFixed(0)} ms, ` +
          `docker run --rm ${r.run.toFixed(0)} ms, total ${r.total.toFixed(0)} ms`,
      );
    }
    const createToRun = results.map((r) => r.create + r.env + r.run);
    console.log(`median create -> env -> first docker run (image import excluded): ${median(createToRun).toFixed(0)} ms (target < 5000 ms)`);
    console.log(`median including the image import: ${median(results.map((r) => r.total)).toFixed(0)} ms`);
  } finally {
    rmSync(store, { recursive: true, force: true });
    rmSync(rootfs, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
