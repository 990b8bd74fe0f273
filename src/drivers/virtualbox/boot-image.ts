import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsmError, errorMessage } from '../../core/errors';
import type { ProgressSink } from '../../core/progress';
import type { VBoxHost } from './host';

/** The image tsmachine boots when --virtualbox-boot2docker-url is not given (built from iso/). */
export const DEFAULT_IMAGE_NAME = 'tsos.iso';

export type BootImageSource = { kind: 'file'; path: string } | { kind: 'url'; url: string; cachePath: string };

export function defaultBootImagePath(storePath: string): string {
  return join(storePath, 'cache', DEFAULT_IMAGE_NAME);
}

/** Where the image comes from: a local file (the default lives in the store cache), or a URL cached there. */
export function bootImageSource(image: string | undefined, storePath: string): BootImageSource {
  if (!image) return { kind: 'file', path: defaultBootImagePath(storePath) };
  if (/^file:\/\//i.test(image)) return { kind: 'file', path: fileURLToPath(image) };
  if (/^https?:\/\//i.test(image)) {
    const tag = createHash('sha256').update(image).digest('hex').slice(0, 12);
    const name = basename(new URL(image).pathname) || 'boot.iso';
    return { kind: 'url', url: image, cachePath: join(storePath, 'cache', 'virtualbox', `${tag}-${name}`) };
  }
  return { kind: 'file', path: image };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) u.username = u.password = '***';
    u.search = u.search ? '?***' : '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Makes sure the boot image is on this host and returns its path: a file must exist; a URL is
 * downloaded once into the store cache (in preCreateCheck, so a failed download creates nothing).
 */
export async function ensureBootImage(host: VBoxHost, src: BootImageSource, progress: ProgressSink, signal?: AbortSignal): Promise<string> {
  if (src.kind === 'file') {
    if (await host.exists(src.path)) return src.path;
    throw new TsmError('PRECREATE_FAILED', `the boot image ${src.path} does not exist`, {
      suggestion: 'give the ISO to boot with --virtualbox-boot2docker-url <path or http(s) URL> (the tsos image built from iso/ goes to <store>/cache/tsos.iso)',
      problems: [{ field: '--virtualbox-boot2docker-url', message: `${src.path} does not exist` }],
    });
  }
  if (await host.exists(src.cachePath)) return src.cachePath;
  progress({ kind: 'info', message: `Downloading the boot image ${redact(src.url)} to ${src.cachePath}` });
  try {
    await host.download(src.url, src.cachePath, signal);
  } catch (e) {
    if (signal?.aborted) throw new TsmError('ABORTED', 'interrupted', { cause: e });
    const why = errorMessage(e).split(src.url).join(redact(src.url));
    throw new TsmError('PRECREATE_FAILED', `could not download the boot image --virtualbox-boot2docker-url ${redact(src.url)}: ${why}`, {
      cause: e,
      suggestion: 'check the URL, or download the ISO yourself and give its path',
    });
  }
  return src.cachePath;
}
