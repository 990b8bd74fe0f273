import { dirname, join } from 'node:path';
import type { MachineState } from '../driver';
import type { VBoxHost } from './host';

/** VBoxManage's VMState values (showvminfo --machinereadable) as docker-machine's states. */
const STATES: Record<string, MachineState> = {
  running: 'Running',
  teleporting: 'Running',
  livesnapshotting: 'Running',
  onlinesnapshotting: 'Running',
  paused: 'Paused',
  teleportingpausedvm: 'Paused',
  saved: 'Saved',
  poweroff: 'Stopped',
  aborted: 'Stopped',
  'aborted-saved': 'Saved',
  starting: 'Starting',
  restoring: 'Starting',
  teleportingin: 'Starting',
  stopping: 'Stopping',
  saving: 'Stopping',
  stuck: 'Error',
  gurumeditation: 'Error',
};

export function vmStateOf(vmState: string | undefined): MachineState {
  if (vmState === undefined) return 'None';
  return STATES[vmState.toLowerCase()] ?? 'None';
}

/** docker-machine's reading of VBox.log: VirtualBox could not use VT-x/AMD-V for the VM. */
export function vtxFailureInLog(log: string): boolean {
  return log.split(/\r?\n/).some(
    (l) =>
      (l.includes('VT-x is disabled') && !l.includes('Falling back to raw-mode')) ||
      l.includes('the host CPU does NOT support HW virtualization') ||
      l.includes('VERR_VMX_UNABLE_TO_START_VM') ||
      (l.includes('Power up failed') && l.includes('VERR_VMX_NO_VMX')) ||
      l.includes('VERR_SVM_DISABLED'),
  );
}

/** What VBox.log (next to the VM's settings file) says about a failed start, as " (...)" or "". */
export async function vboxLogHint(host: VBoxHost, cfgFile: string | undefined): Promise<string> {
  if (!cfgFile) return '';
  const log = join(dirname(cfgFile), 'Logs', 'VBox.log');
  const text = await host.readFile(log);
  if (text === undefined) return '';
  if (vtxFailureInLog(text)) return ' (VBox.log: hardware virtualization VT-x/AMD-V is not available to VirtualBox)';
  const last = text.split(/\r?\n/).filter((l) => /VERR_|error/i.test(l)).pop();
  return last ? ` (${log}: ${last.trim()})` : '';
}
