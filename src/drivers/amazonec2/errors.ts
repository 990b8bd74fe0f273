import { errorMessage, TsmError, type ErrorCode } from '../../core/errors';
import { awsErrorCode } from './api';

const CREDENTIAL_CODES = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'RequestExpired',
  'UnrecognizedClientException',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  'TokenProviderError',
]);

export const CREDENTIAL_HINT =
  'set --amazonec2-access-key and --amazonec2-secret-key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, plus AWS_SESSION_TOKEN for temporary keys), ' +
  'or AWS_PROFILE for a profile in ~/.aws/credentials or ~/.aws/config (run "aws sso login --profile NAME" for SSO), or run on an instance with a role';

/** True when the error says the credentials are missing, wrong or expired. */
export function isCredentialError(e: unknown): boolean {
  return CREDENTIAL_CODES.has(awsErrorCode(e)) || /could not load credentials/i.test(errorMessage(e));
}

/** Strips anything that looks like a secret from a provider message before it reaches the user. */
function redact(s: string): string {
  return s.replace(/(AKIA|ASIA)[A-Z0-9]{12,}/g, '$1****').replace(/(Signature|Credential|X-Amz-Security-Token)=[^\s,&]+/gi, '$1=****');
}

/**
 * Wraps an EC2 call's failure in a TsmError that names the call, the subject and what to do,
 * keeping the cause. Credential, permission, region and throttling failures get their own advice.
 */
export function ec2Error(e: unknown, call: string, subject: string, region: string, code: ErrorCode = 'DRIVER_ERROR'): TsmError {
  if (e instanceof TsmError) return e;
  const aws = awsErrorCode(e);
  const msg = redact(errorMessage(e));
  if (isCredentialError(e)) {
    return new TsmError(code, `AWS credentials were refused or not found (${call} for ${subject}): ${aws ? `${aws}: ` : ''}${msg}`, { cause: e, suggestion: CREDENTIAL_HINT });
  }
  if (aws === 'UnauthorizedOperation' || aws === 'AccessDenied' || aws === 'AccessDeniedException') {
    return new TsmError(code, `the AWS credentials may not call ec2:${call} (${subject}): ${msg}`, {
      cause: e,
      suggestion: `grant ec2:${call} to the IAM user or role, or use other credentials (${CREDENTIAL_HINT})`,
    });
  }
  if (aws === 'OptInRequired') {
    return new TsmError(code, `region ${region} is not enabled for this AWS account (${call}): ${msg}`, {
      cause: e,
      suggestion: 'enable the region in the AWS console (Account > AWS Regions) or choose another --amazonec2-region',
    });
  }
  if (aws === 'ENOTFOUND' || aws === 'EAI_AGAIN' || aws === 'ECONNREFUSED') {
    return new TsmError(code, `cannot reach the EC2 API of region ${region} (${call}): ${msg}`, {
      cause: e,
      suggestion: 'check --amazonec2-region (e.g. us-east-1), --amazonec2-endpoint and the network',
    });
  }
  return new TsmError(code, `EC2 ${call} failed for ${subject}: ${aws && !msg.startsWith(aws) ? `${aws}: ` : ''}${msg}`, { cause: e });
}
