import type { Problem } from '../../core/errors';
import { compareVersions, parseImageUrn, type ImageRef } from './config-parse';
import { isNotFound } from './errors';
import type { AzureSession } from './session';

/**
 * The image to boot, with a concrete version: "latest" becomes the newest version published in
 * the machine's region (looked up at create time, never a stale pinned one); a given version
 * must exist there. Returns a Problem naming --azure-image when it does not.
 */
export async function findImage(s: AzureSession): Promise<ImageRef | Problem> {
  const ref = parseImageUrn(s.c.image);
  if (!ref) return { field: '--azure-image', message: `"${s.c.image}" is not publisher:offer:sku:version` };
  const { publisher, offer, sku } = ref;
  let versions: string[];
  try {
    versions = await s.call(`listing versions of image ${publisher}:${offer}:${sku} in ${s.c.location}`, s.t.call, () =>
      s.api.imageVersions(s.c.location, { publisher, offer, sku }),
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
    versions = [];
  }
  const sorted = [...versions].sort(compareVersions);
  const version = ref.version.toLowerCase() === 'latest' ? sorted.at(-1) : sorted.find((v) => v === ref.version);
  if (!version) {
    return {
      field: '--azure-image',
      message: `image ${s.c.image} is not published in ${s.c.location}`,
      suggestion: `list what is: az vm image list --location ${s.c.location} --publisher ${publisher} --offer ${offer} --sku ${sku} --all -o table`,
    };
  }
  return { ...ref, version };
}

export function isImage(x: ImageRef | Problem): x is ImageRef {
  return 'publisher' in x;
}
