import type { DriverDefinition } from '../driver';
import { digitaloceanConfigFromFlags, type DigitalOceanConfig } from './config';
import { DigitalOceanDriver } from './driver';
import { digitaloceanFlags } from './flags';

export type { DigitalOceanConfig } from './config';
export { DigitalOceanDriver } from './driver';

/**
 * DigitalOcean droplets, with a personal access token (DIGITALOCEAN_ACCESS_TOKEN). digitalocean-js
 * is loaded on the first API call, never when flags or help are read.
 */
export const definition: DriverDefinition<DigitalOceanConfig> = {
  name: 'digitalocean',
  description: 'A DigitalOcean droplet (personal access token)',
  flags: digitaloceanFlags,
  configFromFlags: (values) => digitaloceanConfigFromFlags(values),
  create: (ctx) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { realDigitalOceanApi } = require('./api') as typeof import('./api');
    return new DigitalOceanDriver(ctx, { api: realDigitalOceanApi(ctx.config) });
  },
};
