import type { DriverDefinition } from '../driver';
import { VBoxManageCli, vboxManagePath } from './api';
import { virtualboxConfigFromFlags, type VirtualBoxConfig } from './config';
import { VirtualBoxDriver } from './driver';
import { virtualboxFlags } from './flags';

export type { VirtualBoxConfig } from './config';
export { VirtualBoxDriver } from './driver';
export { VBoxManageCli } from './api';

/** The virtualbox driver: a VM booted from an ISO through VBoxManage (docker-machine's flags). */
export const definition: DriverDefinition<VirtualBoxConfig> = {
  name: 'virtualbox',
  description: 'A VirtualBox VM driven through VBoxManage: host-only network for the engine, NAT port forward for SSH',
  flags: virtualboxFlags,
  configFromFlags: (values) => virtualboxConfigFromFlags(values),
  create: (ctx) => new VirtualBoxDriver(ctx, { api: new VBoxManageCli(ctx.exec, vboxManagePath()) }),
};
