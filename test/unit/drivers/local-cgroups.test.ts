import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMounts, parseProcStat } from '../../../src/drivers/local/api';
import { cgroupHierarchies, limitFiles, machineCgroupLayout, missingControllers } from '../../../src/drivers/local/cgroups';

const hybrid = parseMounts([
  'proc /proc proc rw,nosuid 0 0',
  'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
  'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0',
  'cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0',
  'cgroup /elsewhere cgroup rw,pids 0 0',
].join('\n'));

test('hierarchies: every cgroup mount under /sys/fs/cgroup with its controllers', () => {
  assert.deepEqual(cgroupHierarchies(hybrid), [
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', version: 1, controllers: ['cpu', 'cpuacct'] },
    { mountPoint: '/sys/fs/cgroup/memory', version: 1, controllers: ['memory'] },
    { mountPoint: '/sys/fs/cgroup/systemd', version: 1, controllers: ['name=systemd'] },
    { mountPoint: '/sys/fs/cgroup/unified', version: 2, controllers: [] },
  ]);
  const v2 = cgroupHierarchies(parseMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0'));
  assert.deepEqual(v2, [{ mountPoint: '/sys/fs/cgroup', version: 2, controllers: [] }]);
});

test('limits: v1 memory.limit_in_bytes and CFS quota; v2 memory.max and cpu.max', () => {
  const [cpu, memory] = cgroupHierarchies(hybrid);
  const limits = { memoryMb: 256, cpus: 1.5 };
  assert.deepEqual(limitFiles(memory, limits), [['memory.limit_in_bytes', '268435456']]);
  assert.deepEqual(limitFiles(cpu, limits), [['cpu.cfs_period_us', '100000'], ['cpu.cfs_quota_us', '150000']]);
  const v2 = { mountPoint: '/sys/fs/cgroup', version: 2 as const, controllers: [] };
  assert.deepEqual(limitFiles(v2, limits, ['cpu', 'memory', 'pids']), [['memory.max', '268435456'], ['cpu.max', '150000 100000']]);
  assert.deepEqual(limitFiles(v2, {}, ['cpu', 'memory']), []);
});

test('a limit without its controller is reported', () => {
  const hs = cgroupHierarchies(hybrid).filter((h) => !h.controllers.includes('memory'));
  assert.deepEqual(missingControllers(hs, { memoryMb: 128, cpus: 1 }, []), ['memory']);
  assert.deepEqual(missingControllers(hs, {}, []), []);
});

test('/proc/<pid>/stat: command names with spaces and parentheses', () => {
  const st = parseProcStat('4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615');
  assert.deepEqual(st, { comm: 'my (odd) proc', state: 'S', ppid: 1, startTime: 987654 });
  assert.equal(parseProcStat(''), undefined);
});

test('mount table: octal escapes in paths', () => {
  assert.equal(parseMounts('/dev/vda /mnt/with\\040space ext4 rw 0 0')[0].target, '/mnt/with space');
});

test('layout: v1/hybrid puts the wrapper in the machine cgroups; pure v2 in a wrapper leaf', () => {
  const hybridLayout = machineCgroupLayout(cgroupHierarchies(hybrid), 'abc');
  assert.deepEqual(hybridLayout.dirs, [
    '/sys/fs/cgroup/cpu,cpuacct/tsmachine/abc', '/sys/fs/cgroup/memory/tsmachine/abc', '/sys/fs/cgroup/systemd/tsmachine/abc', '/sys/fs/cgroup/unified/tsmachine/abc',
  ]);
  assert.deepEqual(hybridLayout.wrapperDirs, hybridLayout.dirs);
  assert.equal(hybridLayout.enterBeforeCgroupns, undefined);
  const v2 = machineCgroupLayout(cgroupHierarchies(parseMounts('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0')), 'abc');
  assert.deepEqual(v2, { dirs: ['/sys/fs/cgroup/tsmachine/abc'], wrapperDirs: ['/sys/fs/cgroup/tsmachine/abc/wrapper'], enterBeforeCgroupns: '/sys/fs/cgroup/tsmachine/abc' });
});
