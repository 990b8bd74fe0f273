/** The sequence that detaches a client from a TTY container or exec without stopping it. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** A detach-keys value the client sent is not valid; `message` names the bad key and the fix. */
export class DetachKeysError extends Error {
  readonly code = 'DETACH_KEYS_INVALID';
}

const CTRL_SPECIALS: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/**
 * Parses Docker's detach-keys syntax: a comma-separated list of single characters and
 * `ctrl-<x>` where x is a letter or one of `@ [ \ ] ^ _` (`ctrl-p,ctrl-q`, `ctrl-a,d`, `x`).
 * An empty value means the default. Throws DetachKeysError for anything else.
 */
export function parseDetachKeys(spec: string | undefined | null): number[] {
  const text = spec === undefined || spec === null || spec === '' ? DEFAULT_DETACH_KEYS : spec;
  const out: number[] = [];
  for (const key of text.split(',')) {
    const ctrl = /^ctrl-(.+)$/i.exec(key);
    if (ctrl) {
      const c = ctrl[1];
      if (c.length === 1 && /[a-z]/i.test(c)) out.push(c.toLowerCase().charCodeAt(0) - 96);
      else if (c.length === 1 && c in CTRL_SPECIALS) out.push(CTRL_SPECIALS[c]);
      else throw new DetachKeysError(`Invalid detach keys (${text}) provided: unknown key "${key}" (use ctrl-<a-z, @, [, \\, ], ^, _> or a single character, e.g. ctrl-p,ctrl-q)`);
    } else if (Buffer.byteLength(key) === 1) {
      out.push(Buffer.from(key)[0]);
    } else {
      throw new DetachKeysError(`Invalid detach keys (${text}) provided: unknown key "${key}" (use ctrl-<a-z, @, [, \\, ], ^, _> or a single character, e.g. ctrl-p,ctrl-q)`);
    }
  }
  return out;
}

/**
 * Watches a client's keyboard input for the detach sequence. Bytes that could start the
 * sequence are held back until the next byte decides; on a mismatch they are passed on, on a
 * match they are dropped and `detached` is set (nothing after it is passed on).
 */
export class DetachScanner {
  private matched = 0;
  detached = false;

  constructor(private readonly keys: readonly number[]) {}

  /** Returns the bytes to forward to the container for this chunk of input. */
  push(chunk: Buffer): Buffer {
    if (this.detached || this.keys.length === 0) return this.detached ? Buffer.alloc(0) : chunk;
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.detached = true;
          return Buffer.from(out);
        }
        continue;
      }
      if (this.matched > 0) {
        out.push(...this.keys.slice(0, this.matched));
        this.matched = 0;
      }
      // A one-key sequence never gets here with its key: the match above took it.
      if (b === this.keys[0]) this.matched = 1;
      else out.push(b);
    }
    return Buffer.from(out);
  }

  /** Bytes held back as a possible start of the sequence (to deliver when input ends). */
  flush(): Buffer {
    const held = Buffer.from(this.keys.slice(0, this.matched));
    this.matched = 0;
    return this.detached ? Buffer.alloc(0) : held;
  }
}
