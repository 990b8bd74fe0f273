import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extendSpec, groupAddGids, initWrap, securityOptions, validateRunOptions, validateSysctls, INIT_PATH } from '../../../src/agent/containers/run-options';

test('security options as dockerd parses them', () => {
  assert.equal(securityOptions({ SecurityOpt: ['no-new-privileges'] }).noNewPrivileges, true);
  assert.equal(securityOptions({ SecurityOpt: ['no-new-privileges=false'] }).noNewPrivileges, false);
  assert.equal(securityOptions({ SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable'] }).noNewPrivileges, false);
  assert.throws(() => securityOptions({ SecurityOpt: ['seccomp=/p.json'] }), /not supported by tsagent/);
  assert.throws(() => securityOptions({ SecurityOpt: ['bogus'] }), /invalid --security-opt 2: "bogus"/);
  assert.throws(() => securityOptions({ SecurityOpt: ['no-new-privileges:maybe'] }), /takes true or false/);
});

test('sysctls, unsupported fields, devices, groups', () => {
  assert.deepEqual(validateSysctls({ Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '5' } }), { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '5' });
  assert.throws(() => validateSysctls({ Sysctls: { 'kernel.hostname': 'x' } }), /not allowed/);
  assert.throws(() => validateSysctls({ NetworkMode: 'host', Sysctls: { 'net.core.somaxconn': '1' } }), /host network mode/);
  assert.throws(() => validateRunOptions({ CpuRealtimeRuntime: 1000 }), /--cpu-rt-runtime/);
  assert.throws(() => validateRunOptions({ MemorySwappiness: 101 }), /swappiness range is 0-100/);
  assert.throws(() => validateRunOptions({ Memory: 10 << 20, MemoryReservation: 20 << 20 }), /memory reservation/);
  assert.throws(() => validateRunOptions({ Devices: [{ PathOnHost: 'dev/null' }] }), /must be absolute/);
  assert.throws(() => validateRunOptions({ Devices: [{ PathOnHost: '/dev/null', CgroupPermissions: 'rx' }] }), /cgroup permissions/);
  validateRunOptions({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n2', CgroupPermissions: 'rw' }], MemorySwappiness: -1 });
  assert.deepEqual(groupAddGids(['users', '77'], 'root:x:0:\nusers:x:100:bob\n'), [100, 77]);
  assert.throws(() => groupAddGids(['ghosts'], 'root:x:0:\n'), /Unable to find group ghosts/);
});

test('extendSpec adds device nodes and rules, sysctls, memory knobs and groups', () => {
  const spec = { process: { user: { uid: 0, gid: 0, additionalGids: [0] } }, linux: { resources: { devices: [{ allow: false, access: 'rwm' }] } } };
  extendSpec(spec, { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n2', CgroupPermissions: 'rw' }], Sysctls: { 'net.ipv4.ip_forward': '1' },
    MemoryReservation: 8 << 20, MemorySwappiness: 0, OomKillDisable: true, CpusetMems: '0' }, [100]);
  const l = spec.linux as unknown as { devices: Array<Record<string, unknown>>; sysctl: Record<string, string>; resources: { devices: unknown[]; memory: Record<string, unknown>; cpu: Record<string, unknown> } };
  assert.deepEqual({ ...l.devices[0], fileMode: 0, uid: 0, gid: 0 }, { path: '/dev/n2', type: 'c', major: 1, minor: 3, fileMode: 0, uid: 0, gid: 0 });
  assert.deepEqual(l.resources.devices[1], { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
  assert.deepEqual(l.sysctl, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(l.resources.memory, { reservation: 8 << 20, swappiness: 0, disableOOMKiller: true });
  assert.deepEqual(l.resources.cpu, { mems: '0' });
  assert.deepEqual(spec.process.user.additionalGids, [0, 100]);
  const w = initWrap(['sh', '-c', 'x'], '/usr/bin/tini-static');
  assert.deepEqual(w.args, [INIT_PATH, '--', 'sh', '-c', 'x']);
  assert.deepEqual(w.mount.options, ['bind', 'ro', 'rprivate']);
});
