/**
 * Benchmark: pull and push of a ~50 MB two-layer image (busybox + ~48 MB of data) from/to
 * local docker-registry instances, tsagent (driven by the docker CLI over mutual TLS) side by
 * side with `skopeo copy` in the same run. Each run is cold: a fresh agent store for pulls,
 * a fresh empty registry for pushes. Prints every run, medians and ratios.
 *
 * Rows:
 *   pull            registry -> tsagent (download, verify digests and diff IDs) | skopeo: registry -> oci: dir
 *   pull + run      the pull, then at once `docker run --rm --network none IMAGE true` (the private
 *                   dockerd has no bridge): tsagent's layers unpack after the pull answers, so this
 *                   row shows what a pull defers (vs dockerd's)
 *   push (reuse)    pulled image -> empty registry, original blobs   | skopeo: oci: dir -> registry
 *   push (gzip)     imported image (plain layers) -> empty registry  | skopeo: uncompressed oci: dir -> registry (it compresses)
 *   pull (engine warm) the same pull again on the same engine once `docker rmi` has emptied its
 *                   store: a long-running engine's pull, without the first pull's start-up costs
 *                   (tsagent: code that V8 has not compiled yet; a fresh process is cold)
 *
 * Docker Engine is a third peer when `dockerd` is on PATH (scripts/bench-setup.sh installs
 * docker.io): per run a fresh private dockerd with `--insecure-registry` for the loopback
 * registries pulls the image cold, then pushes it to a fresh empty registry (dockerd keeps no
 * compressed blobs, so its push compresses again: compared with both tsagent push rows);
 * without dockerd the table prints "dockerd not installed: skipped".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentHarness } from '../test/integration/agent/harness';
import { dataLayer, startDockerd } from './engines';
import { TestRegistry } from '../test/helpers/registry';
import { OciLayout, busyboxTar, skopeoPush, skopeo } from '../test/helpers/registry-images';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DATA_MB = Number(process.env.BENCH_DATA_MB ?? 48);

/** Where `dockerd` is on PATH, or undefined. */
function dockerdPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * One cold `docker pull` through a fresh private dockerd (bench/engines.ts) that trusts the
 * loopback registries, then a `docker push` of that image to a fresh empty registry (dockerd
 * keeps no compressed blobs: it compresses every layer again). Returns both times.
 */
async function dockerdPullPush(registryHost: string, image: string): Promise<{ pull: number; pullRun: number; push: number; warmPull: number }> {
  const e = await startDockerd(['--insecure-registry', '127.0.0.0/8']);
  try {
    const pull = await timed(() => checked(e.docker(['pull', image], { timeoutMs: 300_000 }), 'dockerd pull'));
    const pullRun = pull + (await timed(() => checked(e.docker(['run', '--rm', '--network', 'none', image, 'true'], { timeoutMs: 300_000 }), 'dockerd run')));
    const dst = await TestRegistry.start();
    try {
      await checked(e.docker(['tag', image, `${dst.host}/dd/img:1`]), 'dockerd tag');
      const push = await timed(() => checked(e.docker(['push', `${dst.host}/dd/img:1`], { timeoutMs: 300_000 }), 'dockerd push'));
      const warmPull = await pullAgain((args) => e.docker(args, { timeoutMs: 300_000 }), image, [`${dst.host}/dd/img:1`]);
      return { pull, pullRun, push, warmPull };
    } finally {
      dst.stop();
    }
  } finally {
    const left = await e.stop();
    if (left.length) console.error(`dockerd: cleaned up by force: ${left.join('; ')}`);
  }
}

type DockerFn = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * Removes `image` and `alsoTagged` (the store is then empty: both engines delete unused layers
 * with the image), then times a pull of `image` on the same, now warm, engine. Throws when the
 * pull found a layer still there.
 */
