/**
 * Errors that reach the user. Every error has a stable `code` (tests assert on codes and
 * suggestions, never on prose), a message that names the subject, and where there is one,
 * a `suggestion` saying what to do next. Causes are kept in `cause`.
 */
export type ErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_FLAG'
  | 'UNKNOWN_DRIVER'
  | 'DRIVER_UNSUPPORTED'
  | 'MACHINE_NOT_FOUND'
  | 'MACHINE_EXISTS'
  | 'MACHINE_LOCKED'
  | 'MACHINE_NOT_RUNNING'
  | 'STORE_CORRUPT'
  | 'STORE_VERSION'
  | 'PRECREATE_FAILED'
  | 'CREATE_FAILED'
  | 'DRIVER_ERROR'
  | 'SSH_ERROR'
  | 'SSH_HOST_KEY_MISMATCH'
  | 'SSH_KEY_INVALID'
  | 'PROVISION_FAILED'
  | 'TLS_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'COMMAND_FAILED'
  | 'NOT_SUPPORTED';

export class TsmError extends Error {
  readonly code: ErrorCode;
  readonly suggestion?: string;
  /** Further problems reported together (validation reports every problem at once). */
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, opts: { suggestion?: string; cause?: unknown; problems?: Problem[] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TsmError';
    this.code = code;
    this.suggestion = opts.suggestion;
    this.problems = opts.problems ?? [];
  }
}

/** One validation problem, naming the flag or field it is about. */
export interface Problem {
  /** The flag (`--generic-ip-address`) or field (`name`) at fault. */
  field: string;
  message: string;
  suggestion?: string;
}

/** Throws one INVALID_FLAG error listing every problem, or returns when there are none. */
export function throwIfProblems(problems: Problem[], code: ErrorCode = 'INVALID_FLAG'): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  ${p.field}: ${p.message}${p.suggestion ? ` (${p.suggestion})` : ''}`);
  const head = problems.length === 1 ? 'invalid input' : `${problems.length} problems with the input`;
  throw new TsmError(code, `${head}:\n${lines.join('\n')}`, { problems });
}

/** True when `e` is a TsmError with the given code. */
export function isTsmError(e: unknown, code?: ErrorCode): e is TsmError {
  return e instanceof TsmError && (code === undefined || e.code === code);
}

/** The message of any thrown value, for wrapping. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
