import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Mode of every file the store writes. */
export const FILE_MODE = 0o600;
/** Mode of every folder the store creates. */
export const DIR_MODE = 0o700;

/**
 * Writes `data` to `path` so that readers see either the old content or the new one, never a
 * part: a temp file in the same folder (same filesystem), fsync, chmod `mode`, then rename over
 * `path`, then fsync of the folder. On any failure the temp file is removed.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number = FILE_MODE): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fh = await fs.open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.chmod(mode); // the umask may have narrowed or the open mode widened nothing
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
    renamed = true;
    await fsyncDir(dir);
  } finally {
    if (!renamed) await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** Creates `dir` (and missing parents) with mode 0700; an existing folder is left as it is. */
export async function ensureDir(dir: string, mode: number = DIR_MODE): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode });
}

/** Reads a UTF-8 file, or returns undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable. Some filesystems refuse to fsync a folder: that is not an error.
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}
