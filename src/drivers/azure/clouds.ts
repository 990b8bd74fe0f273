/** An Azure cloud: where its Resource Manager and its sign-in live, and the token scope for ARM. */
export interface AzureCloud {
  /** Resource Manager endpoint (no trailing slash). */
  resourceManager: string;
  /** OAuth scope for Resource Manager tokens. */
  scope: string;
  /** Microsoft Entra authority host. */
  authorityHost: string;
}

/** docker-machine's environment names (go-autorest), minus the closed German cloud. */
export const AZURE_CLOUDS: Record<string, AzureCloud> = {
  AzurePublicCloud: {
    resourceManager: 'https://management.azure.com',
    scope: 'https://management.azure.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  },
  AzureUSGovernmentCloud: {
    resourceManager: 'https://management.usgovcloudapi.net',
    scope: 'https://management.usgovcloudapi.net/.default',
    authorityHost: 'https://login.microsoftonline.us',
  },
  AzureChinaCloud: {
    resourceManager: 'https://management.chinacloudapi.cn',
    scope: 'https://management.chinacloudapi.cn/.default',
    authorityHost: 'https://login.chinacloudapi.cn',
  },
};

/** Looks an environment name up, ignoring case. */
export function azureCloud(name: string): AzureCloud | undefined {
  const key = Object.keys(AZURE_CLOUDS).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? AZURE_CLOUDS[key] : undefined;
}
