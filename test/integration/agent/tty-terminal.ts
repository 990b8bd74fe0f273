/**
 * A real terminal for driving the interactive docker CLI: a tmux server of its own (unique
 * socket name) runs one command per window in a pseudo-terminal of a chosen size. Keys are
 * sent with send-keys, the screen is read with capture-pane, and resize-window changes the
 * size (the CLI gets SIGWINCH and calls the resize endpoint). `close()` kills the server.
 */
import { spawnSync } from 'node:child_process';

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export class TmuxTerminal {
  private static servers = 0;
  readonly server = `tsa-tty-${process.pid}-${Math.random().toString(36).slice(2, 8)}-${TmuxTerminal.servers++}`;

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.server, ...args], { encoding: 'utf8', env: { ...process.env, TMUX: '' } });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr || r.error?.message}`);
    return r.stdout;
  }

  /**
   * Runs `argv` with `env` in a new `cols`x`rows` terminal. After it exits the window prints
   * `EXIT=<code>` and stays, so the code can be read from the screen.
   */
  constructor(argv: string[], env: NodeJS.ProcessEnv, cols = 100, rows = 30) {
    const envArgs = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => q(`${k}=${v}`));
    const cmd = `env -i TERM=xterm ${envArgs.join(' ')} ${argv.map(q).join(' ')}; echo EXIT=$?; sleep 3600`;
    this.tmux(['new-session', '-d', '-s', 't', '-x', String(cols), '-y', String(rows), cmd]);
  }

  /** Types literal text. */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 't', '-l', text]);
  }

  /** Types a line and Enter. */
  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  /** Sends tmux key names (C-c, C-p, Enter). */
  keys(...names: string[]): void {
    this.tmux(['send-keys', '-t', 't', ...names]);
  }

  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', 't', '-x', String(cols), '-y', String(rows)]);
  }

  /** The visible screen (trailing blank lines dropped). */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 't', '-S', '-200']).replace(/\n+$/, '\n');
  }

  /** Waits until the screen matches `re`; the match, or an error showing the screen. */
  async waitFor(re: RegExp, what: string, ms = 10_000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.screen().match(re);
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the command's exit code (printed as EXIT=N). */
  async exitCode(ms = 10_000): Promise<number> {
    return Number((await this.waitFor(/EXIT=(\d+)/, 'the command to exit', ms))[1]);
  }

  close(): void {
    spawnSync('tmux', ['-L', this.server, 'kill-server'], { env: { ...process.env, TMUX: '' } });
  }
}
