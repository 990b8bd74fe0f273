import { watch, promises as fsp, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface ExitInfo {
  code: number;
  /** When conmon wrote the exit file (ms since epoch). */
  at: number;
}

/** Reads `<dir>/<id>` (written by conmon once the container is gone and its output drained). */
export async function readExitFile(dir: string, id: string): Promise<ExitInfo | undefined> {
  try {
    const p = join(dir, id);
    const [text, st] = await Promise.all([fsp.readFile(p, 'utf8'), fsp.stat(p)]);
    const code = Number(text.trim());
    return { code: Number.isFinite(code) ? code : 255, at: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Watches conmon's exit folder and calls `onExit(id)` when an exit file appears. A poll
 * every `pollMs` catches anything inotify missed.
 */
export class ExitWatcher {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(private readonly dir: string, private readonly onExit: (id: string) => void, private readonly pollMs = 2000) {}

  start(poll: () => void): void {
    this.watcher = watch(this.dir, (_event, file) => {
      if (file && /^[0-9a-f]{64}$/.test(file.toString())) this.onExit(file.toString());
    });
    this.watcher.on('error', () => undefined);
    this.timer = setInterval(poll, this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
