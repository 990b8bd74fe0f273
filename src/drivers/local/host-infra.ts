import type { LocalHostApi } from './api';
import { HOST_STATE_DIR } from './host-lock';
import { IpAllocator } from './ip-allocator';
import { LocalNetwork } from './network';

/**
 * The bridge and its two FORWARD rules are shared by every local machine on the host and stay
 * when machines are removed. This removes them when no machine holds a lease on the bridge
 * (checked under the host lock, which creators hold while they set the bridge up and lease an
 * address, so it never pulls the bridge from under a machine). Returns true when it removed it.
 */
export async function removeUnusedBridge(api: LocalHostApi, bridge: string, stateDir = HOST_STATE_DIR): Promise<boolean> {
  const leases = new IpAllocator(stateDir);
  return leases.withLock(async () => {
    if ((await leases.live()).some((l) => l.bridge === bridge)) return false;
    await new LocalNetwork(api).removeBridge(bridge);
    return true;
  });
}
