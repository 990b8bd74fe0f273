// docker run resource limits and run options against the bundled agent with the real docker
// CLI: the limits are read back from the container's cgroup files and exercised (OOM kill,
// fork bomb against --pids-limit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentHarness } from './harness';
import { cgroupVersion } from '../../../src/agent/runtime/cgroups';
import { cgroupV1Files, cgroupV2Files, ociResources } from '../../../src/agent/runtime/cgroups-limits';

const h = AgentHarness.forSuite();

const inspect = async (name: string) => JSON.parse((await h.docker(['inspect', name])).stdout)[0];

/** The cgroup file `rel` (v1: `<controller>/<file>`, v2: `<file>`) of a running container. */
function cgroupFile(id: string, rel: string): string {
  const p = cgroupVersion() === 2 ? join('/sys/fs/cgroup', h.cgroupParent, id, rel)
    : join('/sys/fs/cgroup', rel.split('/')[0], h.cgroupParent, id, rel.split('/')[1]);
  return readFileSync(p, 'utf8').trim();
}

test('resource limits land in the container cgroup as runc maps them', async () => {
  const r = await h.docker(['run', '-d', '--name', 'lim', '--memory', '64m', '--memory-swap', '96m', '--cpus', '0.5', '--cpu-shares', '512',
    '--cpuset-cpus', '0', '--pids-limit', '50', '--ulimit', 'nofile=1024:2048', '--shm-size', '8m', '--oom-score-adj', '200', '--memory-reservation', '32m', '--memory-swappiness', '10', 'bb', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const c = await inspect('lim');
  const hc = c.HostConfig;
  assert.deepEqual([hc.Memory, hc.MemorySwap, hc.NanoCpus, hc.CpuShares, hc.CpusetCpus, hc.PidsLimit, hc.ShmSize, hc.OomScoreAdj],
    [64 << 20, 96 << 20, 5e8, 512, '0', 50, 8 << 20, 200]);
  const expected = cgroupVersion() === 2 ? cgroupV2Files(ociResources(hc)) : cgroupV1Files(ociResources(hc));
  assert.ok(Object.keys(expected).length >= 7, JSON.stringify(expected));
  for (const [file, value] of Object.entries(expected)) assert.equal(cgroupFile(c.Id, file), value, file);
  if (cgroupVersion() === 1) {
    assert.equal(cgroupFile(c.Id, 'memory/memory.limit_in_bytes'), String(64 << 20));
    assert.equal(cgroupFile(c.Id, 'cpu/cpu.cfs_quota_us'), '50000');
    assert.equal(cgroupFile(c.Id, 'memory/memory.soft_limit_in_bytes'), String(32 << 20));
    assert.equal(cgroupFile(c.Id, 'memory/memory.swappiness'), '10');
  }
  const inside = await h.docker(['exec', 'lim', 'sh', '-c', 'ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1; cat /proc/1/oom_score_adj']);
  assert.equal(inside.code, 0, inside.stderr);
  const lines = inside.stdout.trim().split('\n');
  assert.equal(lines[0], '1024');
  assert.equal(lines[1], '2048');
  assert.match(lines[2], /\s8192\s/, 'shm is 8 MiB');
  assert.equal(lines[3], '200');
  assert.equal((await h.docker(['rm', '-f', 'lim'])).code, 0);
});

test('--memory without --memory-swap allows as much swap as memory (MemorySwap = 2x)', async () => {
  assert.equal((await h.docker(['create', '--name', 'sw', '-m', '32m', 'bb', 'true'])).code, 0);
  assert.equal((await inspect('sw')).HostConfig.MemorySwap, 64 << 20);
  assert.equal((await h.docker(['rm', 'sw'])).code, 0);
  const unl = await h.docker(['run', '--rm', '-m', '32m', '--memory-swap', '-1', 'bb', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.equal(unl.code, 0, unl.stderr);
  if (cgroupVersion() === 1) assert.equal(unl.stdout.trim(), String(32 << 20), 'unlimited swap still limits memory');
});

test('a process over its memory limit is OOM-killed: exit 137, State.OOMKilled', async () => {
  const r = await h.docker(['run', '--name', 'oom', '-m', '16m', '--memory-swap', '16m', 'bb', 'sh', '-c', 'tail /dev/zero'], { timeoutMs: 60_000 });
  assert.equal(r.code, 137, r.stderr);
  const s = (await inspect('oom')).State;
  assert.equal(s.ExitCode, 137);
  assert.equal(s.OOMKilled, true);
  assert.equal((await h.docker(['rm', 'oom'])).code, 0);
});

test('a fork bomb stops at --pids-limit', async () => {
  const r = await h.docker(['run', '-d', '--name', 'pids', '--pids-limit', '20', 'bb', 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const c = await inspect('pids');
  const bomb = await h.docker(['exec', 'pids', 'sh', '-c', 'i=0; while [ $i -lt 60 ]; do sleep 1000 >/dev/null 2>&1 & i=$((i+1)); done; echo forked'], { timeoutMs: 30_000 });
  assert.match(bomb.stderr, /can't fork|Resource temporarily unavailable/, bomb.stderr);
  const current = Number(cgroupFile(c.Id, cgroupVersion() === 2 ? 'pids.current' : 'pids/pids.current'));
  assert.ok(current <= 20 && current >= 10, `pids.current ${current}`);
  assert.equal((await h.docker(['rm', '-f', 'pids'])).code, 0);
});

test('bad limits are refused with dockerd\'s messages and create nothing', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['-m', '1m'], /Minimum memory limit allowed is 6MB/],
    [['-m', '64m', '--memory-swap', '32m'], /Minimum memoryswap limit should be larger than memory limit/],
    [['--cpus', '64'], /Range of CPUs is from 0.01 to/],
    [['--cpus', '1', '--cpu-period', '50000'], /Conflicting options: Nano CPUs and CPU Period cannot both be set/],
    [['--cpuset-cpus', '0-99'], /Requested CPUs are not available/],
    [['--security-opt', 'apparmor=my-profile'], /--security-opt apparmor=my-profile is not supported by tsagent/],
  ];
  for (const [args, re] of cases) {
    const r = await h.docker(['create', ...args, 'bb', 'true']);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  assert.equal((await h.docker(['ps', '-aq'])).stdout.trim(), '');
  assert.ok(existsSync(h.dataRoot));
});

test('docker update changes the limits of a running container (and of a stopped one)', async () => {
  assert.equal((await h.docker(['run', '-d', '--name', 'upd', '-m', '64m', '--memory-swap', '128m', 'bb', 'sleep', '1000'])).code, 0);
  const u = await h.docker(['update', '--memory', '96m', '--cpus', '0.5', '--pids-limit', '40', '--cpu-shares', '256', '--restart', 'on-failure:3', 'upd']);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(u.stdout.trim(), 'upd');
  const c = await inspect('upd');
  assert.deepEqual([c.HostConfig.Memory, c.HostConfig.MemorySwap, c.HostConfig.NanoCpus, c.HostConfig.PidsLimit, c.HostConfig.CpuShares, c.HostConfig.RestartPolicy.Name, c.HostConfig.RestartPolicy.MaximumRetryCount],
    [96 << 20, 128 << 20, 5e8, 40, 256, 'on-failure', 3]);
  const expected = cgroupVersion() === 2 ? cgroupV2Files(ociResources(c.HostConfig)) : cgroupV1Files(ociResources(c.HostConfig));
  for (const [file, value] of Object.entries(expected)) assert.equal(cgroupFile(c.Id, file), value, file);
  const tooBig = await h.docker(['update', '--memory', '200m', 'upd']);
  assert.notEqual(tooBig.code, 0);
  assert.match(tooBig.stderr, /Memory limit should be smaller than already set memoryswap limit/);
  assert.equal((await inspect('upd')).HostConfig.Memory, 96 << 20, 'unchanged after a refused update');
  assert.equal((await h.docker(['stop', '-t', '0', 'upd'])).code, 0);
  assert.equal((await h.docker(['update', '--memory', '100m', '--memory-swap', '300m', 'upd'])).code, 0);
  assert.equal((await h.docker(['start', 'upd'])).code, 0);
  const again = await inspect('upd');
  if (cgroupVersion() === 1) assert.equal(cgroupFile(again.Id, 'memory/memory.limit_in_bytes'), String(100 << 20));
  assert.equal((await h.docker(['rm', '-f', 'upd'])).code, 0);
});
