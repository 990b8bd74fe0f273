import { TsmError, errorMessage } from '../../core/errors';
import type { DriverContext } from '../driver';
import type { DhcpSettings, VBoxManageApi } from './api';
import type { VirtualBoxConfig } from './config';
import { prefixOfMask } from './ipv4';
import { isVBoxFailure } from './vbox-error';
import { insideNetwork as inside, planHostOnly, type HostOnlyPlan } from './network-plan';

export function hostOnlyPlanOf(config: VirtualBoxConfig): HostOnlyPlan {
  const plan = planHostOnly(config.hostOnlyCidr);
  if (typeof plan === 'string') throw new TsmError('INVALID_FLAG', `--virtualbox-hostonly-cidr: ${plan}`);
  return plan;
}

/**
 * The machine's host-only network: an interface with the planned address (found, or created and
 * recorded) and its DHCP server (added and recorded when missing). `release` removes only what
 * this machine made, and only when no other VM is attached to the interface.
 */
export class HostOnlyNetwork {
  constructor(
    private readonly api: VBoxManageApi,
    private readonly ctx: DriverContext<VirtualBoxConfig>,
    private readonly checkAbort: () => void,
  ) {}

  private get res() {
    return this.ctx.config.resources;
  }

  /** Returns the interface's name. Idempotent. */
  async ensure(): Promise<string> {
    const plan = hostOnlyPlanOf(this.ctx.config);
    const ifs = await this.api.listHostOnlyIfs();
    const found = ifs.find((n) => n.ip === plan.hostIp && n.netmask && prefixOfMask(n.netmask) === plan.prefix);
    let name: string;
    if (found) {
      name = found.name;
      if (this.res.hostOnlyIf?.name !== name) {
        this.res.hostOnlyIf = { name, created: false };
        await this.ctx.save();
      }
    } else {
      name = await this.api.createHostOnlyIf();
      this.res.hostOnlyIf = { name, created: true };
      await this.ctx.save();
      this.checkAbort();
      await this.api.configureHostOnlyIf(name, plan.hostIp, plan.netmask).catch((e) => {
        if (!isVBoxFailure(e, 'access-denied')) throw e;
        throw new TsmError('DRIVER_ERROR', `VirtualBox refused the address ${plan.hostIp}/${plan.prefix} for host-only interface ${name}: ${errorMessage(e)}`, {
          cause: e,
          suggestion: `VirtualBox 6.1.28+ only allows the host-only networks /etc/vbox/networks.conf lists (default 192.168.56.0/21): use --virtualbox-hostonly-cidr 192.168.56.1/24, or add "* ${plan.network}" to that file`,
        });
      });
      this.checkAbort();
    }
    if (!this.ctx.config.hostOnlyNoDhcp) await this.ensureDhcp(name, plan);
    return name;
  }

  private async ensureDhcp(name: string, plan: HostOnlyPlan): Promise<void> {
    const settings: DhcpSettings = { serverIp: plan.dhcp.serverIp, netmask: plan.netmask, lowerIp: plan.dhcp.lowerIp, upperIp: plan.dhcp.upperIp };
    const server = (await this.api.listDhcpServers()).find((d) => d.networkName === `HostInterfaceNetworking-${name}`);
    if (!server) {
      this.res.dhcpServer = { ifName: name };
      await this.ctx.save();
      await this.api.addDhcpServer(name, settings);
      this.checkAbort();
    } else if (!server.enabled || !inside(server.lowerIp, plan) || !inside(server.upperIp, plan)) {
      // docker-machine's behaviour: a disabled or misconfigured server on the network would leave the VM without an address.
      this.ctx.progress({ kind: 'info', message: `Reconfiguring the DHCP server of ${name} to lease ${settings.lowerIp}-${settings.upperIp}` });
      await this.api.modifyDhcpServer(name, settings);
      this.checkAbort();
    }
  }

  /** Names of the other VMs with a NIC on `ifName`. */
  private async otherUsers(ifName: string, ownUuid?: string): Promise<string[]> {
    const users: string[] = [];
    for (const vm of await this.api.listVms()) {
      if (vm.uuid === ownUuid) continue;
      const info = await this.api.vmInfo(vm.uuid);
      if (info?.nics.some((n) => n.attachment === 'hostonly' && n.hostOnlyAdapter === ifName)) users.push(vm.name);
    }
    return users;
  }

  /** Removes what this machine made; returns a description of each thing it could not remove (kept recorded). */
  async release(ownUuid?: string): Promise<string[]> {
    const hif = this.res.hostOnlyIf;
    if (!hif) return [];
    const failed: string[] = [];
    const users = await this.otherUsers(hif.name, ownUuid);
    if (users.length > 0) {
      this.ctx.progress({ kind: 'info', message: `Keeping host-only interface ${hif.name}: VM ${users.join(', ')} uses it` });
      delete this.res.dhcpServer;
      delete this.res.hostOnlyIf;
      await this.ctx.save();
      return [];
    }
    const dhcp = this.res.dhcpServer;
    if (dhcp) {
      try {
        await this.api.removeDhcpServer(dhcp.ifName);
        delete this.res.dhcpServer;
        await this.ctx.save();
      } catch (e) {
        failed.push(`DHCP server HostInterfaceNetworking-${dhcp.ifName}: ${errorMessage(e)}`);
      }
    }
    if (failed.length > 0) return failed; // an interface removed under its DHCP server would orphan the server
    if (hif.created) {
      try {
        await this.api.removeHostOnlyIf(hif.name);
      } catch (e) {
        failed.push(`host-only interface ${hif.name}: ${errorMessage(e)}`);
        return failed;
      }
    }
    delete this.res.hostOnlyIf;
    await this.ctx.save();
    return failed;
  }
}
