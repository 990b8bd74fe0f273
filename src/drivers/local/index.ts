import type { DriverDefinition } from '../driver';
import { realLocalApi } from './api';
import { localConfigFromFlags, type LocalConfig } from './config';
import { LocalDriver } from './driver';
import { localFlags } from './flags';

export type { LocalConfig } from './config';
export { LocalDriver } from './driver';
export { removeUnusedBridge } from './host-infra';
export { realLocalApi } from './api';

/** The local driver: system containers on this Linux host (root), each with its own sshd. */
export const definition: DriverDefinition<LocalConfig> = {
  name: 'local',
  description: 'A system container on this Linux host (root): own network, PID and mount namespaces, own sshd; sub-second to create',
  flags: localFlags,
  configFromFlags: (values) => localConfigFromFlags(values),
  create: (ctx) => new LocalDriver(ctx, { api: realLocalApi(ctx.exec) }),
};
