import type { ProgressEvent, ProgressSink } from '../../core/progress';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Renders core progress events on stderr: a spinner on a TTY, plain lines otherwise (CI, pipes).
 * Returns the sink and a `stop()` that clears any spinner.
 */
export function progressRenderer(stream: NodeJS.WriteStream = process.stderr, quiet = false): { sink: ProgressSink; stop(): void } {
  if (quiet) return { sink: () => undefined, stop: () => undefined };
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let current = '';
  const clear = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (tty && current) stream.write('\r\x1b[2K');
    current = '';
  };
  const sink = (e: ProgressEvent) => {
    if (e.kind === 'step') {
      clear();
      current = e.message;
      if (!tty) return void stream.write(`${e.message}...\n`);
      timer = setInterval(() => stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`), 80);
      timer.unref();
    } else if (e.kind === 'done') {
      clear();
      stream.write(`${tty ? '✔' : 'done:'} ${e.message} (${formatMs(e.ms)})\n`);
    } else {
      clear();
      stream.write(`${e.kind === 'warn' ? 'Warning: ' : ''}${e.message}\n`);
    }
  };
  return { sink, stop: clear };
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
