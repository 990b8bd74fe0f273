/**
 * Where a tsagent pull spends its time: pushes the pull-push benchmark's ~50 MB two-layer image
 * into a local registry, then pulls it BENCH_RUNS times into fresh agents (with --debug, so the
 * agent logs each layer's download and extraction times) and prints those phases; with
 * PROFILE=1 the agent runs under --cpu-prof and the top functions by self time are printed.
 *
 *   node dist/bench/pull-profile.js          # phases
 *   PROFILE=1 node dist/bench/pull-profile.js
 *   BENCH_AGENT_BUNDLE=/tmp/old-tsagent.js node dist/bench/pull-profile.js   # another build
 *   BENCH_AB=/tmp/old-tsagent.js node dist/bench/pull-profile.js   # alternates (ABBA): this build, that one
 *   BENCH_AB_ENV=UV_THREADPOOL_SIZE=16 node dist/bench/pull-profile.js   # alternates: without, with
 *   RUN_AFTER=1 node dist/bench/pull-profile.js   # and a `docker run` right after each pull
 *   WARM=1 node dist/bench/pull-profile.js   # each agent pulls and removes the image first
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { processesMentioning } from '../test/integration/agent/harness';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentHarness } from '../test/integration/agent/harness';
import { TestRegistry } from '../test/helpers/registry';
import { OciLayout, busyboxTar, skopeoPush } from '../test/helpers/registry-images';
import { createHarness, dataLayer, loadavg, median } from './engines';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PROFILE = process.env.PROFILE === '1';
/** RUN_AFTER=1: `docker run --rm IMAGE true` right after each pull (waits for the layers to unpack). */
const RUN_AFTER = process.env.RUN_AFTER === '1';
/** WARM=1: time a pull into an emptied store of an agent that has pulled (and removed) the image once. */
const WARM = process.env.WARM === '1';
const DATA_MB = Number(process.env.BENCH_DATA_MB ?? 48);

