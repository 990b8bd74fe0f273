import type { DriverDefinition } from '../driver';
import { azureConfigFromFlags, type AzureConfig } from './config';
import { AzureDriver } from './driver';
import { azureFlags } from './flags';
import { lazyAzureApi } from './lazy-api';

export type { AzureConfig } from './config';

/**
 * The azure driver. Neither importing this module nor building a driver loads an Azure SDK: the
 * SDK adapter is required, and its clients built (once per driver instance), on the first call
 * to Azure.
 */
export const definition: DriverDefinition<AzureConfig> = {
  name: 'azure',
  description: 'A Microsoft Azure VM (Ubuntu 24.04 LTS) with its own resource group, network, NSG and Standard static public IP',
  flags: azureFlags,
  configFromFlags: (values) => azureConfigFromFlags(values),
  create: (ctx) =>
    new AzureDriver(ctx, {
      api: lazyAzureApi(() => (require('./sdk-api') as typeof import('./sdk-api')).createAzureSdkApi(ctx.config)),
    }),
};
