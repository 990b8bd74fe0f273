import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseBlkioV1, parseFlatKeyed, parseIoStatV2, parseNetDev, parseSystemCpu, sample } from '../../../src/agent/stats/cgroup-stats';

test('parsers: /proc/stat, flat keyed files, blkio v1, io.stat v2, net/dev', () => {
  assert.equal(parseSystemCpu('cpu  100 0 50 800 10 0 40 99 0 0\ncpu0 1 2 3\n'), 1000 * 1e7);
  assert.deepEqual(parseFlatKeyed('cache 4096\nrss 8192\ntotal_inactive_file 100\n'), { cache: 4096, rss: 8192, total_inactive_file: 100 });
  assert.deepEqual(parseBlkioV1('8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 }, { major: 8, minor: 0, op: 'Total', value: 4608 },
  ]);
  const io = parseIoStatV2('253:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n');
  assert.deepEqual(io.bytes, [{ major: 253, minor: 0, op: 'read', value: 1024 }, { major: 253, minor: 0, op: 'write', value: 2048 }]);
  assert.deepEqual(io.ios.map((e) => e.value), [3, 4]);
  const dev = 'Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n'
    + '    lo:     10       1    0    0    0     0          0         0       10       1    0    0    0     0       0          0\n'
    + '  eth0:   3392       6    1    2    0     0          0         0      426       5    3    4    0     0       0          0\n';
  assert.deepEqual(parseNetDev(dev), { eth0: { rx_bytes: 3392, rx_packets: 6, rx_errors: 1, rx_dropped: 2, tx_bytes: 426, tx_packets: 5, tx_errors: 3, tx_dropped: 4 } });
});

test('a cgroup v2 sample from a fake unified hierarchy', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cg2-'));
  try {
    const dir = join(root, 'tsagent', 'c1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 30\n');
    writeFileSync(join(dir, 'memory.current'), '1048576\n');
    writeFileSync(join(dir, 'memory.max'), '67108864\n');
    writeFileSync(join(dir, 'memory.stat'), 'anon 4096\nfile 8192\ninactive_file 1024\n');
    writeFileSync(join(dir, 'pids.current'), '3\n');
    writeFileSync(join(dir, 'pids.max'), 'max\n');
    writeFileSync(join(dir, 'io.stat'), '8:0 rbytes=10 wbytes=20 rios=1 wios=2\n');
    const s = await sample(2, '/tsagent/c1', 0, 'now', root);
    assert.deepEqual(s.cpu_stats.cpu_usage, { total_usage: 2_000_000, usage_in_kernelmode: 500_000, usage_in_usermode: 1_500_000 });
    assert.deepEqual(s.cpu_stats.throttling_data, { periods: 7, throttled_periods: 2, throttled_time: 30_000 });
    assert.equal(s.memory_stats.usage, 1048576);
    assert.equal(s.memory_stats.limit, Math.min(67108864, totalmem()));
    assert.equal(s.memory_stats.stats!.inactive_file, 1024);
    assert.deepEqual(s.pids_stats, { current: 3 });
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive!.map((e) => `${e.op}=${e.value}`), ['read=10', 'write=20']);
    writeFileSync(join(dir, 'memory.max'), 'max\n');
    assert.equal((await sample(2, '/tsagent/c1', 0, 'now', root)).memory_stats.limit, totalmem(), 'no limit: the machine memory');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
