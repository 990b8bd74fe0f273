/**
 * Container statistics in dockerd's GET /containers/{id}/stats shape, read from the
 * container's cgroup (v1 controllers or the v2 unified folder), /proc/stat and the
 * container's /proc/<pid>/net/dev. The parsers are pure and unit-tested; `sample` reads files.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';

export interface BlkioEntry { major: number; minor: number; op: string; value: number }
export interface NetStats { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface Sample {
  read: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: { io_service_bytes_recursive: BlkioEntry[] | null; io_serviced_recursive: BlkioEntry[] | null; io_queue_recursive: null; io_service_time_recursive: null; io_wait_time_recursive: null; io_merged_recursive: null; io_time_recursive: null; sectors_recursive: null };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; failcnt?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, NetStats>;
}

const CLOCK_TICKS = 100;

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The host's CPU time in ns from /proc/stat's first line, as dockerd computes system_cpu_usage. */
export function parseSystemCpu(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

/** v1 blkio files ("8:0 Read 4096" lines; the "Total" line is dropped like runc does not). */
export function parseBlkioV1(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

/** v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") as dockerd's bytes and ops entries. */
export function parseIoStatV2(text: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(kvs.map((x) => x.split('=')).map(([k, v]) => [k, Number(v)]));
    const e = (op: string, value: number | undefined) => ({ major: Number(m[1]), minor: Number(m[2]), op, value: value ?? 0 });
    bytes.push(e('read', kv.rbytes), e('write', kv.wbytes));
    ios.push(e('read', kv.rios), e('write', kv.wios));
  }
  return { bytes, ios };
}

/** /proc/<pid>/net/dev, every interface but lo. */
export function parseNetDev(text: string): Record<string, NetStats> {
  const out: Record<string, NetStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name === 'lo') continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    out[name] = { rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3], tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11] };
  }
  return out;
}

async function read(p: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

const n = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : undefined;
};

/** A zeroed sample (stopped containers; dockerd sends zeros with read = zero time). */
export function emptySample(read = '0001-01-01T00:00:00Z'): Sample {
  return {
    read, pids_stats: {}, num_procs: 0, storage_stats: {},
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {},
  };
}

/** One sample of the cgroup at `cgPath` (e.g. /tsagent/<id>) and the process `pid`. */
export async function sample(version: 1 | 2, cgPath: string, pid: number, now: string, root = '/sys/fs/cgroup'): Promise<Sample> {
  const s = emptySample(now);
  const online = cpus().length;
  s.cpu_stats.system_cpu_usage = parseSystemCpu((await read('/proc/stat')) ?? '');
  s.cpu_stats.online_cpus = online;
  const machine = totalmem();
  if (version === 1) {
    const c = (ctl: string, f: string) => read(join(root, ctl, cgPath, f));
    const usage = n(await c('cpuacct', 'cpuacct.usage')) ?? 0;
    const percpu = ((await c('cpuacct', 'cpuacct.usage_percpu')) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    const st = parseFlatKeyed((await c('cpuacct', 'cpuacct.stat')) ?? '');
    s.cpu_stats.cpu_usage = { total_usage: usage, percpu_usage: percpu, usage_in_kernelmode: ((st.system ?? 0) * 1e9) / CLOCK_TICKS, usage_in_usermode: ((st.user ?? 0) * 1e9) / CLOCK_TICKS };
    const thr = parseFlatKeyed((await c('cpu', 'cpu.stat')) ?? '');
    s.cpu_stats.throttling_data = { periods: thr.nr_periods ?? 0, throttled_periods: thr.nr_throttled ?? 0, throttled_time: thr.throttled_time ?? 0 };
    const limit = n(await c('memory', 'memory.limit_in_bytes'));
    s.memory_stats = {
      usage: n(await c('memory', 'memory.usage_in_bytes')) ?? 0, max_usage: n(await c('memory', 'memory.max_usage_in_bytes')) ?? 0,
      failcnt: n(await c('memory', 'memory.failcnt')) ?? 0, limit: Math.min(limit ?? machine, machine),
      stats: parseFlatKeyed((await c('memory', 'memory.stat')) ?? ''),
    };
    const pmax = (await c('pids', 'pids.max'))?.trim();
    s.pids_stats = { current: n(await c('pids', 'pids.current')) ?? 0, ...(pmax && pmax !== 'max' ? { limit: Number(pmax) } : {}) };
    // runc's order: CFQ counters, then BFQ, then the throttle layer's.
    let bytes = parseBlkioV1((await c('blkio', 'blkio.io_service_bytes_recursive')) ?? '');
    let ios = parseBlkioV1((await c('blkio', 'blkio.io_serviced_recursive')) ?? '');
    if (!bytes.length) bytes = parseBlkioV1((await c('blkio', 'blkio.bfq.io_service_bytes_recursive')) ?? '');
    if (!ios.length) ios = parseBlkioV1((await c('blkio', 'blkio.bfq.io_serviced_recursive')) ?? '');
    if (!bytes.length) bytes = parseBlkioV1((await c('blkio', 'blkio.throttle.io_service_bytes_recursive')) ?? (await c('blkio', 'blkio.throttle.io_service_bytes')) ?? '');
    if (!ios.length) ios = parseBlkioV1((await c('blkio', 'blkio.throttle.io_serviced_recursive')) ?? (await c('blkio', 'blkio.throttle.io_serviced')) ?? '');
    s.blkio_stats.io_service_bytes_recursive = bytes;
    s.blkio_stats.io_serviced_recursive = ios;
  } else {
    const c = (f: string) => read(join(root, cgPath, f));
    const cpu = parseFlatKeyed((await c('cpu.stat')) ?? '');
    s.cpu_stats.cpu_usage = { total_usage: (cpu.usage_usec ?? 0) * 1000, usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000, usage_in_usermode: (cpu.user_usec ?? 0) * 1000 };
    s.cpu_stats.throttling_data = { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 };
    const max = (await c('memory.max'))?.trim();
    s.memory_stats = {
      usage: n(await c('memory.current')) ?? 0,
      limit: max && max !== 'max' ? Math.min(Number(max), machine) : machine,
      stats: parseFlatKeyed((await c('memory.stat')) ?? ''),
    };
    const pmax = (await c('pids.max'))?.trim();
    s.pids_stats = { current: n(await c('pids.current')) ?? 0, ...(pmax && pmax !== 'max' ? { limit: Number(pmax) } : {}) };
    const io = parseIoStatV2((await c('io.stat')) ?? '');
    s.blkio_stats.io_service_bytes_recursive = io.bytes;
    s.blkio_stats.io_serviced_recursive = io.ios;
  }
  if (pid > 0) {
    const dev = await read(`/proc/${pid}/net/dev`);
    if (dev !== undefined) {
      const nets = parseNetDev(dev);
      if (Object.keys(nets).length) s.networks = nets;
    }
  }
  return s;
}