async function pullAgain(docker: DockerFn, image: string, alsoTagged: string[]): Promise<number> {
  await checked(docker(['rmi', '-f', image, ...alsoTagged]), 'rmi');
  let out = '';
  const ms = await timed(async () => {
    const r = await docker(['pull', image]);
    if (r.code !== 0) throw new Error(`pull again failed: ${r.stderr}`);
    out = r.stdout;
  });
  if (/Already exists/.test(out)) throw new Error(`pull again reused a layer, the store was not empty:\n${out}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function checked(p: Promise<{ code: number; stderr: string }>, what: string): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tsm-bench-pp-'));
  const src = await TestRegistry.start();
  const cleanups: Array<() => Promise<void> | void> = [() => src.stop(), () => rmSync(work, { recursive: true, force: true })];
  try {
    const base = busyboxTar();
    const data = dataLayer(DATA_MB);
    const gz = new OciLayout(join(work, 'gz'));
    const img = gz.addImage({ layers: [{ tar: base, compression: 'gzip' }, { tar: data, compression: 'gzip' }] });
    gz.tag(img, 'x');
    const plain = new OciLayout(join(work, 'plain'));
    plain.tag(plain.addImage({ layers: [{ tar: base, compression: 'none' }, { tar: data, compression: 'none' }] }), 'x');
    await skopeoPush(join(work, 'gz'), 'x', `${src.host}/bench/img:1`);
    console.log(`image: 2 layers, ${(img.size && (base.length + data.length) / 1e6).toFixed(1)} MB uncompressed; runs: ${RUNS}`);
    const rows: Record<string, { ts: number[]; sk: number[] }> = { pull: { ts: [], sk: [] }, 'pull + run': { ts: [], sk: [] }, 'push (reuse)': { ts: [], sk: [] }, 'push (gzip)': { ts: [], sk: [] }, 'pull (engine warm)': { ts: [], sk: [] } };
    for (let i = 0; i < RUNS; i++) {
      const h = await AgentHarness.create();
      h.extraArgs = ['--insecure-registry', '127.0.0.0/8'];
      await h.start();
      try {
        rows.pull.ts.push(await timed(() => checked(h.docker(['pull', `${src.host}/bench/img:1`], { timeoutMs: 300_000 }), 'tsagent pull')));
        rows['pull + run'].ts.push(rows.pull.ts[i] + (await timed(() => checked(h.docker(['run', '--rm', '--network', 'none', `${src.host}/bench/img:1`, 'true'], { timeoutMs: 300_000 }), 'tsagent run'))));
        const dir = join(work, `skopeo-pull-${i}`);
        rows.pull.sk.push(await timed(() => skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${src.host}/bench/img:1`, `oci:${dir}:x`])));
        const tagged: string[] = [];
        const dst = await TestRegistry.start();
        try {
          tagged.push(`${dst.host}/ts/img:1`);
          await checked(h.docker(['tag', `${src.host}/bench/img:1`, `${dst.host}/ts/img:1`]), 'tag');
          rows['push (reuse)'].ts.push(await timed(() => checked(h.docker(['push', `${dst.host}/ts/img:1`], { timeoutMs: 300_000 }), 'tsagent push')));
          rows['push (reuse)'].sk.push(await timed(() => skopeoPush(dir, 'x', `${dst.host}/sk/img:1`)));
        } finally {
          dst.stop();
        }
        const dst2 = await TestRegistry.start();
        try {
          tagged.push(`${dst2.host}/tsplain/img:1`);
          const tarImport = spawnSync('docker', ['import', '-', `${dst2.host}/tsplain/img:1`], { env: h.dockerEnv, input: Buffer.concat([data.subarray(0, data.length - 1024)]) });
          if (tarImport.status !== 0) throw new Error(`import failed: ${tarImport.stderr}`);
          rows['push (gzip)'].ts.push(await timed(() => checked(h.docker(['push', `${dst2.host}/tsplain/img:1`], { timeoutMs: 300_000 }), 'tsagent push (gzip)')));
          rows['push (gzip)'].sk.push(await timed(() => skopeo(['copy', '-q', '--dest-tls-verify=false', `oci:${join(work, 'plain')}:x`, `docker://${dst2.host}/skplain/img:1`])));
        } finally {
          dst2.stop();
        }
        rmSync(dir, { recursive: true, force: true });
        rows['pull (engine warm)'].ts.push(await pullAgain((args) => h.docker(args, { timeoutMs: 300_000 }), `${src.host}/bench/img:1`, tagged));
      } finally {
        const left = await h.cleanup();
        if (left.length) console.error(`leftovers: ${left.join(', ')}`);
      }
    }
    console.log('\n| operation | tsagent ms (runs) | skopeo ms (runs) | tsagent median | skopeo median | tsagent / skopeo |');
    console.log('|---|---|---|---|---|---|');
    for (const [name, r] of Object.entries(rows)) {
      const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      if (r.sk.length === 0) { console.log(`| ${name} | ${f(r.ts)} | - | ${median(r.ts).toFixed(0)} | - | - |`); continue; }
      console.log(`| ${name} | ${f(r.ts)} | ${f(r.sk)} | ${median(r.ts).toFixed(0)} | ${median(r.sk).toFixed(0)} | ${(median(r.ts) / median(r.sk)).toFixed(2)} |`);
    }
    if (!dockerdPath()) { console.log('\ndockerd not installed: skipped'); return; }
    const dd: Array<{ pull: number; pullRun: number; push: number; warmPull: number }> = [];
    for (let i = 0; i < RUNS; i++) dd.push(await dockerdPullPush(src.host, `${src.host}/bench/img:1`));
    const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    console.log('\n| operation | dockerd ms (runs) | dockerd median | tsagent / dockerd |');
    console.log('|---|---|---|---|');
    const pulls = dd.map((d) => d.pull);
    const pushes = dd.map((d) => d.push);
    console.log(`| pull | ${f(pulls)} | ${median(pulls).toFixed(0)} | ${(median(rows.pull.ts) / median(pulls)).toFixed(2)} |`);
    const pullRuns = dd.map((d) => d.pullRun);
    console.log(`| pull + run | ${f(pullRuns)} | ${median(pullRuns).toFixed(0)} | ${(median(rows['pull + run'].ts) / median(pullRuns)).toFixed(2)} |`);
    console.log(`| push (tsagent: reuse) | ${f(pushes)} | ${median(pushes).toFixed(0)} | ${(median(rows['push (reuse)'].ts) / median(pushes)).toFixed(2)} |`);
    console.log(`| push (tsagent: gzip) | ${f(pushes)} | ${median(pushes).toFixed(0)} | ${(median(rows['push (gzip)'].ts) / median(pushes)).toFixed(2)} |`);
    const warm = dd.map((d) => d.warmPull);
    console.log(`| pull (engine warm) | ${f(warm)} | ${median(warm).toFixed(0)} | ${(median(rows['pull (engine warm)'].ts) / median(warm)).toFixed(2)} |`);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
