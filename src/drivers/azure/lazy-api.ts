import type { AzureApi } from './api';

/**
 * An AzureApi that builds the real one on its first call (once), so commands that never reach
 * Azure (env, ip, inspect, config) do not pay the ~1.5 s it takes to load the Azure SDKs.
 */
export function lazyAzureApi(make: () => AzureApi): AzureApi {
  let real: AzureApi | undefined;
  return new Proxy({} as AzureApi, {
    get(_, prop) {
      return (...args: unknown[]) => {
        real ??= make();
        const fn = real[prop as keyof AzureApi] as (...a: unknown[]) => unknown;
        return fn.apply(real, args);
      };
    },
  });
}
