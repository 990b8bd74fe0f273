import { resolve } from 'node:path';
import type { Problem } from '../../core/errors';
import type { FlagValues } from '../driver';
import {
  DEFAULT_CPUS,
  DEFAULT_DISK_MB,
  DEFAULT_HOSTONLY_CIDR,
  DEFAULT_MEMORY_MB,
  DEFAULT_NIC_TYPE,
  DEFAULT_PROMISC,
  DEFAULT_UI_TYPE,
  NIC_TYPES,
  PROMISC_MODES,
  UI_TYPES,
} from './flags';
import { planHostOnly } from './network-plan';

/**
 * What a VirtualBox machine created, each recorded (and saved) before or right after the call
 * that makes it, so remove() finds it after any failure or interrupt.
 */
export interface VirtualBoxResources {
  /** The VM, by the UUID tsmachine chose for it (recorded before `createvm --uuid`). */
  vm?: { uuid: string; name: string };
  /** The disk image (recorded before `createmedium`). */
  disk?: string;
  /** The host-only interface of NIC 2; `created` when this machine made it (then it may remove it). */
  hostOnlyIf?: { name: string; created: boolean };
  /** A DHCP server this machine added to that interface. */
  dhcpServer?: { ifName: string };
}

/** Persisted config of a virtualbox machine (`machine.json` driver.config). */
export interface VirtualBoxConfig {
  memoryMb: number;
  /** -1: as many as the host has (up to 32), resolved at create. */
  cpus: number;
  diskSizeMb: number;
  /** Path or URL of the boot ISO; undefined: `<store>/cache/tsos.iso`. */
  bootImage?: string;
  hostOnlyCidr: string;
  hostOnlyNicType: string;
  hostOnlyPromisc: string;
  hostOnlyNoDhcp: boolean;
  natNicType: string;
  noShare: boolean;
  /** Folder shared instead of the home folder. */
  shareFolder?: { dir: string; name: string };
  dnsProxy: boolean;
  hostDnsResolver: boolean;
  noVtxCheck: boolean;
  uiType: string;
  sshUser: string;
  /** Host port on 127.0.0.1 forwarded to the VM's port 22 (NAT rule "ssh" on NIC 1). */
  sshPort?: number;
  /** Last address seen on the host-only network. */
  ip?: string;
  resources: VirtualBoxResources;
}

export const SSH_USER = 'docker';

function intOf(values: FlagValues, flag: string, def: number, min: number, max: number, unit: string, problems: Problem[]): number {
  const raw = values[flag] ?? def;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push({ field: `--${flag}`, message: `"${String(raw)}" is not ${unit} from ${min} to ${max}`, suggestion: `e.g. --${flag} ${def}` });
    return def;
  }
  return n;
}

function cpusOf(values: FlagValues, problems: Problem[]): number {
  const raw = values['virtualbox-cpu-count'] ?? DEFAULT_CPUS;
  const n = Number(raw);
  if (n === -1) return -1;
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    problems.push({ field: '--virtualbox-cpu-count', message: `"${String(raw)}" is not a CPU count from 1 to 32`, suggestion: 'or -1 for as many as the host has' });
    return DEFAULT_CPUS;
  }
  return n;
}

function oneOf(values: FlagValues, flag: string, def: string, allowed: readonly string[], problems: Problem[]): string {
  const s = String(values[flag] ?? def).trim();
  const hit = allowed.find((a) => a.toLowerCase() === s.toLowerCase());
  if (!hit) problems.push({ field: `--${flag}`, message: `"${s}" is not one of ${allowed.join(', ')}`, suggestion: `e.g. --${flag} ${def}` });
  return hit ?? def;
}

function bool(values: FlagValues, flag: string): boolean {
  const v = values[flag];
  return v === true || (typeof v === 'string' && /^(1|true|yes|on)$/i.test(v.trim()));
}

function shareOf(values: FlagValues, problems: Problem[]): VirtualBoxConfig['shareFolder'] {
  const raw = values['virtualbox-share-folder'];
  if (raw === undefined || String(raw).trim() === '') return undefined;
  const s = String(raw).trim();
  const i = s.lastIndexOf(':');
  const dir = i > 0 ? s.slice(0, i) : '';
  const name = i > 0 ? s.slice(i + 1) : '';
  if (!dir || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    problems.push({ field: '--virtualbox-share-folder', message: `"${s}" is not dir:name`, suggestion: 'e.g. --virtualbox-share-folder /home/me/src:src' });
    return undefined;
  }
  return { dir, name };
}

function bootImageOf(values: FlagValues, problems: Problem[]): string | undefined {
  const raw = values['virtualbox-boot2docker-url'];
  if (raw === undefined || String(raw).trim() === '') return undefined;
  const s = String(raw).trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^(https?|file):\/\//i.test(s)) {
    problems.push({ field: '--virtualbox-boot2docker-url', message: `"${s}" is neither a path nor an http(s):// or file:// URL` });
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : resolve(s);
}

/** Builds the config from flag values (env and defaults applied); reports every problem at once. */
export function virtualboxConfigFromFlags(values: FlagValues): { config: VirtualBoxConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const cidr = String(values['virtualbox-hostonly-cidr'] ?? DEFAULT_HOSTONLY_CIDR).trim();
  const plan = planHostOnly(cidr);
  if (typeof plan === 'string') {
    problems.push({ field: '--virtualbox-hostonly-cidr', message: plan, suggestion: `e.g. --virtualbox-hostonly-cidr ${DEFAULT_HOSTONLY_CIDR}` });
  }
  const config: VirtualBoxConfig = {
    memoryMb: intOf(values, 'virtualbox-memory', DEFAULT_MEMORY_MB, 256, 1024 * 1024, 'a memory size in MB', problems),
    cpus: cpusOf(values, problems),
    diskSizeMb: intOf(values, 'virtualbox-disk-size', DEFAULT_DISK_MB, 1024, 2 * 1024 * 1024, 'a disk size in MB', problems),
    bootImage: bootImageOf(values, problems),
    hostOnlyCidr: cidr,
    hostOnlyNicType: oneOf(values, 'virtualbox-hostonly-nictype', DEFAULT_NIC_TYPE, NIC_TYPES, problems),
    hostOnlyPromisc: oneOf(values, 'virtualbox-hostonly-nicpromisc', DEFAULT_PROMISC, PROMISC_MODES, problems),
    hostOnlyNoDhcp: bool(values, 'virtualbox-hostonly-no-dhcp'),
    natNicType: oneOf(values, 'virtualbox-nat-nictype', DEFAULT_NIC_TYPE, NIC_TYPES, problems),
    noShare: bool(values, 'virtualbox-no-share'),
    shareFolder: shareOf(values, problems),
    dnsProxy: !bool(values, 'virtualbox-no-dns-proxy'),
    hostDnsResolver: bool(values, 'virtualbox-host-dns-resolver'),
    noVtxCheck: bool(values, 'virtualbox-no-vtx-check'),
    uiType: oneOf(values, 'virtualbox-ui-type', DEFAULT_UI_TYPE, UI_TYPES, problems),
    sshUser: SSH_USER,
    resources: {},
  };
  return { config, problems };
}
