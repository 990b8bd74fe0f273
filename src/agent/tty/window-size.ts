import { constants as fsc, promises as fsp } from 'node:fs';
import { join } from 'node:path';

/** A window size from a resize request, validated as conmon wants it (0..1000 each). */
export function parseWindowSize(h: number | undefined, w: number | undefined): { height: number; width: number } | string {
  const bad = [h === undefined ? 'h is missing' : '', w === undefined ? 'w is missing' : ''].filter(Boolean);
  if (bad.length) return `${bad.join(', ')}: pass ?h=ROWS&w=COLUMNS`;
  for (const [name, v] of [['h', h], ['w', w]] as const) {
    if (!Number.isInteger(v) || v! < 0 || v! > 1000) return `${name}=${v} is out of range: rows and columns must be integers from 0 to 1000`;
  }
  return { height: h!, width: w! };
}

/**
 * Resizes the pty conmon owns: conmon reads `1 <rows> <cols>\n` (1 = resize event) from the
 * `ctl` FIFO in its bundle folder. Opening without a reader fails (no conmon): resolves false.
 */
export async function writeWindowSize(bundleDir: string, height: number, width: number): Promise<boolean> {
  const fh = await fsp.open(join(bundleDir, 'ctl'), fsc.O_WRONLY | fsc.O_NONBLOCK).catch(() => undefined);
  if (!fh) return false;
  try {
    await fh.write(`1 ${height} ${width}\n`);
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}
