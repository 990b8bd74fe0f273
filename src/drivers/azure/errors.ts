import { errorMessage, TsmError } from '../../core/errors';

/** What to set when Azure refuses to sign in. */
export const CREDENTIAL_HINT =
  'set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID (or --azure-client-id, --azure-client-secret, --azure-tenant-id) ' +
  'for a service principal, or sign in with "az login" (DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI)';

const CREDENTIAL_ERROR_NAMES = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);
const CREDENTIAL_CODES = new Set(['InvalidAuthenticationToken', 'InvalidAuthenticationTokenTenant', 'ExpiredAuthenticationToken', 'AuthenticationFailed', 'InvalidAuthenticationTokenAudience']);
const SUBSCRIPTION_CODES = new Set(['SubscriptionNotFound', 'InvalidSubscriptionId', 'SubscriptionNotRegistered', 'ReadOnlyDisabledSubscription']);

interface ErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  cause?: unknown;
}

/** The error and every cause under it (TsmErrors wrap the SDK's). */
function chain(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let cur = e, i = 0; cur && typeof cur === 'object' && i < 6; cur = (cur as ErrorLike).cause, i++) out.push(cur as ErrorLike);
  return out;
}

/** A 404 (or a not-found code) anywhere in the chain: the resource or its group is gone. */
export function isNotFound(e: unknown): boolean {
  if (isSubscriptionError(e)) return false;
  return chain(e).some((x) => x.statusCode === 404 || (typeof x.code === 'string' && /NotFound$/.test(x.code)));
}

/** Azure would not sign in, or refused the token. */
export function isCredentialError(e: unknown): boolean {
  return chain(e).some((x) => CREDENTIAL_ERROR_NAMES.has(x.name ?? '') || x.statusCode === 401 || CREDENTIAL_CODES.has(x.code ?? ''));
}

/** Signed in, but the identity may not do this (a missing role assignment). */
export function isPermissionError(e: unknown): boolean {
  return chain(e).some((x) => x.statusCode === 403 || x.code === 'AuthorizationFailed' || x.code === 'LinkedAuthorizationFailed');
}

export function isSubscriptionError(e: unknown): boolean {
  return chain(e).some((x) => SUBSCRIPTION_CODES.has(x.code ?? ''));
}

/** Azure refuses to delete something still in use (a subnet with NICs, a vnet with subnets in use...). */
export function isInUse(e: unknown): boolean {
  return chain(e).some((x) => typeof x.code === 'string' && /InUse|CannotBeDeleted|NotEmpty/.test(x.code));
}

/** The first line of an SDK error message (identity errors run to many lines). */
export function azureMessage(e: unknown): string {
  const first = errorMessage(e).split('\n')[0].trim();
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}

/** Wraps an SDK error into a DRIVER_ERROR naming the call, with a suggestion when there is one. */
export function wrapAzureError(e: unknown, what: string, subscriptionId: string): TsmError {
  if (e instanceof TsmError) return e;
  const msg = azureMessage(e);
  if (isCredentialError(e)) {
    return new TsmError('DRIVER_ERROR', `Azure refused the credentials while ${what}: ${msg}`, { cause: e, suggestion: CREDENTIAL_HINT });
  }
  if (isPermissionError(e)) {
    return new TsmError('DRIVER_ERROR', `Azure denied ${what} (authorization): ${msg}`, {
      cause: e,
      suggestion: `give the identity the Contributor role on subscription ${subscriptionId} (or on the resource group)`,
    });
  }
  if (isSubscriptionError(e)) {
    return new TsmError('DRIVER_ERROR', `Azure subscription ${subscriptionId} is not usable while ${what}: ${msg}`, {
      cause: e,
      suggestion: 'check --azure-subscription-id (AZURE_SUBSCRIPTION_ID): az account list -o table',
    });
  }
  return new TsmError('DRIVER_ERROR', `Azure call failed while ${what}: ${msg}`, { cause: e });
}
