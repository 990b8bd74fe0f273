/**
 * Benchmark: tsagent side by side with Docker Engine (Debian's docker.io: dockerd + containerd +
 * containerd-shim-runc-v2), both private to this run (see bench/engines.ts), both driven by the
 * same docker CLI over a unix socket, both running the same busybox image (imported from one tar)
 * with `--network none`. Each round starts a fresh engine of each kind (the order alternates);
 * the table gives the median over the rounds and the ratio tsagent / dockerd (< 1: tsagent is
 * faster or smaller). No timed assertion: it prints numbers.
 *
 * Rows:
 *   run --rm          `docker run --rm --network none bb true`, median of BENCH_RUNS after one warm-up
 *   20 parallel -d    20 `docker run -d --network none bb sleep 600` started at once, wall time
 *   engine RSS idle   RSS of the engine right after start and the image import (dockerd: + containerd)
 *   engine PSS idle   the same as PSS (shared pages split)
 *   monitor PSS       with the 20 sleep containers running: PSS per container of its monitor
 *                     process (conmon | containerd-shim-runc-v2), from /proc/PID/smaps_rollup
 *   engine RSS busy   engine RSS with the 20 containers running
 *   rm -f 20          `docker rm -f` of the 20 containers, wall time
 *
 * Env: BENCH_ROUNDS (3), BENCH_RUNS (10), BENCH_PARALLEL (20).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxRootfs } from '../test/helpers/busybox-rootfs';
import { loadavg, median, pssKiB, rssKiB, startDockerd, startTsagent, type Engine } from './engines';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 20);

type Row = 'run --rm (ms)' | `${number} parallel run -d (ms)` | 'engine RSS idle (MiB)' | 'engine PSS idle (MiB)' | 'monitor PSS / container (KiB)' | 'monitor RSS / container (KiB)' | 'engine RSS busy (MiB)' | `rm -f ${number} (ms)`;
type Results = Map<string, { tsagent: number[]; dockerd: number[] }>;

async function ok(p: Promise<{ code: number; stderr: string; stdout: string }>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(e: Engine, image: Buffer, record: (row: Row, v: number) => void): Promise<void> {
  await ok(e.docker(['import', '-', 'bb'], { input: image, timeoutMs: 120_000 }), `${e.name}: import`);
  await settle(1000);
  const idle = e.enginePids();
  if (idle.length !== (e.name === 'dockerd' ? 2 : 1)) throw new Error(`${e.name}: engine processes not found (got ${idle.length} PIDs)`);
  record('engine RSS idle (MiB)', sum(idle.map(rssKiB)) / 1024);
  record('engine PSS idle (MiB)', sum(idle.map(pssKiB)) / 1024);

  await ok(e.docker(['run', '--rm', '--network', 'none', 'bb', 'true']), `${e.name}: warm-up run`);
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await ok(e.docker(['run', '--rm', '--network', 'none', 'bb', 'true']), `${e.name}: run --rm`);
    runs.push(performance.now() - t);
  }
  record('run --rm (ms)', median(runs));

  const t = performance.now();
  const ids = await Promise.all(Array.from({ length: PARALLEL }, () => ok(e.docker(['run', '-d', '--network', 'none', 'bb', 'sleep', '600'], { timeoutMs: 180_000 }), `${e.name}: run -d`)));
  record(`${PARALLEL} parallel run -d (ms)`, performance.now() - t);
  const running = (await ok(e.docker(['ps', '-q']), `${e.name}: ps`)).split('\n').filter(Boolean).length;
  if (running !== PARALLEL) throw new Error(`${e.name}: ${running} containers running, expected ${PARALLEL}`);
  await settle(1000);
  const shims = e.shimPids();
  if (shims.length !== PARALLEL) throw new Error(`${e.name}: ${shims.length} monitor processes for ${PARALLEL} containers`);
  record('monitor PSS / container (KiB)', sum(shims.map(pssKiB)) / PARALLEL);
  record('monitor RSS / container (KiB)', sum(shims.map(rssKiB)) / PARALLEL);
  record('engine RSS busy (MiB)', sum(e.enginePids().map(rssKiB)) / 1024);

  const t2 = performance.now();
  await ok(e.docker(['rm', '-f', ...ids.map((s) => s.trim())], { timeoutMs: 180_000 }), `${e.name}: rm -f`);
  record(`rm -f ${PARALLEL} (ms)`, performance.now() - t2);
}

async function main(): Promise<void> {
  const rootfs = mkdtempSync(join(tmpdir(), 'tsm-bench-rootfs-'));
  let image: Buffer;
  try {
    image = await buildBusyboxRootfs(rootfs);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  const results: Results = new Map();
  const loads: string[] = [];
  console.log(`busybox image ${(image.length / 1e6).toFixed(1)} MB; ${ROUNDS} rounds, ${RUNS} runs of run --rm per round, ${PARALLEL} parallel containers`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [startTsagent, startDockerd] : [startDockerd, startTsagent];
    for (const start of order) {
      const e = await start();
      const before = loadavg();
      try {
        await measure(e, image, (row, v) => {
          const r = results.get(row) ?? { tsagent: [], dockerd: [] };
          r[e.name].push(v);
          results.set(row, r);
        });
      } finally {
        const left = await e.stop();
        if (left.length) console.error(`${e.name}: cleaned up by force: ${left.join('; ')}`);
      }
      loads.push(`${e.name} round ${round + 1}: load ${before} -> ${loadavg()}`);
      console.log(loads[loads.length - 1]);
    }
  }
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  console.log('\n| measure | tsagent (rounds) | dockerd (rounds) | tsagent median | dockerd median | tsagent / dockerd |');
  console.log('|---|---|---|---|---|---|');
  for (const [row, r] of results) {
    const ts = median(r.tsagent);
    const dd = median(r.dockerd);
    console.log(`| ${row} | ${r.tsagent.map(f).join(', ')} | ${r.dockerd.map(f).join(', ')} | ${f(ts)} | ${f(dd)} | ${(ts / dd).toFixed(2)} |`);
  }
  console.log('\nengine: tsagent = node process; dockerd = dockerd + containerd. monitor: conmon | containerd-shim-runc-v2.');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
