import type { DriverDefinition } from '../driver';
import { genericFlags } from './flags';
import { genericConfigFromFlags, type GenericConfig } from './config';
import { GenericDriver } from './driver';
import { realGenericApi } from './api';

export const definition: DriverDefinition<GenericConfig> = {
  name: 'generic',
  description: 'An existing host reached over SSH',
  flags: genericFlags,
  configFromFlags: (values) => genericConfigFromFlags(values),
  create: (ctx) => new GenericDriver(ctx, realGenericApi),
};
