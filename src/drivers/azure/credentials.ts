import type { TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { azureCloud, AZURE_CLOUDS } from './clouds';
import type { AzureConfig } from './config';

/**
 * The credential for a machine: a service principal's client secret when one is configured,
 * otherwise DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI,
 * Azure Developer CLI...), pinned to the configured tenant and client id when given. No I/O here:
 * tokens are fetched on the first call.
 */
export function azureCredential(c: AzureConfig): TokenCredential {
  const cloud = azureCloud(c.environment) ?? AZURE_CLOUDS.AzurePublicCloud;
  if (c.clientSecret && c.clientId && c.tenantId) {
    return new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret, { authorityHost: cloud.authorityHost });
  }
  return new DefaultAzureCredential({
    authorityHost: cloud.authorityHost,
    tenantId: c.tenantId,
    managedIdentityClientId: c.clientId,
  });
}
