import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecResult } from '../../../src/core/exec';
import { isTsmError } from '../../../src/core/errors';
import { parseMounts, type LocalHostApi } from '../../../src/drivers/local/api';
import { localConfigFromFlags } from '../../../src/drivers/local/config';
import { localPreCreateCheck } from '../../../src/drivers/local/preflight';

const EXT4 = 0xef53;
const OVERLAYFS = 0x794c7630;

interface FakeHost {
  platform?: NodeJS.Platform;
  root?: boolean;
  programs?: string[];
  filesystems?: string;
  fsType?: number;
  mounts?: string;
  /** `ip -j -d -4 addr show` and `ip -j -4 route show` answers. */
  addrs?: unknown[];
  routes?: unknown[];
}

const ALL = ['ip', 'iptables', 'unshare', 'nsenter', 'pivot_root', 'mount', 'sshd', 'ssh-keygen', 'tini'];
const HYBRID = 'cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0';

/** A hand-written host: only what preCreateCheck reads; anything else is a test bug. */
function fakeHost(h: FakeHost = {}): LocalHostApi {
  const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: '' });
  const unused = () => {
    throw new Error('preCreateCheck must not change the host');
  };
  return {
    ip: async (args) => {
      if (args[0] === 'link') {
        const found = (h.addrs ?? []).some((a) => (a as { ifname: string }).ifname === args[args.length - 1]);
        return { code: found ? 0 : 1, stdout: '', stderr: found ? '' : 'Device does not exist.' };
      }
      return ok(JSON.stringify(args.includes('route') ? (h.routes ?? []) : (h.addrs ?? [])));
    },
    iptables: unused,
    which: async (p) => ((h.programs ?? ALL).includes(p) ? `/usr/bin/${p}` : undefined),
    spawnDetached: unused,
    procStat: unused,
    childPids: unused,
    kill: unused,
    mounts: async () => parseMounts(h.mounts ?? HYBRID),
    fsType: () => h.fsType ?? EXT4,
    tcpProbe: unused,
    readFile: async (p) => (p === '/proc/filesystems' ? (h.filesystems ?? 'nodev\tproc\nnodev\toverlay\n') : undefined),
    writeFile: unused,
    mkdirp: unused,
    subdirs: unused,
    rmdir: unused,
    rmTree: unused,
    isRoot: () => h.root ?? true,
    platform: () => h.platform ?? 'linux',
  };
}

const defaults = localConfigFromFlags({}).config;

test('a ready host passes', async () => {
  await localPreCreateCheck(fakeHost({ routes: [{ dst: 'default', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }] }), '/store/machines/m', defaults);
});

test('not Linux, or not root: DRIVER_UNSUPPORTED saying so', async () => {
  await assert.rejects(localPreCreateCheck(fakeHost({ platform: 'darwin' }), '/m', defaults), (e: unknown) => isTsmError(e, 'DRIVER_UNSUPPORTED') && /Linux only/.test(e.message));
  await assert.rejects(localPreCreateCheck(fakeHost({ root: false }), '/m', defaults), (e: unknown) => isTsmError(e, 'DRIVER_UNSUPPORTED') && /needs root/.test(e.message) && /sudo/.test(e.suggestion ?? ''));
});

test('every missing program is reported at once, with its package', async () => {
  const host = fakeHost({ programs: ALL.filter((p) => !['tini', 'sshd', 'nsenter'].includes(p)) });
  await assert.rejects(localPreCreateCheck(host, '/m', defaults), (e: unknown) => {
    assert.ok(isTsmError(e, 'PRECREATE_FAILED'));
    const messages = e.problems.map((p) => `${p.message} (${p.suggestion})`);
    assert.equal(messages.length, 3, messages.join('\n'));
    assert.ok(messages.some((m) => /sshd is not installed .*openssh-server/.test(m)));
    assert.ok(messages.some((m) => /tini is not installed .*tini/.test(m)));
    assert.ok(messages.some((m) => /nsenter is not installed .*util-linux/.test(m)));
    return true;
  });
});

test('no overlayfs, a store on overlayfs, no cgroups, a limit without controller, a colliding subnet: all reported', async () => {
  const host = fakeHost({ filesystems: 'nodev\tproc\n', fsType: OVERLAYFS, mounts: 'proc /proc proc rw 0 0', routes: [{ dst: '10.213.0.0/16', dev: 'wg0' }] });
  const config = localConfigFromFlags({ 'local-memory': 512 }).config;
  await assert.rejects(localPreCreateCheck(host, '/m', config), (e: unknown) => {
    assert.ok(isTsmError(e, 'PRECREATE_FAILED'));
    assert.deepEqual(e.problems.map((p) => p.field), ['host', 'store', 'host', '--local-memory', '--local-subnet']);
    return true;
  });
});

test('a bridge of that name with another subnet is refused', async () => {
  const host = fakeHost({ addrs: [{ ifname: 'tsm0', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.50.0.1', prefixlen: 24 }] }] });
  await assert.rejects(localPreCreateCheck(host, '/m', defaults), (e: unknown) => isTsmError(e, 'PRECREATE_FAILED') && e.problems[0].field === '--local-subnet' && /10\.50\.0\.1\/24/.test(e.problems[0].message));
});
