import type { DriverDefinition } from '../driver';
import { googleConfigFromFlags, type GoogleConfig } from './config';
import { GoogleDriver } from './driver';
import { googleFlags } from './flags';

export type { GoogleConfig } from './config';
export { GoogleDriver } from './driver';

/**
 * Google Compute Engine. Credentials: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS
 * or "gcloud auth application-default login"). @google-cloud/compute is loaded only when a
 * driver is built (api.ts requires it lazily), never when flags or help are read.
 */
export const definition: DriverDefinition<GoogleConfig> = {
  name: 'google',
  description: 'A Google Compute Engine instance (Application Default Credentials)',
  flags: googleFlags,
  configFromFlags: (values) => googleConfigFromFlags(values),
  create: (ctx) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { realGoogleApi } = require('./api') as typeof import('./api');
    return new GoogleDriver(ctx, { api: realGoogleApi(ctx.config) });
  },
};
