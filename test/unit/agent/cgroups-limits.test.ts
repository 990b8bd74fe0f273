import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupV1Files, cgroupV2Files, ociResources, sharesToWeight, validateResources, parseCpuset, formatCpuset, rlimit } from '../../../src/agent/runtime/cgroups-limits';
import type { HostConfig } from '../../../src/agent/containers/types';

const HOST = { cpus: 4, onlineCpus: [0, 1, 2, 3], swapLimit: true };
const MiB = 1024 * 1024;

test('cgroup v2 mapping: memory.max, memory.swap.max (swap alone), cpu.max, cpu.weight, cpuset, pids.max', () => {
  const hc = validateResources({ Memory: 64 * MiB, MemorySwap: 96 * MiB, NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', PidsLimit: 100 }, HOST);
  assert.deepEqual(cgroupV2Files(ociResources(hc)), {
    'memory.max': String(64 * MiB), 'memory.swap.max': String(32 * MiB), 'cpu.max': '150000 100000', 'cpu.weight': '20',
    'cpuset.cpus': '0-1', 'pids.max': '100',
  });
  assert.deepEqual(cgroupV2Files({ memory: { limit: 64 * MiB, swap: -1 } }), { 'memory.max': String(64 * MiB), 'memory.swap.max': 'max' });
  assert.deepEqual(ociResources({ Memory: 64 * MiB, MemorySwap: -1 }), { memory: { limit: 64 * MiB } }, 'unlimited swap is the default: not written');
  assert.deepEqual(cgroupV2Files(ociResources(validateResources({ Memory: 64 * MiB }, HOST))), { 'memory.max': String(64 * MiB), 'memory.swap.max': String(64 * MiB) }, 'default swap = memory');
  assert.deepEqual(cgroupV2Files(ociResources({ CpuQuota: 20000, CpuPeriod: 50000 })), { 'cpu.max': '20000 50000' });
  assert.deepEqual(cgroupV2Files(ociResources({ CpuPeriod: 50000 })), { 'cpu.max': 'max 50000' });
  assert.deepEqual(cgroupV2Files(ociResources({})), {});
});

test('cpu shares to weight follows runc (2..262144 -> 1..10000; 1024 -> 39)', () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(0), 0);
});

test('without swap accounting memory is limited without swap (MemorySwap -1), as dockerd does', () => {
  const hc = validateResources({ Memory: 64 * MiB }, { ...HOST, swapLimit: false });
  assert.equal(hc.MemorySwap, -1);
  assert.deepEqual(cgroupV1Files(ociResources(hc)), { 'memory/memory.limit_in_bytes': String(64 * MiB) });
});

test('cgroup v1 mapping: limit_in_bytes, memsw, cfs quota/period, shares, cpuset, pids', () => {
  const hc = validateResources({ Memory: 64 * MiB, NanoCpus: 5e8, CpuShares: 512, CpusetCpus: '1', PidsLimit: 20 }, HOST);
  assert.deepEqual(cgroupV1Files(ociResources(hc)), {
    'memory/memory.limit_in_bytes': String(64 * MiB), 'memory/memory.memsw.limit_in_bytes': String(128 * MiB),
    'cpu/cpu.cfs_quota_us': '50000', 'cpu/cpu.cfs_period_us': '100000', 'cpu/cpu.shares': '512', 'cpuset/cpuset.cpus': '1', 'pids/pids.max': '20',
  });
});

test('dockerd checks: minimum memory, swap below memory, CPU ranges, conflicting options, cpusets, oom score', () => {
  const bad: Array<[HostConfig, RegExp]> = [
    [{ Memory: MiB }, /Minimum memory limit allowed is 6MB/],
    [{ Memory: 64 * MiB, MemorySwap: 32 * MiB }, /Minimum memoryswap limit/],
    [{ MemorySwap: 32 * MiB }, /always set the Memory limit/],
    [{ NanoCpus: 5e9 }, /Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available/],
    [{ NanoCpus: 1e9, CpuQuota: 50000 }, /Nano CPUs and CPU Quota/],
    [{ CpuPeriod: 10 }, /CPU cfs period/],
    [{ CpusetCpus: '0-7' }, /Requested CPUs are not available - requested 0-7, available: 0-3/],
    [{ CpusetCpus: 'x' }, /Invalid value x for cpuset cpus/],
    [{ OomScoreAdj: 2000 }, /range for oom score adj is \[-1000, 1000\]/],
    [{ Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] }, /soft limit must be less than or equal to hard limit/],
    [{ Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }, /invalid ulimit type: bogus/],
    [{ Memory: 'lots' as unknown as number }, /invalid Memory: expected a number/],
  ];
  for (const [hc, re] of bad) assert.throws(() => validateResources(hc, HOST), re, JSON.stringify(hc));
  assert.deepEqual(rlimit({ Name: 'nofile', Soft: 1024, Hard: 2048 }), { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 });
  assert.deepEqual(parseCpuset('0-2,5'), [0, 1, 2, 5]);
  assert.equal(formatCpuset([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
});

test('docker update: zero fields stay, --cpus replaces quota/period, restart policy checks', async () => {
  const { applyUpdate } = await import('../../../src/agent/runtime/cgroups-update');
  const cur = { Memory: 64 * MiB, MemorySwap: 128 * MiB, CpuQuota: 20000, CpuPeriod: 50000, PidsLimit: 10, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } };
  const next = applyUpdate(cur, { Memory: 0, MemorySwap: 0, NanoCpus: 1e9, PidsLimit: 0, CpusetCpus: '' });
  assert.deepEqual([next.Memory, next.MemorySwap, next.CpuQuota, next.CpuPeriod, next.NanoCpus, next.PidsLimit], [64 * MiB, 128 * MiB, 0, 0, 1e9, 10]);
  assert.throws(() => applyUpdate(cur, { Memory: 256 * MiB }), /update the memoryswap at the same time/);
  assert.throws(() => applyUpdate({ ...cur, AutoRemove: true }, { RestartPolicy: { Name: 'always' } }), /AutoRemove/);
  assert.throws(() => applyUpdate(cur, { BlkioWeight: 300 }), /--blkio-weight/);
  assert.equal(applyUpdate(cur, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } }).RestartPolicy!.MaximumRetryCount, 2);
});
