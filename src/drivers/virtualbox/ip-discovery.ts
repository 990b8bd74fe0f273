import type { VBoxManageApi } from './api';
import { insideNetwork, type HostOnlyPlan } from './network-plan';
import type { VmInfo } from './vbox-parse';

const NET = '/VirtualBox/GuestInfo/Net';

function sameMac(a: string | undefined, b: string): boolean {
  return !!a && a.replace(/[^0-9a-f]/gi, '').toLowerCase() === b.replace(/[^0-9a-f]/gi, '').toLowerCase();
}

/** What discovery found, and how (for progress and tests). */
export interface DiscoveredIp {
  ip: string;
  source: 'guest-property' | 'dhcp-lease';
}

/**
 * The VM's address on the host-only network (NIC 2), asked once:
 * 1. the Guest Additions' properties: the guest NIC whose /MAC is NIC 2's MAC, its /V4/IP
 *    (`Net/1` first: the second NIC, as a rule);
 * 2. the DHCP server's lease for NIC 2's MAC (`dhcpserver findlease`), for guests without them.
 * Only an address inside the host-only network counts (not the NAT 10.0.2.x).
 */
export async function discoverIp(api: VBoxManageApi, vm: string, info: VmInfo, plan: HostOnlyPlan): Promise<DiscoveredIp | undefined> {
  const nic = info.nics.find((n) => n.index === 2 && n.attachment === 'hostonly');
  if (!nic?.mac) return undefined;
  const count = Number(await api.getGuestProperty(vm, `${NET}/Count`));
  if (Number.isInteger(count) && count > 0) {
    const order = [1, ...Array.from({ length: count }, (_, i) => i).filter((i) => i !== 1)].filter((i) => i < count);
    for (const i of order) {
      if (!sameMac(await api.getGuestProperty(vm, `${NET}/${i}/MAC`), nic.mac)) continue;
      const ip = await api.getGuestProperty(vm, `${NET}/${i}/V4/IP`);
      if (insideNetwork(ip, plan)) return { ip: ip!, source: 'guest-property' };
      break;
    }
  }
  if (!nic.hostOnlyAdapter) return undefined;
  const leased = await api.findLease(nic.hostOnlyAdapter, nic.mac);
  return insideNetwork(leased, plan) ? { ip: leased!, source: 'dhcp-lease' } : undefined;
}
