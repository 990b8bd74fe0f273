import { TsmError } from '../core/errors';
import { silentProgress, step, type ProgressSink } from '../core/progress';
import type { OsFamily, OsRelease } from './os-release';
import { shJoin } from './shell-quote';
import type { SshClient } from './ssh-client';
import { INIT_BINARIES } from '../agent/containers/init-binaries';

/** What tsagent needs on the host. */
export type Requirement = 'runtime' | 'conmon' | 'iptables' | 'socat' | 'node';

/** What the probe found. */
export interface HostTools {
  /** runc or crun. */
  runtime: boolean;
  conmon: boolean;
  iptables: boolean;
  /** socat relays keyboard input to conmon's attach socket (docker run -it, exec -it). */
  socat: boolean;
  /** A static tini for `docker run --init` (optional: without it only --init is refused). */
  init: boolean;
  /** setfattr, for layer members' extended attributes (optional: without it they are skipped with a warning). */
  xattr: boolean;
  /** `node --version` output (`v20.11.1`), or '' when node is missing. */
  nodeVersion: string;
}

export const MIN_NODE_MAJOR = 18;

const SYSTEM_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH';

const has = (name: string, cmd: string) =>
  `if ${cmd}; then echo ${name}=yes; else echo ${name}=no; fi`;

/** Prints `runtime=yes|no`, `conmon=...`, `iptables=...`, `socat=...`, `init=...`, `xattr=...`, `node=<version>`. Needs no root. */
export const PROBE_SCRIPT = [
  SYSTEM_PATH,
  has('runtime', 'command -v runc >/dev/null 2>&1 || command -v crun >/dev/null 2>&1'),
  has('conmon', 'command -v conmon >/dev/null 2>&1'),
  has('iptables', 'command -v iptables >/dev/null 2>&1'),
  has('socat', 'command -v socat >/dev/null 2>&1'),
  has('init', INIT_BINARIES.map((p) => `[ -x ${p} ]`).join(' || ')),
  has('xattr', 'command -v setfattr >/dev/null 2>&1'),
  'echo "node=$(node --version 2>/dev/null || true)"',
].join('\n');

export function parseProbe(output: string): HostTools {
  const v: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) v[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return { runtime: v.runtime === 'yes', conmon: v.conmon === 'yes', iptables: v.iptables === 'yes', socat: v.socat === 'yes', init: v.init === 'yes', xattr: v.xattr === 'yes', nodeVersion: v.node ?? '' };
}