class ProfiledAgent extends AgentHarness {
  profDir = '';
  bundle = process.env.BENCH_AGENT_BUNDLE;
  override agentArgs(extra: string[] = []): string[] {
    const args = super.agentArgs(extra);
    // BENCH_AGENT_BUNDLE: another build of the agent (A/B runs against a saved bundle).
    if (this.bundle) args[0] = this.bundle;
    return PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${this.profDir}`, ...args] : args;
  }
}


/** CPU time (ms) a process's threads have used, by thread name, from /proc (schedstat: ns). */
function cpuByThread(pid: number): Map<string, number> {
  const by = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = t === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      by.set(name, (by.get(name) ?? 0) + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch { /* thread gone */ }
  }
  return by;
}

const total = (by: Map<string, number>) => [...by.values()].reduce((a, b) => a + b, 0);

/** Per thread name, the CPU ms used between two cpuByThread readings. */
function cpuBetween(before: Map<string, number>, after: Map<string, number>): string {
  return [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v >= 1).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
}

interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

/**
 * The functions with the most self time, from samples inside `window` (monotonic µs, the
 * clock of process.hrtime and of V8's profile timestamps) when given.
 */
function topSelf(profFile: string, window?: [number, number], n = 25): string[] {
  const prof = JSON.parse(readFileSync(profFile, 'utf8')) as { nodes: ProfNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let at = prof.startTime;
  prof.samples.forEach((id, i) => {
    at += prof.timeDeltas[i] ?? 0;
    if (window && (at < window[0] || at > window[1])) return;
    const node = byId.get(id)!;
    const f = node.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tsm-bench-prof-'));
  const src = await TestRegistry.start();
  try {
    const gz = new OciLayout(join(work, 'gz'));
    gz.tag(gz.addImage({ layers: [{ tar: busyboxTar(), compression: 'gzip' }, { tar: dataLayer(DATA_MB), compression: 'gzip' }] }), 'x');
    await skopeoPush(join(work, 'gz'), 'x', `${src.host}/bench/img:1`);
    const totals: number[] = [];
    const ab: Record<string, number[]> = { this: [], other: [] };
    for (let i = 0; i < RUNS; i++) {
      let pullWindow: [number, number] | undefined;
      const h = await createHarness(ProfiledAgent);
      // A B B A A B B A ...: runs after an odd and an even number of runs differ (the unpack
      // right after a pull alternates ~330 / ~470 ms on this VM whatever the build), so each
      // build gets as many of both.
      const other = !!(process.env.BENCH_AB || process.env.BENCH_AB_ENV) && ((i + 1) >> 1) % 2 === 1;
      if (other && process.env.BENCH_AB) h.bundle = process.env.BENCH_AB;
      const [k, v] = (process.env.BENCH_AB_ENV ?? '').split('=');
      if (k) { if (other) process.env[k] = v; else delete process.env[k]; }
      h.profDir = join(work, `prof-${i}`);
      h.extraArgs = ['--insecure-registry', '127.0.0.0/8'];
      await h.start();
      try {
        if (WARM) {
          for (const args of [['pull', `${src.host}/bench/img:1`], ['rmi', `${src.host}/bench/img:1`]]) {
            const w = await h.docker(args, { timeoutMs: 300_000 });
            if (w.code !== 0) throw new Error(`warm-up ${args[0]} failed: ${w.stderr}`);
          }
        }
        const agentPid = Number(readFileSync(h.pidfile, 'utf8'));
        const registryPid = processesMentioning(src.dir)[0]?.pid;
        const agent0 = cpuByThread(agentPid);
        const registry0 = registryPid ? total(cpuByThread(registryPid)) : NaN;
        const t = performance.now();
        const w0 = Number(process.hrtime.bigint() / 1000n);
        const r = await h.docker(['pull', `${src.host}/bench/img:1`], { timeoutMs: 300_000 });
        totals.push(performance.now() - t);
        pullWindow = [w0, Number(process.hrtime.bigint() / 1000n)];
        const agent1 = cpuByThread(agentPid);
        const cpu = [total(agent1) - total(agent0), registryPid ? total(cpuByThread(registryPid)) - registry0 : NaN];
        ab[other ? 'other' : 'this'].push(totals[i]);
        if (r.code !== 0) throw new Error(`pull failed: ${r.stderr}`);
        if (RUN_AFTER) {
          const t2 = performance.now();
          const run = await h.docker(['run', '--rm', `${src.host}/bench/img:1`, 'true']);
          if (run.code !== 0) throw new Error(`run failed: ${run.stderr}`);
          console.log(`run right after the pull: ${(performance.now() - t2).toFixed(0)} ms`);
        }
        const lines = h.log().split("\n").filter((l) => process.env.FULL_LOG === "1" ? l.includes("Z ") : /layer (downloaded|extracted)|layers unpacked|image pulled|container created/.test(l));
        console.log(`run ${i + 1}${other ? ' (other build)' : ''}: ${totals[i].toFixed(0)} ms (cpu: agent ${cpu[0].toFixed(0)} ms, registry ${cpu[1].toFixed(0)} ms), load ${loadavg()}`);
        console.log(`  agent threads (cpu ms): ${cpuBetween(agent0, agent1)}`);
        for (const l of lines) console.log(`  ${l.slice(0, 200)}`);
      } finally {
        await h.cleanup();
      }
      if (PROFILE) {
        const f = readdirSync(h.profDir).find((x) => x.endsWith('.cpuprofile'));
        if (f) console.log(`during the pull:\n${topSelf(join(h.profDir, f), pullWindow).join('\n')}`);
      }
    }
    if (process.env.BENCH_AB || process.env.BENCH_AB_ENV) {
      const f = (xs: number[]) => `${xs.map((x) => x.toFixed(0)).join(', ')} (median ${median(xs).toFixed(0)})`;
      console.log(`this build: ${f(ab.this)}\n${process.env.BENCH_AB ?? ''} ${process.env.BENCH_AB_ENV ?? ''}: ${f(ab.other)}`);
    } else console.log(`median pull: ${median(totals).toFixed(0)} ms`);
  } finally {
    src.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
