import type { DriverDefinition } from '../driver';
import { amazonec2ConfigFromFlags, type Amazonec2Config } from './config';
import { Amazonec2Driver } from './driver';
import { amazonec2Flags } from './flags';
import type { Ec2Api } from './api';

export type { Amazonec2Config } from './config';
export { Amazonec2Driver } from './driver';

/** AWS EC2: an instance from the newest Ubuntu 24.04 LTS image, with its security group and key pair. */
export const definition: DriverDefinition<Amazonec2Config> = {
  name: 'amazonec2',
  description: 'An Amazon EC2 instance (Ubuntu 24.04 LTS by default), with a security group and key pair it cleans up on rm',
  flags: amazonec2Flags,
  configFromFlags: (values) => amazonec2ConfigFromFlags(values),
  create: (ctx) => {
    // The SDK loads here, when an EC2 machine is used, never when the CLI starts.
    const { SdkEc2Api } = require('./sdk-api') as typeof import('./sdk-api');
    const api: Ec2Api = new SdkEc2Api(ctx.config);
    return new Amazonec2Driver(ctx, { api });
  },
};
