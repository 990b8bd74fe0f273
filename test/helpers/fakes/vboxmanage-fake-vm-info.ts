/** `showvminfo --machinereadable` of the fake VBoxManage, in VirtualBox 7.0's order and quoting. */
import { dirname } from 'node:path';
import type { FakeVm } from './vboxmanage-fake-state';

const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

function nicLines(vm: FakeVm): string[] {
  const out: string[] = [];
  for (let i = 1; i <= 8; i++) {
    const nic = vm.nics[String(i)];
    if (!nic || nic.attachment === 'none') {
      out.push(`nic${i}="none"`);
      continue;
    }
    if (nic.attachment === 'nat') out.push(`natnet${i}="nat"`);
    if (nic.attachment === 'hostonly') out.push(`hostonlyadapter${i}=${q(nic.hostOnlyAdapter ?? '')}`);
    out.push(`macaddress${i}="${nic.mac}"`, `cableconnected${i}="${nic.cable ? 'on' : 'off'}"`, `nic${i}="${nic.attachment}"`, `nictype${i}="${nic.type}"`, `nicspeed${i}="0"`);
    if (nic.attachment === 'nat') {
      out.push('mtu="0"', 'sockSnd="64"', 'sockRcv="64"', 'tcpWndSnd="64"', 'tcpWndRcv="64"');
      if (i === 1) vm.natpf.forEach((rule, n) => out.push(`Forwarding(${n})=${q(rule)}`));
    }
  }
  return out;
}

function storageLines(vm: FakeVm): string[] {
  const out: string[] = [];
  vm.controllers.forEach((c, i) => {
    out.push(`storagecontrollername${i}=${q(c.name)}`, `storagecontrollertype${i}="IntelAhci"`, `storagecontrollerinstance${i}="0"`, `storagecontrollermaxportcount${i}="30"`, `storagecontrollerportcount${i}="2"`, `storagecontrollerbootable${i}="on"`);
  });
  for (const c of vm.controllers) {
    for (let port = 0; port < 2; port++) {
      const a = vm.attachments.find((x) => x.controller === c.name && x.port === port && x.device === 0);
      out.push(`${q(`${c.name}-${port}-0`)}=${q(a ? a.medium : 'none')}`);
      if (a?.type === 'dvddrive') out.push(`${q(`${c.name}-IsEjected`)}="off"`);
    }
  }
  return out;
}

export function showVmInfo(vm: FakeVm): string {
  const lines = [
    `name=${q(vm.name)}`,
    'Encryption="disabled"',
    'groups="/"',
    `ostype="${vm.ostype === 'Linux_64' ? 'Other Linux (64-bit)' : vm.ostype}"`,
    `UUID="${vm.uuid}"`,
    `CfgFile=${q(vm.cfgFile)}`,
    `SnapFldr=${q(`${dirname(vm.cfgFile)}/Snapshots`)}`,
    `LogFldr=${q(`${dirname(vm.cfgFile)}/Logs`)}`,
    `memory=${vm.memory}`,
    'pagefusion="off"',
    'vram=8',
    `cpus=${vm.cpus}`,
    `acpi="${vm.settings['--acpi'] ?? 'on'}"`,
    `ioapic="${vm.settings['--ioapic'] ?? 'on'}"`,
    `boot1="${vm.settings['--boot1'] ?? 'floppy'}"`,
    `boot2="${vm.settings['--boot2'] ?? 'dvd'}"`,
    `rtcuseutc="${vm.settings['--rtcuseutc'] ?? 'off'}"`,
    `VMState="${vm.state}"`,
    'VMStateChangeTime="2025-01-01T00:00:00.000000000"',
    ...storageLines(vm),
    ...nicLines(vm),
    'hidpointing="ps2mouse"',
    'hidkeyboard="ps2kbd"',
    ...vm.sharedFolders.flatMap((f, i) => [`SharedFolderNameMachineMapping${i + 1}=${q(f.name)}`, `SharedFolderPathMachineMapping${i + 1}=${q(f.hostPath)}`]),
  ];
  if (vm.state === 'running') lines.push('VideoMode="720,400,0"@0,0 1', 'GuestAdditionsRunLevel=0');
  return `${lines.join('\n')}\n`;
}
