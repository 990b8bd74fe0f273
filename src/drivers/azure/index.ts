import type { DriverDefinition } from '../driver';
import { azureConfigFromFlags, type AzureConfig } from './config';
import { AzureDriver } from './driver';
import { azureFlags } from './flags';

export type { AzureConfig } from './config';

/**
 * The azure driver. Importing this module loads no Azure SDK: the SDK adapter is required when
 * a driver instance is built (one set of SDK clients per instance).
 */
export const definition: DriverDefinition<AzureConfig> = {
  name: 'azure',
  description: 'A Microsoft Azure VM (Ubuntu 24.04 LTS) with its own resource group, network, NSG and Standard static public IP',
  flags: azureFlags,
  configFromFlags: (values) => azureConfigFromFlags(values),
  create: (ctx) => {
    const { createAzureSdkApi } = require('./sdk-api') as typeof import('./sdk-api');
    return new AzureDriver(ctx, { api: createAzureSdkApi(ctx.config) });
  },
};
