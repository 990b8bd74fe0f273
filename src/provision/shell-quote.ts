/** POSIX shell quoting for commands sent over SSH. Pure. */

/** Quotes one word for a POSIX shell: `it's` -> `'it'\''s'`. Safe words are left bare. */
export function shQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins words into one command line, quoting each. */
export function shJoin(words: readonly string[]): string {
  return words.map(shQuote).join(' ');
}

/**
 * Wraps a shell command so it runs as root through `sudo -n` (never prompts: fails instead when
 * sudo wants a password). The command runs in `sh -c`, so pipes and redirections apply as root.
 */
export function sudoWrap(command: string): string {
  return `sudo -n -- sh -c ${shQuote(command)}`;
}

/** Octal string of a file mode for chmod: 0o600 -> `0600`. */
export function octalMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`invalid file mode ${mode}`);
  return `0${mode.toString(8).padStart(3, '0')}`;
}
