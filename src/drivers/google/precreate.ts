import { errorMessage, TsmError } from '../../core/errors';
import { isCredentialError, type GceImage, type GoogleApi } from './api';
import { DEFAULT_IMAGE_FAMILY, DEFAULT_IMAGE_PROJECT } from './flags';
import type { GoogleConfig, ImageRef } from './config';

const CREDENTIALS_HINT =
  'set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run "gcloud auth application-default login"; the account needs the Compute Instance Admin and Compute Security Admin roles in the project';

/** Wraps a provider error met while checking, naming the call and the credential sources. */
export function checkError(call: string, e: unknown): TsmError {
  if (isCredentialError(e)) {
    return new TsmError('PRECREATE_FAILED', `Google credentials were missing or refused (${call}): ${errorMessage(e)}`, { cause: e, suggestion: CREDENTIALS_HINT });
  }
  return new TsmError('PRECREATE_FAILED', `${call} failed: ${errorMessage(e)}`, { cause: e });
}

function describe(ref: ImageRef): string {
  return 'family' in ref ? `image family ${ref.family} in project ${ref.project}` : `image ${ref.name} in project ${ref.project}`;
}

/** Looks the boot image up now: the newest non-deprecated image of a family, or one image by name. */
export async function resolveImage(api: GoogleApi, ref: ImageRef): Promise<GceImage> {
  let img: GceImage | undefined;
  try {
    img = 'family' in ref ? await api.getImageFromFamily(ref.project, ref.family) : await api.getImage(ref.project, ref.name);
  } catch (e) {
    throw checkError(`looking up ${describe(ref)}`, e);
  }
  if (!img) {
    throw new TsmError('PRECREATE_FAILED', `--google-machine-image: ${describe(ref)} was not found`, {
      suggestion: `use an existing image, e.g. projects/${DEFAULT_IMAGE_PROJECT}/global/images/family/${DEFAULT_IMAGE_FAMILY}`,
    });
  }
  return img;
}

/**
 * One cheap call first (zones.get checks credentials, project and zone at once), then the
 * machine type, the image, and whether the instance name is free (or, with
 * --google-use-existing, taken). Creates nothing.
 */
export async function googlePreCreateCheck(api: GoogleApi, c: GoogleConfig, instanceName: string): Promise<GceImage> {
  let zone;
  try {
    zone = await api.getZone(c.zone);
  } catch (e) {
    throw checkError(`reading zone ${c.zone} of project ${c.project}`, e);
  }
  if (!zone) {
    throw new TsmError('PRECREATE_FAILED', `--google-zone: zone "${c.zone}" was not found in project "${c.project}"`, {
      suggestion: 'check --google-zone and --google-project (list zones with "gcloud compute zones list")',
    });
  }
  if (zone.status && zone.status !== 'UP') {
    throw new TsmError('PRECREATE_FAILED', `--google-zone: zone "${c.zone}" is ${zone.status}`, { suggestion: 'use another zone' });
  }
  let type;
  try {
    type = await api.getMachineType(c.zone, c.machineType);
  } catch (e) {
    throw checkError(`reading machine type ${c.machineType}`, e);
  }
  if (!type) {
    throw new TsmError('PRECREATE_FAILED', `--google-machine-type: machine type "${c.machineType}" does not exist in zone ${c.zone}`, {
      suggestion: `list them with "gcloud compute machine-types list --zones ${c.zone}"; e.g. e2-small, e2-medium`,
    });
  }
  const image = await resolveImage(api, c.image);
  let existing;
  try {
    existing = await api.getInstance(c.zone, instanceName);
  } catch (e) {
    throw checkError(`reading instance ${instanceName}`, e);
  }
  if (existing && !c.useExisting) {
    throw new TsmError('PRECREATE_FAILED', `instance "${instanceName}" already exists in zone ${c.zone}`, {
      suggestion: 'choose another machine name, or adopt that instance with --google-use-existing',
    });
  }
  if (!existing && c.useExisting) {
    throw new TsmError('PRECREATE_FAILED', `--google-use-existing: instance "${instanceName}" was not found in zone ${c.zone}`, {
      suggestion: 'name the machine like the existing instance, or drop --google-use-existing',
    });
  }
  return image;
}
