/**
 * Test side of the fake VBoxManage: the ConformanceFake the driver suite drives, an Exec that
 * runs the fake (as a real program through a VBoxManage wrapper script, or in-process for speed:
 * the same code, no node start-up per call), and a VBoxHost with test-chosen host facts.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsmError } from '../../../src/core/errors';
import { hostExec, type Exec } from '../../../src/core/exec';
import { realVBoxHost, type VBoxHost } from '../../../src/drivers/virtualbox/host';
import type { FlagValues } from '../../../src/drivers/driver';
import { definition } from '../../../src/drivers/virtualbox';
import { VBoxManageCli } from '../../../src/drivers/virtualbox/api';
import type { VirtualBoxConfig } from '../../../src/drivers/virtualbox/config';
import { VirtualBoxDriver, type VirtualBoxTimeouts } from '../../../src/drivers/virtualbox/driver';
import type { ConformanceFake } from '../conformance/driver-conformance';
import { makeDriverContext, type TestDriverContext } from '../driver-context';
import { callName, runWithStore } from './vboxmanage-fake';
import { fileStore, initialState, memoryStore, newUuid, type FakeState, type FakeStore } from './vboxmanage-fake-state';

export interface VBoxManageFakeOptions {
  /** Run the fake as a separate program (a `VBoxManage` script in a temp folder) instead of in-process. */
  spawn?: boolean;
  /** Changes to the fresh state (an existing host-only interface, another VirtualBox version, ...). */
  setup?: (s: FakeState) => void;
}

export class VBoxManageFake implements ConformanceFake {
  /** What create() makes on a fresh host, in order (names as callName gives them). */
  readonly creationCalls = [
    'hostonlyif create',
    'hostonlyif ipconfig',
    'dhcpserver add',
    'createvm',
    'modifyvm',
    'storagectl',
    'storageattach',
    'createmedium',
    'guestproperty set',
    'sharedfolder add',
    'startvm',
  ];
  /** Path to give the driver as VBoxManage. */
  readonly command: string;
  readonly exec: Exec;
  private readonly store: FakeStore;
  private readonly hooks = new Map<string, Array<() => void>>();
  private readonly dir?: string;
  private foreign = 0;

  constructor(opts: VBoxManageFakeOptions = {}) {
    const s = initialState();
    opts.setup?.(s);
    if (opts.spawn) {
      this.dir = mkdtempSync(join(tmpdir(), 'tsm-vboxfake-'));
      const statePath = join(this.dir, 'state.json');
      this.store = fileStore(statePath);
      this.store.save(s);
      this.command = join(this.dir, 'VBoxManage');
      const program = join(__dirname, 'vboxmanage-fake.js');
      writeFileSync(this.command, `#!/bin/sh\nVBOXMANAGE_FAKE_STATE='${statePath}' exec '${process.execPath}' '${program}' "$@"\n`, { mode: 0o755 });
      chmodSync(this.command, 0o755);
      this.exec = this.withHooks(hostExec);
    } else {
      this.store = memoryStore(s);
      this.command = 'VBoxManage';
      this.exec = this.withHooks(this.inProcess());
    }
  }

  private inProcess(): Exec {
    return async (file, args, opts = {}) => {
      const r = runWithStore(this.store, [...args]);
      if (r.code !== 0 && !opts.allowFailure) throw new TsmError('COMMAND_FAILED', `${file} ${args.join(' ')} failed (exit code ${r.code}): ${r.stderr.trim()}`);
      return r;
    };
  }

  private withHooks(inner: Exec): Exec {
    return async (file, args, opts) => {
      const r = await inner(file, args, opts);
      const name = callName(args);
      const fns = this.hooks.get(name);
      if (fns) {
        this.hooks.delete(name);
        for (const fn of fns) fn();
      }
      return r;
    };
  }

  state(): FakeState {
    return this.store.load();
  }

  update(fn: (s: FakeState) => void): void {
    const s = this.store.load();
    fn(s);
    this.store.save(s);
  }

  /** Every call made so far, as "createvm --name ..." strings. */
  calls(): string[] {
    return this.state().calls.map((c) => c.join(' '));
  }

