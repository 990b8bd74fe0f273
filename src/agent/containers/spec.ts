/**
 * Generates the OCI runtime spec (config.json) for a container. Pure: everything it needs
 * is in SpecInput, so it is unit-tested without a runtime.
 */

export interface SpecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface SpecInput {
  id: string;
  hostname: string;
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: SpecUser;
  tty: boolean;
  /** cgroupsPath, `<cgroup-parent>/<id>`. */
  cgroupsPath: string;
  /** Files bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etc: { hosts: string; hostname: string; resolvConf: string };
  /** "host" shares the host's network namespace; anything else gets a new one (only lo for now). */
  networkMode: string;
  /** The network namespace to join (set up by network/), instead of a new one. */
  netnsPath?: string;
  privileged: boolean;
  /** Capabilities the engine itself holds (its bounding set); "all" means these. */
  availableCaps?: readonly string[];
  capAdd: string[];
  capDrop: string[];
  readonlyRootfs: boolean;
  /** Extra mounts (binds, tmpfs) in order. */
  mounts: SpecMount[];
  resources: { memory?: number; memorySwap?: number; cpuShares?: number; cpuQuota?: number; cpuPeriod?: number; cpusetCpus?: string; pidsLimit?: number };
  shmSize: number;
  oomScoreAdj: number;
  /** process.rlimits (--ulimit). */
  rlimits?: Array<{ type: string; hard: number; soft: number }>;
  /** --security-opt no-new-privileges. */
  noNewPrivileges?: boolean;
  /** Device nodes to create (privileged containers get the host's). */
  devices?: Array<Record<string, unknown>>;
}

/** Docker's default capability set. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability Linux defines (0..40), for privileged containers and `--cap-add ALL`. */
export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Normalises "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" to "CAP_NET_ADMIN"; "ALL" stays. */
export function normalizeCap(c: string): string {
  const u = c.trim().toUpperCase();
  return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
}

/**
 * The capability set after --cap-add/--cap-drop, as dockerd computes it. "All" (privileged,
 * `--cap-add ALL`) means every capability in `available` (the agent's bounding set: a
 * container cannot get more than its engine has). Throws on unknown names.
 */
export function capabilities(privileged: boolean, add: string[], drop: string[], available: readonly string[] = ALL_CAPS): string[] {
  const all = ALL_CAPS.filter((c) => available.includes(c));
  if (privileged) return all;
  const a = add.map(normalizeCap);
  const d = drop.map(normalizeCap);
  for (const c of [...a, ...d]) if (c !== 'ALL' && !ALL_CAPS.includes(c)) throw new Error(`unknown capability: "${c}"`);
  let caps = d.includes('ALL') ? [] : DEFAULT_CAPS.filter((c) => !d.includes(c));
  caps = a.includes('ALL') ? all : [...caps, ...a.filter((c) => !caps.includes(c))];
  return caps;
}

/** Capability names in a /proc/<pid>/status CapBnd mask. */
export function capsFromMask(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask.trim()}`);
  return ALL_CAPS.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

interface DeviceRule { allow: boolean; access: string; type?: string; major?: number; minor?: number }

function deviceRules(privileged: boolean): DeviceRule[] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  const c = (major: number, minor?: number): DeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    c(1, 3), c(1, 8), c(1, 7), c(5, 0), c(1, 5), c(1, 9), c(5, 1), c(136), c(5, 2), c(10, 200),
  ];
}

function standardMounts(input: SpecInput): SpecMount[] {
  const ro = input.privileged ? [] : ['ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...ro, 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${input.shmSize}`] },
    { destination: '/etc/resolv.conf', type: 'bind', source: input.etc.resolvConf, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: input.etc.hostname, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: input.etc.hosts, options: ['rbind', 'rprivate'] },
  ];
}

function resources(input: SpecInput): Record<string, unknown> {
  const r = input.resources;
  const out: Record<string, unknown> = { devices: deviceRules(input.privileged) };
  if (r.memory) out.memory = { limit: r.memory, ...(r.memorySwap ? { swap: r.memorySwap } : {}) };
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  return out;
}

/** dockerd's order: PATH and HOSTNAME (and TERM with a TTY) first, then the container's Env replacing or appending. */
export function containerEnv(env: string[], hostname: string, tty: boolean): string[] {
  const out = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  for (const e of env) {
    const key = e.split('=')[0];
    const i = out.findIndex((o) => o.split('=')[0] === key);
    if (i === -1) out.push(e);
    else out[i] = e;
  }
  return out;
}

/** The OCI runtime spec for one container. */
export function generateSpec(input: SpecInput): Record<string, unknown> {
  const caps = capabilities(input.privileged, input.capAdd, input.capDrop, input.availableCaps);
  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.networkMode !== 'host') namespaces.push({ type: 'network', ...(input.netnsPath ? { path: input.netnsPath } : {}) });
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: input.tty,
      user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids.length ? { additionalGids: input.user.additionalGids } : {}) },
      args: input.args,
      env: containerEnv(input.env, input.hostname, input.tty),
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: !!input.noNewPrivileges,
      oomScoreAdj: input.oomScoreAdj,
      ...(input.rlimits?.length ? { rlimits: input.rlimits } : {}),
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    hostname: input.hostname,
    mounts: [...standardMounts(input), ...input.mounts],
    linux: {
      resources: resources(input),
      ...(input.devices?.length ? { devices: input.devices } : {}),
      cgroupsPath: input.cgroupsPath,
      namespaces,
      maskedPaths: input.privileged ? [] : MASKED_PATHS,
      readonlyPaths: input.privileged ? [] : READONLY_PATHS,
    },
  };
}
