import { TsmError, type Problem } from '../../core/errors';
import type { VBoxManageApi } from './api';
import type { VirtualBoxConfig } from './config';
import type { VBoxHost } from './host';
import { contains, formatNet, netOf, overlaps, parseHostCidr, parseIpv4, prefixOfMask, type Ipv4Net } from './ipv4';
import { isVBoxFailure } from './vbox-error';
import { parseVersion, versionAtLeast, type HostOnlyIf, type VBoxVersion } from './vbox-parse';

export const MIN_VERSION = { major: 6, minor: 1, text: '6.1' };
const CIDR_FLAG = '--virtualbox-hostonly-cidr';

/** VBoxManage runs and is recent enough (6.1: the dhcpserver syntax and findlease the driver uses). */
export async function checkVBoxManage(api: VBoxManageApi): Promise<VBoxVersion> {
  let out: string;
  try {
    out = await api.version();
  } catch (e) {
    if (isVBoxFailure(e, 'missing')) {
      throw new TsmError('PRECREATE_FAILED', `VBoxManage was not found: ${e.message}`, { cause: e, suggestion: e.suggestion });
    }
    throw e;
  }
  const v = parseVersion(out);
  if (!v) throw new TsmError('PRECREATE_FAILED', `VBoxManage --version printed no version: "${out.slice(0, 200)}"`, { suggestion: 'check the VirtualBox installation (kernel modules, vboxdrv)' });
  if (!versionAtLeast(v, MIN_VERSION.major, MIN_VERSION.minor)) {
    throw new TsmError('PRECREATE_FAILED', `VirtualBox ${v.text} is too old: tsmachine needs ${MIN_VERSION.text} or newer`, { suggestion: 'upgrade VirtualBox from https://www.virtualbox.org' });
  }
  return v;
}

/**
 * VirtualBox 7 on macOS replaced host-only interfaces (`hostonlyif`) with host-only networks
 * (`hostonlynet`, vmnet). This driver speaks the former only.
 */
export function checkPlatform(v: VBoxVersion, platform: NodeJS.Platform): void {
  if (platform === 'darwin' && v.major >= 7) {
    throw new TsmError('DRIVER_UNSUPPORTED', `VirtualBox ${v.text} on macOS has host-only networks (hostonlynet), not the host-only interfaces the virtualbox driver uses`, {
      suggestion: 'use VirtualBox 6.1 on macOS, or another driver (qemu)',
    });
  }
}

/** docker-machine's check: the CPU flags must show vmx (Intel) or svm (AMD). Unknown (not Linux): pass. */
export function vtxProblem(cpuInfo: string | undefined): Problem | undefined {
  if (cpuInfo === undefined || /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuInfo)) return undefined;
  return {
    field: '--virtualbox-no-vtx-check',
    message: 'this computer offers no hardware virtualization (VT-x/AMD-V): VirtualBox cannot boot a 64-bit VM',
    suggestion: 'enable VT-x/AMD-V in the BIOS/UEFI (or, inside a VM, nested virtualization); --virtualbox-no-vtx-check skips this check',
  };
}

function ifNet(n: HostOnlyIf): Ipv4Net | undefined {
  const ip = n.ip ? parseIpv4(n.ip) : undefined;
  const prefix = n.netmask ? prefixOfMask(n.netmask) : undefined;
  return ip !== undefined && prefix !== undefined ? netOf(ip, prefix) : undefined;
}

/**
 * The host-only CIDR must not collide with the host's other networks nor with another host-only
 * interface; an interface with exactly this address and mask is the one create reuses.
 */
export function cidrProblems(cidr: string, ifs: HostOnlyIf[], host: VBoxHost): Problem[] {
  const parsed = parseHostCidr(cidr);
  if (typeof parsed === 'string') return [{ field: CIDR_FLAG, message: parsed }];
  const mask = parsed.net.prefix;
  const hostIp = cidr.split('/')[0];
  const problems: Problem[] = [];
  const same = ifs.filter((n) => n.ip === hostIp);
  if (same.length > 1) {
    problems.push({ field: CIDR_FLAG, message: `host-only interfaces ${same.map((n) => n.name).join(' and ')} all have the address ${hostIp}`, suggestion: 'remove one of them in VirtualBox' });
  }
  const reused = new Set(ifs.filter((n) => n.ip === hostIp && n.netmask && prefixOfMask(n.netmask) === mask).map((n) => n.name));
  const clash = (what: string, net: Ipv4Net) =>
    problems.push({ field: CIDR_FLAG, message: `${cidr} overlaps ${what} (${formatNet(net)})`, suggestion: 'choose a network that is free on this host, e.g. 192.168.57.1/24' });
  for (const n of ifs) {
    const net = ifNet(n);
    if (net && !reused.has(n.name) && overlaps(net, parsed.net)) clash(`host-only interface ${n.name}`, net);
  }
  for (const a of host.addresses()) {
    const ip = parseIpv4(a.address);
    if (ip === undefined || reused.has(a.ifName) || ifs.some((n) => n.name === a.ifName)) continue;
    const net = netOf(ip, a.prefix);
    if (a.prefix > 0 && overlaps(net, parsed.net)) clash(`host interface ${a.ifName}`, net);
  }
  return problems;
}

/**
 * VirtualBox 6.1.28+ (Linux, macOS) refuses host-only addresses outside the ranges
 * /etc/vbox/networks.conf allows ("* 10.0.0.0/8 192.168.0.0/16"); without the file: 192.168.56.0/21.
 */
export async function allowedRangeProblem(cidr: string, version: VBoxVersion, host: VBoxHost): Promise<Problem | undefined> {
  if (host.platform === 'win32' || !versionAtLeast(version, 6, 1, 28)) return undefined;
  const parsed = parseHostCidr(cidr);
  if (typeof parsed === 'string') return undefined;
  const conf = await host.readFile('/etc/vbox/networks.conf');
  const ranges = conf === undefined ? ['192.168.56.0/21'] : conf.split(/\r?\n/).filter((l) => /^\s*\*/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const nets = ranges.map((r) => parseHostCidr(r)).filter((r): r is { ip: number; net: Ipv4Net } => typeof r !== 'string');
  if (nets.some((r) => contains(r.net, parsed.net))) return undefined;
  return {
    field: CIDR_FLAG,
    message: `VirtualBox ${version.text} only allows host-only networks in ${ranges.join(' ') || 'no range'} (/etc/vbox/networks.conf), not ${formatNet(parsed.net)}`,
    suggestion: `use an address in 192.168.56.0/21, e.g. 192.168.56.1/24, or allow the network with a line "* ${formatNet(parsed.net)}" in /etc/vbox/networks.conf`,
  };
}

/** Throws one PRECREATE_FAILED listing every problem. */
export function throwPrecheckProblems(problems: Problem[]): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => `${p.field}: ${p.message}`);
  throw new TsmError('PRECREATE_FAILED', lines.length === 1 ? lines[0] : `${lines.length} problems:\n  ${lines.join('\n  ')}`, {
    suggestion: problems[0].suggestion,
    problems,
  });
}

export function shareProblem(config: VirtualBoxConfig, exists: boolean): Problem | undefined {
  if (!config.shareFolder || config.noShare || exists) return undefined;
  return { field: '--virtualbox-share-folder', message: `${config.shareFolder.dir} does not exist`, suggestion: 'give an existing folder, or --virtualbox-no-share' };
}
