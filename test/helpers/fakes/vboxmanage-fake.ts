#!/usr/bin/env node
/**
 * A fake VBoxManage: a program that answers like VirtualBox 7.0's VBoxManage (output formats,
 * error texts, exit codes) from a JSON state file named by VBOXMANAGE_FAKE_STATE. Run directly
 * (`node vboxmanage-fake.js list vms`) or, for fast tests, through `runVBoxManage` in-process.
 *
 * Failure injection lives in the state: `failOn` (the next call of that name fails),
 * `rejectAll` (VBoxSVC refuses the user), `behaviour` (boot and shutdown timing, Guest Additions,
 * VT-x, allowed host-only ranges).
 */
import { closemedium, createmedium, listHdds } from './vboxmanage-fake-media';
import { dhcpserver, hostonlyif, listDhcpServers, listHostOnlyIfs } from './vboxmanage-fake-net';
import { accessDenied, fail, fileStore, ok, syntax, type FakeResult, type FakeState, type FakeStore } from './vboxmanage-fake-state';
import { controlvm, createvm, guestproperty, listVms, modifyvm, sharedfolder, showvminfo, startvm, storageattach, storagectl, unregistervm } from './vboxmanage-fake-vm';

/** The name failOn/onCall use for a call: "createvm", "hostonlyif create", "controlvm poweroff", ... */
export function callName(args: readonly string[]): string {
  const [cmd, sub] = args;
  if (cmd === '--version' || cmd === '-v' || cmd === '-version') return 'version';
  if (cmd === 'createhd') return 'createmedium';
  if (cmd === 'controlvm') return `controlvm ${args[2] ?? ''}`;
  if (['list', 'hostonlyif', 'dhcpserver', 'guestproperty', 'sharedfolder'].includes(cmd)) return `${cmd} ${sub ?? ''}`;
  return cmd ?? '';
}

function list(s: FakeState, what: string | undefined): FakeResult {
  switch (what) {
    case 'vms':
      return listVms(s, false);
    case 'runningvms':
      return listVms(s, true);
    case 'hostonlyifs':
      return listHostOnlyIfs(s);
    case 'dhcpservers':
      return listDhcpServers(s);
    case 'hdds':
      return listHdds(s);
    default:
      return syntax(`Unknown subcommand '${what}'`);
  }
}

const COMMANDS: Record<string, (s: FakeState, args: string[]) => FakeResult> = {
  list: (s, a) => list(s, a[0]),
  showvminfo: showvminfo,
  createvm: createvm,
  modifyvm: modifyvm,
  storagectl: storagectl,
  storageattach: storageattach,
  createmedium: createmedium,
  createhd: createmedium,
  closemedium: closemedium,
  sharedfolder: sharedfolder,
  guestproperty: guestproperty,
  startvm: startvm,
  controlvm: controlvm,
  unregistervm: unregistervm,
  hostonlyif: hostonlyif,
  dhcpserver: dhcpserver,
};

/** Runs one VBoxManage invocation against `s` (mutated in place). */
export function runVBoxManage(s: FakeState, args: string[]): FakeResult {
  s.calls.push([...args]);
  const name = callName(args);
  if (name === 'version') return ok(`${s.version}\n`);
  if (s.rejectAll) return accessDenied();
  const injected = s.failOn.indexOf(name);
  if (injected >= 0) {
    s.failOn.splice(injected, 1);
    return fail([`Code NS_ERROR_FAILURE (0x80004005) - Operation failed (injected into "${name}")`, `Context: "${name}" at line 1 of file VBoxManage.cpp`]);
  }
  const handler = COMMANDS[args[0] ?? ''];
  if (!handler) return syntax(`Invalid command '${args[0] ?? ''}'`);
  return handler(s, args.slice(1));
}

/** Loads the state, runs the call, saves the state (also after a failed call: VirtualBox keeps partial work). */
export function runWithStore(store: FakeStore, args: string[]): FakeResult {
  const s = store.load();
  const r = runVBoxManage(s, args);
  store.save(s);
  return r;
}

function main(): void {
  const path = process.env.VBOXMANAGE_FAKE_STATE;
  if (!path) {
    process.stderr.write('VBoxManage (fake): VBOXMANAGE_FAKE_STATE is not set\n');
    process.exit(1);
  }
  const r = runWithStore(fileStore(path), process.argv.slice(2));
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
}

if (require.main === module) main();