  liveResources(): string[] {
    const s = this.state();
    return [
      ...s.vms.map((v) => `vm:${v.name}`),
      ...s.media.map((m) => `disk:${m.path}`),
      ...s.hostOnlyIfs.map((h) => `hostonlyif:${h.name}`),
      ...s.dhcpServers.map((d) => `dhcpserver:${d.networkName}`),
    ].sort();
  }

  failOn(call: string): void {
    this.update((s) => s.failOn.push(call));
  }

  onCall(call: string, hook: () => void): void {
    this.hooks.set(call, [...(this.hooks.get(call) ?? []), hook]);
  }

  rejectCredentials(): void {
    this.update((s) => void (s.rejectAll = true));
  }

  /** Another VirtualBox VM on the host, made by someone else. */
  createForeignResource(): string {
    const name = `foreign-${++this.foreign}`;
    this.update((s) => {
      s.vms.push({ name, uuid: newUuid(), cfgFile: `/nonexistent/${name}/${name}.vbox`, ostype: 'Other_64', state: 'poweroff', memory: 512, cpus: 1, settings: {}, nics: {}, natpf: [], controllers: [], attachments: [], guestProps: {}, sharedFolders: [] });
    });
    return `vm:${name}`;
  }

  /** Deletes the temp folder of a spawned fake. */
  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Host facts for tests: a Linux host with VT-x, one LAN address; files are real. */
export function testVBoxHost(over: Partial<VBoxHost> = {}): VBoxHost {
  let port = 42200;
  return {
    ...realVBoxHost,
    platform: 'linux',
    cpuCount: () => 4,
    cpuInfo: async () => 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae vmx sse sse2\n',
    addresses: () => [
      { ifName: 'lo', address: '127.0.0.1', prefix: 8 },
      { ifName: 'eth0', address: '10.20.30.40', prefix: 24 },
    ],
    freePort: async () => ++port,
    portFree: async () => true,
    readFile: async (p) => (p === '/etc/vbox/networks.conf' ? undefined : realVBoxHost.readFile(p)),
    ...over,
  };
}

export interface VBoxTestMachine {
  fake: VBoxManageFake;
  ctx: TestDriverContext<VirtualBoxConfig>;
  driver: VirtualBoxDriver;
  /** A temp folder holding the boot ISO (and anything the test puts there). */
  dir: string;
  iso: string;
  cleanup(): void;
}

/** A virtualbox machine over a fresh fake (in-process unless `fake.spawn`), with fast waits. */
export function vboxTestMachine(o: {
  flags?: FlagValues;
  fake?: VBoxManageFakeOptions;
  /** Share a fake (one VirtualBox host) between machines; its cleanup stays with its first owner. */
  sharedFake?: VBoxManageFake;
  host?: Partial<VBoxHost>;
  timeouts?: Partial<VirtualBoxTimeouts>;
  name?: string;
  signal?: AbortSignal;
} = {}): VBoxTestMachine {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-vbox-test-'));
  const iso = join(dir, 'tsos.iso');
  writeFileSync(iso, 'an ISO image');
  const { config, problems } = definition.configFromFlags({ 'virtualbox-boot2docker-url': iso, 'virtualbox-no-share': true, ...o.flags });
  if (problems.length > 0) throw new Error(`bad test flags: ${JSON.stringify(problems)}`);
  const fake = o.sharedFake ?? new VBoxManageFake(o.fake);
  const ctx = makeDriverContext({ name: o.name ?? 'vbox1', config, signal: o.signal });
  const driver = new VirtualBoxDriver(ctx, {
    api: new VBoxManageCli(fake.exec, fake.command),
    host: testVBoxHost(o.host),
    sleep: async () => undefined,
    pollMs: 1,
    timeouts: { ipMs: 1000, stopMs: 300, powerOffMs: 300, ...o.timeouts },
  });
  return {
    fake,
    ctx,
    driver,
    dir,
    iso,
    cleanup() {
      ctx.cleanup();
      if (!o.sharedFake) fake.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
