import { readFile } from 'node:fs/promises';
import { CHAINS, deleteTagged, ensureRule, iptables, ipBatch, linkExists, sysctl } from './host-net';
import { macForIpv4, MAC_TAG } from '../../core/mac';
import type { NetworkRecord } from './types';
import type { PortBinding } from './types';

const netTag = (n: NetworkRecord) => `tsa-net:${n.Bridge}`;
export const ctrTag = (id: string) => `tsa-ctr:${id.slice(0, 12)}`;

/** Creates the network's bridge (gateway address, up, route_localnet) and its iptables rules. Idempotent. */
export async function setUpBridge(n: NetworkRecord): Promise<void> {
  const br = n.Bridge!;
  const prefix = n.Subnet!.split('/')[1];
  // A fixed MAC: else the bridge takes its lowest port's and changes it as containers come and
  // go, and containers' cached gateway MAC goes stale (DNS and traffic lost for seconds).
  const mac = macForIpv4(MAC_TAG.bridge, n.Gateway!);
  if (!(await linkExists(br))) {
    await ipBatch([`link add ${br} address ${mac} type bridge`, `addr add ${n.Gateway}/${prefix} dev ${br}`, `link set ${br} up`]);
  } else if ((await readFile(`/sys/class/net/${br}/addr_assign_type`, 'utf8').catch(() => '3')).trim() !== '3') {
    // A bridge made earlier (or by the user) whose MAC still follows its ports: pinned once.
    await ipBatch([`link set ${br} address ${mac}`]);
  }
  // 127.0.0.1 published ports: DNAT'd loopback traffic must be routable out of the bridge.
  await sysctl(`ipv4/conf/${br}/route_localnet`, '1');
  await removeBridgeRules(n);
  const c = ['-m', 'comment', '--comment', netTag(n)];
  const iso = CHAINS.isolation;
  if (n.Internal) {
    await iptables(['-t', 'filter', '-I', iso, '-i', br, '!', '-o', br, '-j', 'DROP', ...c]);
    await iptables(['-t', 'filter', '-I', iso, '!', '-i', br, '-o', br, '-j', 'DROP', ...c]);
  }
  await iptables(['-t', 'filter', '-I', iso, '-i', br, '-o', br, '-j', 'RETURN', ...c]);
  const fw = CHAINS.forward;
  await iptables(['-t', 'filter', '-A', fw, '-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT', ...c]);
  await iptables(['-t', 'filter', '-A', fw, '-i', br, '-o', br, '-j', 'ACCEPT', ...c]);
  if (!n.Internal) await iptables(['-t', 'filter', '-A', fw, '-i', br, '!', '-o', br, '-j', 'ACCEPT', ...c]);
  const post = CHAINS.post;
  if (!n.Internal) await iptables(['-t', 'nat', '-A', post, '-s', n.Subnet!, '!', '-o', br, '-j', 'MASQUERADE', ...c]);
  // The host itself (incl. 127.0.0.1) reaching a published port, and hairpin traffic.
  await iptables(['-t', 'nat', '-A', post, '-o', br, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE', ...c]);
  await iptables(['-t', 'nat', '-A', post, '-s', n.Subnet!, '-o', br, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'MASQUERADE', ...c]);
}

export async function removeBridgeRules(n: NetworkRecord): Promise<void> {
  for (const [t, ch] of [['filter', CHAINS.isolation], ['filter', CHAINS.forward], ['nat', CHAINS.post]]) await deleteTagged(t, ch, netTag(n));
}

/** Removes the bridge and its rules. Resolves if already gone. */
export async function tearDownBridge(n: NetworkRecord): Promise<void> {
  await removeBridgeRules(n);
  if (n.Bridge && (await linkExists(n.Bridge))) await ipBatch([`link del ${n.Bridge}`]);
}

export async function ensureForwarding(): Promise<void> {
  await sysctl('ipv4/ip_forward', '1');
}

/** DNAT (+ FORWARD accept) for one published port of a container. */
export async function addPortRule(id: string, br: string, b: PortBinding, proto: string, ip: string, port: number): Promise<void> {
  const c = ['-m', 'comment', '--comment', ctrTag(id)];
  const dst = b.HostIp && b.HostIp !== '0.0.0.0' ? ['-d', `${b.HostIp}/32`] : [];
  await iptables(['-t', 'nat', '-A', CHAINS.dnat, ...dst, '-p', proto, '-m', proto, '--dport', b.HostPort, '-j', 'DNAT', '--to-destination', `${ip}:${port}`, ...c]);
  await ensureRule('filter', CHAINS.forward, ['-d', `${ip}/32`, '-o', br, '-p', proto, '-m', proto, '--dport', String(port), '-j', 'ACCEPT', ...c]);
}

export async function removeContainerRules(id: string): Promise<void> {
  await deleteTagged('nat', CHAINS.dnat, ctrTag(id));
  await deleteTagged('filter', CHAINS.forward, ctrTag(id));
}
