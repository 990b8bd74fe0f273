import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSpec, capabilities, capsFromMask, containerEnv, DEFAULT_CAPS, MASKED_PATHS, READONLY_PATHS, DEFAULT_PATH, type SpecInput } from '../../../src/agent/containers/spec';

const ID = 'a'.repeat(64);

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID, hostname: ID.slice(0, 12), rootfs: '/data/containers/x/merged', args: ['sh', '-c', 'echo hi'], env: ['FOO=bar'],
    cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, tty: false, cgroupsPath: `/tsagent/${ID}`,
    etc: { hosts: '/d/hosts', hostname: '/d/hostname', resolvConf: '/d/resolv.conf' }, networkMode: 'bridge',
    privileged: false, capAdd: [], capDrop: [], readonlyRootfs: false, mounts: [], resources: {}, shmSize: 67108864, oomScoreAdj: 0,
    ...over,
  };
}

type Spec = {
  process: { args: string[]; env: string[]; terminal: boolean; oomScoreAdj: number; capabilities: Record<string, string[]>; user: { uid: number; additionalGids?: number[] } };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: Array<{ destination: string; type?: string; source?: string; options?: string[] }>;
  linux: { namespaces: Array<{ type: string }>; cgroupsPath: string; maskedPaths: string[]; readonlyPaths: string[]; resources: Record<string, unknown> };
};

test('a default container: namespaces, cgroup, hostname, Docker defaults', () => {
  const s = generateSpec(input()) as unknown as Spec;
  assert.deepEqual(s.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(s.linux.cgroupsPath, `/tsagent/${ID}`);
  assert.equal(s.hostname, ID.slice(0, 12));
  assert.equal(s.root.path, '/data/containers/x/merged');
  assert.deepEqual(s.process.args, ['sh', '-c', 'echo hi']);
  assert.deepEqual(s.process.capabilities.bounding, DEFAULT_CAPS);
  assert.deepEqual(s.process.capabilities.effective, DEFAULT_CAPS);
  assert.equal(s.process.oomScoreAdj, 0, 'containers must not inherit conmon\'s -999');
  assert.deepEqual(s.linux.maskedPaths, MASKED_PATHS);
  assert.deepEqual(s.linux.readonlyPaths, READONLY_PATHS);
  const dests = s.mounts.map((m) => m.destination);
  for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) {
    assert.ok(dests.includes(d), `mount ${d}`);
  }
  const hosts = s.mounts.find((m) => m.destination === '/etc/hosts')!;
  assert.equal(hosts.source, '/d/hosts');
  assert.deepEqual(hosts.options, ['rbind', 'rprivate']);
  assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  const devices = s.linux.resources.devices as Array<{ allow: boolean; access: string }>;
  assert.deepEqual(devices[0], { allow: false, access: 'rwm' }, 'deny all devices first');
});

test('environment: PATH and HOSTNAME first, the container env replaces or appends', () => {
  assert.deepEqual(containerEnv(['FOO=bar'], 'h1', false), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h1', 'FOO=bar']);
  assert.deepEqual(containerEnv(['PATH=/x', 'A=1'], 'h1', true), ['PATH=/x', 'HOSTNAME=h1', 'TERM=xterm', 'A=1']);
  const s = generateSpec(input({ tty: true })) as unknown as Spec;
  assert.equal(s.process.terminal, true);
  assert.ok(s.process.env.includes('TERM=xterm'));
});

test('host networking shares the network namespace', () => {
  const s = generateSpec(input({ networkMode: 'host' })) as unknown as Spec;
  assert.ok(!s.linux.namespaces.some((n) => n.type === 'network'));
});

test('capabilities: add, drop, ALL, privileged, unknown', () => {
  assert.ok(capabilities(false, ['net_admin'], []).includes('CAP_NET_ADMIN'));
  assert.ok(!capabilities(false, [], ['CAP_CHOWN']).includes('CAP_CHOWN'));
  assert.deepEqual(capabilities(false, ['NET_RAW'], ['ALL']), ['CAP_NET_RAW']);
  assert.equal(capabilities(false, ['ALL'], []).length, 41);
  assert.equal(capabilities(true, [], []).length, 41);
  assert.throws(() => capabilities(false, ['NOPE'], []), /unknown capability/);
});

test('privileged drops masks and opens devices', () => {
  const s = generateSpec(input({ privileged: true })) as unknown as Spec;
  assert.deepEqual(s.linux.maskedPaths, []);
  assert.deepEqual(s.linux.readonlyPaths, []);
  assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(!s.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
});

test('resources, user, read-only root, extra mounts', () => {
  const s = generateSpec(input({
    resources: { memory: 64 << 20, cpuQuota: 50000, cpuPeriod: 100000, pidsLimit: 100 },
    user: { uid: 1000, gid: 100, additionalGids: [5] }, readonlyRootfs: true,
    mounts: [{ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'ro', 'rprivate'] }],
  })) as unknown as Spec;
  assert.deepEqual(s.linux.resources.memory, { limit: 64 << 20 });
  assert.deepEqual(s.linux.resources.cpu, { quota: 50000, period: 100000 });
  assert.deepEqual(s.linux.resources.pids, { limit: 100 });
  assert.equal(s.process.user.uid, 1000);
  assert.deepEqual(s.process.user.additionalGids, [5]);
  assert.equal(s.root.readonly, true);
  assert.equal(s.mounts[s.mounts.length - 1].destination, '/data');
});

test('"all" capabilities are limited to what the engine holds', () => {
  const available = capsFromMask('1fffeffffff');
  assert.ok(!available.includes('CAP_SYS_RESOURCE'));
  assert.equal(available.length, 40);
  assert.ok(!capabilities(true, [], [], available).includes('CAP_SYS_RESOURCE'));
  assert.ok(!capabilities(false, ['ALL'], [], available).includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(capsFromMask('5'), ['CAP_CHOWN', 'CAP_DAC_READ_SEARCH']);
});
