/**
 * `tsmachine env`: the shell lines that point the docker CLI at a machine, in the exact
 * formats docker-machine printed (bash/zsh/sh..., fish, powershell, cmd, tcsh, emacs),
 * with values quoted safely for each shell. Pure: the command passes env and platform.
 */
import { TsmError } from '../errors';
import { SHELL_SYNTAX, type ShellSyntax } from './shell-syntax';

export const SUPPORTED_SHELLS: readonly string[] = Object.freeze(Object.keys(SHELL_SYNTAX));

/** The variables `env` sets, in docker-machine's order. */
export const DOCKER_ENV_NAMES = Object.freeze(['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME'] as const);

/** Set on Windows, as docker-machine does, so docker-compose converts Windows paths. */
export const COMPOSE_WINDOWS_VAR = 'COMPOSE_CONVERT_WINDOWS_PATHS';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Printed on stderr when $SHELL is unset and no --shell was given. */
export const SHELL_FALLBACK_NOTICE = `$SHELL is not set: printing sh/bash lines; for another shell pass --shell with one of: ${Object.keys(SHELL_SYNTAX).join(', ')}`;

const SHELL_SUGGESTION = `pass --shell with one of: ${SUPPORTED_SHELLS.join(', ')}`;

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return (parts[parts.length - 1] ?? '').replace(/\.exe$/i, '');
}

/**
 * The user's shell, docker-machine's way: the basename of $SHELL. On Windows: fish when
 * `__fish_bin_dir` is set, else $SHELL if set (Git Bash, Cygwin), else cmd when PROMPT is
 * set (cmd sets it, PowerShell does not), else powershell. Without $SHELL elsewhere (cron,
 * CI runners, `env -i`), POSIX sh lines, as docker-machine fell back to; the caller tells the
 * user (see SHELL_FALLBACK_NOTICE). The name may still be one renderEnv does not support.
 */
export function detectShell(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (platform === 'win32') {
    if (env.__fish_bin_dir) return 'fish';
    if (env.SHELL) return basename(env.SHELL).toLowerCase();
    return env.PROMPT ? 'cmd' : 'powershell';
  }
  if (!env.SHELL) return 'sh';
  return basename(env.SHELL);
}

/** The syntax of a supported shell; INVALID_FLAG naming --shell and the supported ones otherwise. */
export function shellSyntax(shell: string): ShellSyntax {
  const s = Object.prototype.hasOwnProperty.call(SHELL_SYNTAX, shell) ? SHELL_SYNTAX[shell] : undefined;
  if (s) return s;
  const message = `unsupported shell "${shell}"`;
  throw new TsmError('INVALID_FLAG', `--shell: ${message}`, { suggestion: SHELL_SUGGESTION, problems: [{ field: '--shell', message, suggestion: SHELL_SUGGESTION }] });
}

export interface RenderEnvOptions {
  /** A SUPPORTED_SHELLS name (from --shell or detectShell). */
  shell: string;
  /** Variables in order. With `unset`, only the names are used. */
  vars: ReadonlyArray<readonly [name: string, value: string]>;
  unset?: boolean;
  /** Appended last (set) or unset too: docker-machine's --no-proxy variable. */
  noProxy?: { name: string; value: string };
  /**
   * The command that printed this, for the usage hint: a string used as is, or argv
   * (program first), where the program is quoted when it has a space or backslash, as
   * docker-machine did, and any other argument with whitespace is quoted.
   */
  commandLine: string | readonly string[];
}

function commandText(c: string | readonly string[]): string {
  const text = typeof c === 'string' ? c : c.map((a, i) => (i === 0 ? /[ \\]/.test(a) : /\s/.test(a)) ? `"${a}"` : a).join(' ');
  // The hint is a comment; a newline in it would start a command.
  return text.replace(/[\r\n\0]+/g, ' ');
}

function invalidVar(name: string, message: string): TsmError {
  return new TsmError('INVALID_FLAG', `environment variable ${name}: ${message}`, { problems: [{ field: name, message }] });
}

function checkVar(syntax: ShellSyntax, shell: string, name: string, value: string | undefined): void {
  if (!VAR_NAME.test(name)) throw invalidVar(name, 'not a valid variable name');
  if (value === undefined) return;
  if (/[\r\n\0]/.test(value)) throw invalidVar(name, 'the value contains a line break or NUL, which no shell line can carry safely');
  const why = syntax.rejects?.(value);
  if (why) throw invalidVar(name, `${why} (shell ${shell})`);
}

/** The usage hint docker-machine printed after the variables (trailing space included). */
export function usageHint(shell: string, commandLine: string | readonly string[]): string {
  const s = shellSyntax(shell);
  return `${s.comment} Run this command to configure your shell: \n${s.comment} ${s.apply(commandText(commandLine))}\n`;
}

/** The whole output of `env` (or `env --unset`) for one shell. */
export function renderEnv(o: RenderEnvOptions): string {
  const syntax = shellSyntax(o.shell);
  const vars: Array<readonly [string, string]> = [...o.vars];
  if (o.noProxy) vars.push([o.noProxy.name, o.noProxy.value]);
  const lines = vars.map(([name, value]) => {
    checkVar(syntax, o.shell, name, o.unset ? undefined : value);
    return o.unset ? syntax.unset(name) : syntax.set(name, value);
  });
  return lines.map((l) => l + '\n').join('') + usageHint(o.shell, o.commandLine);
}

/** `tcp://HOST:PORT`, with IPv6 literals in brackets. */
export function dockerHostUrl(host: string, port: number): string {
  return `tcp://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** The variables that point docker at a machine, in docker-machine's order. */
export function dockerEnvVars(o: { host: string; port: number; certPath: string; machineName: string; platform?: NodeJS.Platform }): Array<[string, string]> {
  const vars: Array<[string, string]> = [
    ['DOCKER_TLS_VERIFY', '1'],
    ['DOCKER_HOST', dockerHostUrl(o.host, o.port)],
    ['DOCKER_CERT_PATH', o.certPath],
    ['DOCKER_MACHINE_NAME', o.machineName],
  ];
  if (o.platform === 'win32') vars.push([COMPOSE_WINDOWS_VAR, 'true']);
  return vars;
}

/** The names `env --unset` clears (same as dockerEnvVars sets). */
export function dockerEnvNames(platform?: NodeJS.Platform): string[] {
  return platform === 'win32' ? [...DOCKER_ENV_NAMES, COMPOSE_WINDOWS_VAR] : [...DOCKER_ENV_NAMES];
}

/**
 * The proxy-exclusion variable to update, docker-machine's way: `no_proxy` when that is set
 * (non-empty), else `NO_PROXY`.
 */
export function findNoProxy(env: NodeJS.ProcessEnv): { name: 'no_proxy' | 'NO_PROXY'; value: string } {
  if (env.no_proxy) return { name: 'no_proxy', value: env.no_proxy };
  return { name: 'NO_PROXY', value: env.NO_PROXY ?? '' };
}

/**
 * Adds `ip` to a comma-separated no-proxy list unless an entry already equals it
 * (docker-machine used a substring test, which missed 1.2.3.4 when 11.2.3.45 was listed).
 */
export function noProxyValue(existing: string | undefined, ip: string): string {
  if (!existing) return ip;
  const entries = existing.split(',').map((e) => e.trim());
  return entries.includes(ip) ? existing : `${existing},${ip}`;
}
