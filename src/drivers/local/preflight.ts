import { TsmError, type Problem } from '../../core/errors';
import type { LocalHostApi } from './api';
import { cgroupHierarchies, missingControllers } from './cgroups';
import type { LocalConfig } from './config';
import { LocalNetwork, subnetProblems } from './network';

/** Programs a local machine needs on the host, and the Debian package that has each. */
export const REQUIRED_PROGRAMS: Record<string, string> = {
  ip: 'iproute2',
  iptables: 'iptables',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  pivot_root: 'util-linux',
  mount: 'mount',
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
};

const OVERLAYFS_MAGIC = 0x794c7630;

/** The host paths of the programs the machine runs, resolved on the host (the machine sees the same files). */
export interface HostPrograms {
  nsenter: string;
  unshare: string;
  sshd: string;
  tini: string;
}

/** Resolves the programs, or reports each missing one. */
export async function findPrograms(api: LocalHostApi, problems: Problem[]): Promise<HostPrograms> {
  const found: Record<string, string> = {};
  for (const [prog, pkg] of Object.entries(REQUIRED_PROGRAMS)) {
    const p = await api.which(prog);
    if (p) found[prog] = p;
    else problems.push({ field: 'host', message: `${prog} is not installed`, suggestion: `install ${pkg} (apt-get install ${pkg})` });
  }
  const tini = (await api.which('tini')) ?? (await api.which('tini-static'));
  if (!tini) problems.push({ field: 'host', message: 'tini is not installed', suggestion: 'install tini (apt-get install tini)' });
  return { nsenter: found.nsenter, unshare: found.unshare, sshd: found.sshd, tini: tini ?? '' };
}

/** Platform checks that make every other check meaningless when they fail. */
function platformError(api: LocalHostApi): TsmError | undefined {
  if (api.platform() !== 'linux') {
    return new TsmError('DRIVER_UNSUPPORTED', `the local driver runs on Linux only (this is ${api.platform()})`, {
      suggestion: 'use a VM driver (qemu, virtualbox) or a cloud driver instead',
    });
  }
  if (!api.isRoot()) {
    return new TsmError('DRIVER_UNSUPPORTED', 'the local driver needs root (it makes namespaces, mounts, cgroups and a bridge)', {
      suggestion: 'run tsmachine as root, e.g. with sudo -E',
    });
  }
  return undefined;
}

async function kernelProblems(api: LocalHostApi, machineDir: string, config: LocalConfig): Promise<Problem[]> {
  const problems: Problem[] = [];
  const filesystems = (await api.readFile('/proc/filesystems')) ?? '';
  if (!/\toverlay$/m.test(filesystems)) {
    problems.push({ field: 'host', message: 'the kernel has no overlay filesystem', suggestion: 'load it: modprobe overlay' });
  }
  if (api.fsType(machineDir) === OVERLAYFS_MAGIC) {
    problems.push({ field: 'store', message: `${machineDir} is on overlayfs, which cannot hold a machine's upper layer`, suggestion: 'put the store (TSMACHINE_STORAGE_PATH) on a real filesystem such as ext4 or xfs' });
  }
  const hs = cgroupHierarchies(await api.mounts());
  if (hs.length === 0) problems.push({ field: 'host', message: 'no cgroup filesystem is mounted under /sys/fs/cgroup', suggestion: 'mount cgroup2 on /sys/fs/cgroup' });
  const v2 = ((await api.readFile('/sys/fs/cgroup/cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
  for (const c of missingControllers(hs, config, v2)) {
    problems.push({ field: c === 'memory' ? '--local-memory' : '--local-cpus', message: `the host has no ${c} cgroup controller to enforce the limit`, suggestion: `drop the flag or enable the ${c} controller` });
  }
  return problems;
}

/** preCreateCheck: platform, programs, kernel features, cgroups and a free subnet. Creates nothing. */
export async function localPreCreateCheck(api: LocalHostApi, machineDir: string, config: LocalConfig): Promise<void> {
  const fatal = platformError(api);
  if (fatal) throw fatal;
  const problems: Problem[] = [];
  await findPrograms(api, problems);
  problems.push(...(await kernelProblems(api, machineDir, config)));
  if (!problems.some((p) => p.message.startsWith('ip '))) {
    const host = await new LocalNetwork(api).hostNetworks(config.bridge);
    problems.push(...subnetProblems(config.bridge, config.subnet, host));
  }
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  ${p.field}: ${p.message}${p.suggestion ? ` (${p.suggestion})` : ''}`);
  throw new TsmError('PRECREATE_FAILED', `this host cannot run local machines yet:\n${lines.join('\n')}`, { problems, suggestion: problems[0].suggestion });
}