/** Major version of `node --version` output (`v18.19.0` -> 18), undefined when unparsable. */
export function nodeMajor(version: string): number | undefined {
  const m = /^v?(\d+)\./.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

export function missingRequirements(t: HostTools): Requirement[] {
  const missing: Requirement[] = [];
  if (!t.runtime) missing.push('runtime');
  if (!t.conmon) missing.push('conmon');
  if (!t.iptables) missing.push('iptables');
  if (!t.socat) missing.push('socat');
  if ((nodeMajor(t.nodeVersion) ?? 0) < MIN_NODE_MAJOR) missing.push('node');
  return missing;
}

const PACKAGE_NAMES: Record<Requirement, string> = { runtime: 'runc', conmon: 'conmon', iptables: 'iptables', socat: 'socat', node: 'nodejs' };

/** What tsagent can do without, and the package that brings it, per family. */
const OPTIONAL: ReadonlyArray<{ has: (t: HostTools) => boolean; packages: Partial<Record<OsFamily, string>>; without: string }> = [
  // RHEL's base repositories have no static tini.
  { has: (t) => t.init, packages: { debian: 'tini', alpine: 'tini-static' }, without: '"docker run --init" will be refused until a static tini is installed (/usr/bin/tini-static)' },
  { has: (t) => t.xattr, packages: { debian: 'attr', alpine: 'attr', rhel: 'attr' }, without: 'extended attributes of image layers (file capabilities) will be skipped until setfattr is installed (package attr)' },
];

/** Distribution package names for the requirements (the same names in every supported family). */
export function packageNames(reqs: readonly Requirement[]): string[] {
  return reqs.map((r) => PACKAGE_NAMES[r]);
}

/** Waits (bounded) while another process holds the apt/dpkg locks (unattended-upgrades at first boot). */
const APT_LOCK_WAIT = [
  'i=0',
  'while command -v fuser >/dev/null 2>&1 && fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock >/dev/null 2>&1; do',
  '  i=$((i+1)); if [ "$i" -ge 150 ]; then echo "apt/dpkg is still locked by another process after 300s" >&2; exit 1; fi',
  '  sleep 2',
  'done',
];

/** The root shell script that installs `pkgs` with the family's package manager. */
export function installScript(family: OsFamily, pkgs: readonly string[], opts: { update?: boolean } = {}): string {
  const names = shJoin(pkgs);
  switch (family) {
    case 'debian':
      return [
        'set -e',
        'export DEBIAN_FRONTEND=noninteractive',
        ...APT_LOCK_WAIT,
        ...(opts.update === false ? [] : ['apt-get -o DPkg::Lock::Timeout=300 -q update']),
        `apt-get -o DPkg::Lock::Timeout=300 -q -y install --no-install-recommends ${names}`,
      ].join('\n');
    case 'rhel':
      return ['set -e', `if command -v dnf >/dev/null 2>&1; then dnf -y -q install ${names}; else yum -y -q install ${names}; fi`].join('\n');
    case 'alpine':
      return ['set -e', `apk add --wait 300 --no-cache ${names}`].join('\n');
    default:
      throw new RangeError(`no package manager for OS family ${family}`);
  }
}

/** Waits for cloud-init to finish (first boot of cloud images); prints `absent` or `status=<code>`. */
export const CLOUD_INIT_WAIT_SCRIPT = [
  'if ! command -v cloud-init >/dev/null 2>&1; then echo absent; exit 0; fi',
  'if command -v timeout >/dev/null 2>&1; then timeout 900 cloud-init status --wait >/dev/null 2>&1; else cloud-init status --wait >/dev/null 2>&1; fi',
  'echo "status=$?"',
].join('\n');

async function waitForCloudInit(ssh: SshClient, progress: ProgressSink): Promise<void> {
  const r = await ssh.run(CLOUD_INIT_WAIT_SCRIPT, { sudo: true, label: 'cloud-init status --wait' });
  const status = /status=(\d+)/.exec(r.stdout)?.[1];
  if (status === '124') progress({ kind: 'warn', message: `cloud-init on ${ssh.endpoint} did not finish within 15 minutes; continuing` });
  else if (status !== undefined && status !== '0') progress({ kind: 'warn', message: `cloud-init on ${ssh.endpoint} finished with errors (status ${status}); continuing` });
}

async function probe(ssh: SshClient): Promise<HostTools> {
  return parseProbe((await ssh.run(PROBE_SCRIPT, { label: 'check runc, conmon, iptables, socat and node' })).stdout);
}

const DESCRIBE: Record<Requirement, string> = { runtime: 'runc (or crun)', conmon: 'conmon', iptables: 'iptables', socat: 'socat', node: `Node.js >= ${MIN_NODE_MAJOR}` };

function missingError(ssh: SshClient, os: OsRelease, missing: Requirement[], t: HostTools, after: string): TsmError {
  const what = missing.map((r) => DESCRIBE[r]).join(', ');
  const node = missing.includes('node') && t.nodeVersion ? ` (node ${t.nodeVersion} found)` : '';
  return new TsmError('PROVISION_FAILED', `${os.prettyName} on ${ssh.endpoint} lacks ${what}${node} ${after}`, {
    suggestion: missing.includes('node')
      ? `install Node.js ${MIN_NODE_MAJOR} or newer on the host (e.g. from nodejs.org or NodeSource) and the other tools listed, then run "tsmachine provision <name>"`
      : `install ${what} on the host, then run "tsmachine provision <name>"`,
  });
}

/**
 * Makes sure runc/crun, conmon, iptables, socat and Node.js >= 18 are on the host, installing only
 * what is missing with the family's package manager (after cloud-init and the apt locks are
 * done). Throws PROVISION_FAILED when something is still missing. Returns what it installed.
 */
export async function ensurePackages(ssh: SshClient, os: OsRelease, progress: ProgressSink = silentProgress): Promise<string[]> {
  await step(progress, 'cloud-init', 'Waiting for cloud-init', () => waitForCloudInit(ssh, progress));
  const before = await probe(ssh);
  const missing = missingRequirements(before);
  const optional = OPTIONAL.filter((o) => !o.has(before));
  if (missing.length === 0 && optional.length === 0) return [];
  if (missing.length > 0 && (os.family === 'tsos' || os.family === 'unknown')) {
    throw missingError(ssh, os, missing, before, '(tsmachine cannot install packages on this OS)');
  }
  const pkgs = packageNames(missing);
  if (pkgs.length > 0) {
    await step(progress, 'packages', `Installing ${pkgs.join(', ')}`, () =>
      ssh.run(installScript(os.family, pkgs), { sudo: true, label: `install ${pkgs.join(' ')}` }),
    );
    const after = await probe(ssh);
    const still = missingRequirements(after);
    if (still.length > 0) throw missingError(ssh, os, still, after, `after installing ${pkgs.join(', ')}`);
  }
  for (const o of optional) pkgs.push(...(await installOptional(ssh, os, progress, o, pkgs.length === 0)));
  return pkgs;
}

/** Installs an optional package where the family has it; a failure only warns, naming what will not work. */
async function installOptional(ssh: SshClient, os: OsRelease, progress: ProgressSink, o: (typeof OPTIONAL)[number], update: boolean): Promise<string[]> {
  const pkg = o.packages[os.family];
  const warn = (why: string) => progress({ kind: 'warn', message: `${why}: on ${ssh.endpoint}, ${o.without}` });
  if (!pkg) {
    warn(`no package for ${os.prettyName}`);
    return [];
  }
  try {
    await step(progress, 'packages', `Installing ${pkg}`, () => ssh.run(installScript(os.family, [pkg], { update }), { sudo: true, label: `install ${pkg}` }));
  } catch (e) {
    warn(`${pkg} could not be installed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    return [];
  }
  if (!o.has(await probe(ssh))) {
    warn(`${pkg} is installed but did not bring it`);
    return [];
  }
  return [pkg];
}
