/**
 * How each shell sets and unsets an environment variable, quotes a value, and comments,
 * for `tsmachine env`. Lines are docker-machine's byte for byte when a value has nothing
 * special in it; values that do are quoted so they cannot break the line or inject code.
 */

export interface ShellSyntax {
  /** One line (no newline) that sets `name` to `value` (already validated: no CR/LF/NUL). */
  set(name: string, value: string): string;
  unset(name: string): string;
  /** The comment prefix of the usage hint. */
  comment: string;
  /** The command that applies the output, given the command line that prints it. */
  apply(commandLine: string): string;
  /** Values this shell cannot represent safely; returns why, or undefined when fine. */
  rejects?(value: string): string | undefined;
}

/** POSIX shells, inside double quotes: \ " $ ` are escaped. */
export function posixQuote(v: string): string {
  return `"${v.replace(/[\\"$`]/g, '\\$&')}"`;
}

/** fish, inside double quotes: \ " $ are escaped. */
export function fishQuote(v: string): string {
  return `"${v.replace(/[\\"$]/g, '\\$&')}"`;
}

/**
 * csh/tcsh: backslash does not escape `$` or `` ` `` inside double quotes, so those (and `"`)
 * are put in single quotes between double-quoted runs: a$b -> "a"'$'"b". `!` is `\!`.
 */
export function cshQuote(v: string): string {
  let out = '"';
  for (const ch of v) {
    if (ch === '$' || ch === '`' || ch === '"') out += `"'${ch}'"`;
    else if (ch === '!') out += '"\\!"';
    else out += ch;
  }
  return out + '"';
}

/** PowerShell double-quoted string: ` escapes `, ", $ and the typographic double quotes PowerShell also accepts. */
export function powershellQuote(v: string): string {
  return `"${v.replace(/[`"$\u201C\u201D\u201E]/g, '`$&')}"`;
}

/** Emacs Lisp string: \ and " are escaped. */
export function elispQuote(v: string): string {
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

/** cmd.exe: plain `SET N=v` like docker-machine, `SET "N=v"` when v has characters cmd treats specially. */
export function cmdSet(name: string, value: string): string {
  return /[&|<>^()%!]|^\s|\s$/.test(value) ? `SET "${name}=${value}"` : `SET ${name}=${value}`;
}

const posix: ShellSyntax = {
  set: (n, v) => `export ${n}=${posixQuote(v)}`,
  unset: (n) => `unset ${n}`,
  comment: '#',
  apply: (c) => `eval $(${c})`,
};

const fish: ShellSyntax = {
  set: (n, v) => `set -gx ${n} ${fishQuote(v)};`,
  unset: (n) => `set -e ${n};`,
  comment: '#',
  apply: (c) => `eval (${c})`,
};

const powershell: ShellSyntax = {
  set: (n, v) => `$Env:${n} = ${powershellQuote(v)}`,
  unset: (n) => `Remove-Item Env:\\\\${n}`,
  comment: '#',
  apply: (c) => `& ${c} | Invoke-Expression`,
};

const cmd: ShellSyntax = {
  set: cmdSet,
  unset: (n) => `SET ${n}=`,
  comment: 'REM',
  apply: (c) => `\t@FOR /f "tokens=*" %i IN ('${c}') DO @%i`,
  rejects: (v) => (v.includes('"') ? 'cmd.exe cannot set a value containing a double quote safely' : undefined),
};

const csh: ShellSyntax = {
  set: (n, v) => `setenv ${n} ${cshQuote(v)};`,
  unset: (n) => `unsetenv ${n};`,
  // `#` is not a comment in an interactive csh; docker-machine uses the no-op command `:`.
  comment: ':',
  // docker-machine printed eval `cmd`; unquoted, csh globs and brace-expands the output's
  // words before eval sees them (`{a,b}` in a value became two words, `*` failed with
  // "No match"). Inside double quotes the output is only split at newlines.
  apply: (c) => `eval "\`${c.replace(/[`"]/g, '')}\`"`,
};

const emacs: ShellSyntax = {
  set: (n, v) => `(setenv ${elispQuote(n)} ${elispQuote(v)})`,
  unset: (n) => `(setenv ${elispQuote(n)} nil)`,
  comment: ';;',
  apply: (c) => `(with-temp-buffer (shell-command ${elispQuote(c)} (current-buffer)) (eval-buffer))`,
};

/** Every accepted `--shell` value and its syntax. */
export const SHELL_SYNTAX: Readonly<Record<string, ShellSyntax>> = Object.freeze({
  bash: posix,
  zsh: posix,
  sh: posix,
  ksh: posix,
  mksh: posix,
  dash: posix,
  ash: posix,
  fish,
  tcsh: csh,
  csh,
  powershell,
  pwsh: powershell,
  cmd,
  emacs,
});
