import { TsmError } from '../../core/errors';

/** Why a VBoxManage call failed, read from its `VBoxManage: error:` lines. */
export type VBoxFailure =
  | 'missing' // VBoxManage could not be run at all
  | 'vm-not-found'
  | 'not-running'
  | 'locked'
  | 'file-not-found'
  | 'if-not-found'
  | 'dhcp-not-found'
  | 'access-denied' // VBoxSVC refused this user
  | 'no-service' // VBoxSVC could not be reached
  | 'failed';

const PATTERNS: Array<[VBoxFailure, RegExp]> = [
  ['vm-not-found', /Could not find a registered machine (named|with UUID)/],
  ['not-running', /is not currently running/],
  ['locked', /already locked|is locked|while it is locked/],
  ['file-not-found', /VERR_FILE_NOT_FOUND|Could not find file for the medium/],
  ['if-not-found', /host network interface named '.*' could not be found|Failed to locate host-only interface/],
  ['dhcp-not-found', /Failed to find DHCP server/],
  ['access-denied', /E_ACCESSDENIED|Access denied|NS_ERROR_ACCESS_DENIED/],
  ['no-service', /Failed to create the VirtualBox object|VirtualBox COM server is not running/],
];

export function classifyVBoxError(stderr: string): VBoxFailure {
  return PATTERNS.find(([, re]) => re.test(stderr))?.[0] ?? 'failed';
}

/** The lines that say what went wrong, without the Details:/Context: noise. */
export function vboxErrorText(stderr: string, stdout = ''): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^VBoxManage(\.exe)?: error: /, '').trim())
    .filter((l) => l && !/^(Details|Context): /.test(l) && !/^(\d+%\.\.\.)+/.test(l));
  return (lines.join('; ') || stdout.trim().split(/\r?\n/).pop() || 'no output').slice(0, 600);
}

const SUGGESTIONS: Partial<Record<VBoxFailure, string>> = {
  missing: 'install VirtualBox 6.1 or newer (https://www.virtualbox.org), or point TSMACHINE_VBOXMANAGE at VBoxManage',
  'access-denied': 'this user is not authorized to use VirtualBox: on Linux add it to the vboxusers group and log in again',
  'no-service': 'VirtualBox\'s service (VBoxSVC) does not start for this user: run "VBoxManage list vms" to see why (kernel modules, permissions)',
  locked: 'another VirtualBox session holds the VM (the GUI?): close it and retry',
};

/** A failed VBoxManage call: `failure` says why, the message names the call. */
export class VBoxManageError extends TsmError {
  readonly failure: VBoxFailure;
  readonly args: readonly string[];

  constructor(args: readonly string[], failure: VBoxFailure, detail: string, cause?: unknown) {
    const auth = failure === 'access-denied' ? ' (not authorized)' : '';
    super('DRIVER_ERROR', `VBoxManage ${args.slice(0, 2).join(' ')} failed${auth}: ${detail}`, { suggestion: SUGGESTIONS[failure], cause });
    this.failure = failure;
    this.args = args;
  }
}

export function isVBoxFailure(e: unknown, ...failures: VBoxFailure[]): e is VBoxManageError {
  return e instanceof VBoxManageError && failures.includes(e.failure);
}
