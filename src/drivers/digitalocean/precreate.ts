import { createHash } from 'node:crypto';
import { access, constants, readFile } from 'node:fs/promises';
import { TsmError } from '../../core/errors';
import { isUnauthorized, type DigitalOceanApi } from './api';
import type { DigitalOceanConfig } from './config';

const TOKEN_HINT = 'set DIGITALOCEAN_ACCESS_TOKEN (or --digitalocean-access-token) to a valid personal access token with write scope (API > Tokens in the control panel)';

/** Wraps an API failure met while checking, naming the call; a 401 names the token source. */
export function checkError(e: unknown): TsmError {
  const msg = e instanceof Error ? e.message : String(e);
  if (isUnauthorized(e)) return new TsmError('PRECREATE_FAILED', `DigitalOcean refused the access token (${msg})`, { suggestion: TOKEN_HINT });
  return new TsmError('PRECREATE_FAILED', msg);
}

/** MD5 fingerprint of an OpenSSH public key line ("type base64 comment"), as DigitalOcean shows it. */
export function md5Fingerprint(publicLine: string): string {
  const blob = Buffer.from(publicLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

/** The fingerprint of a private key file's public half; throws PRECREATE_FAILED if it cannot be used. */
async function privateKeyFingerprint(path: string): Promise<string> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new TsmError('PRECREATE_FAILED', `--digitalocean-ssh-key-path: ${path} cannot be read`, { cause: e, suggestion: 'give a readable private key file' });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { utils } = require('ssh2') as typeof import('ssh2');
  const parsed = utils.parseKey(raw);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    throw new TsmError('PRECREATE_FAILED', `--digitalocean-ssh-key-path: ${path} is not a usable private key (${key instanceof Error ? key.message : 'unknown format'})`, {
      suggestion: 'give an unencrypted OpenSSH or PEM private key',
    });
  }
  return createHash('md5').update(key.getPublicSSH()).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

async function checkSshKey(api: DigitalOceanApi, c: DigitalOceanConfig): Promise<void> {
  if (!c.sshKeyFingerprint) return;
  const key = await api.getSshKey(c.sshKeyFingerprint).catch((e) => Promise.reject(checkError(e)));
  if (!key) {
    throw new TsmError('PRECREATE_FAILED', `--digitalocean-ssh-key-fingerprint: no SSH key ${c.sshKeyFingerprint} on the account`, { suggestion: 'add the key in the control panel (Settings > Security) or give the fingerprint of one that is there' });
  }
  const local = await privateKeyFingerprint(c.sshKeyPath!);
  if (local !== c.sshKeyFingerprint) {
    throw new TsmError('PRECREATE_FAILED', `--digitalocean-ssh-key-path: ${c.sshKeyPath} (fingerprint ${local}) is not the private half of key ${c.sshKeyFingerprint}`, { suggestion: 'give the matching private key' });
  }
}

async function checkRegionAndSize(api: DigitalOceanApi, c: DigitalOceanConfig): Promise<void> {
  const [regions, sizes] = await Promise.all([api.listRegions(), api.listSizes()]).catch((e) => Promise.reject(checkError(e)));
  const region = regions.find((r) => r.slug === c.region);
  const usable = regions.filter((r) => r.available).map((r) => r.slug).sort().join(', ');
  if (!region) throw new TsmError('PRECREATE_FAILED', `--digitalocean-region: region "${c.region}" does not exist`, { suggestion: `use one of: ${usable}` });
  if (!region.available) throw new TsmError('PRECREATE_FAILED', `--digitalocean-region: region "${c.region}" takes no new droplets`, { suggestion: `use one of: ${usable}` });
  const size = sizes.find((s) => s.slug === c.size);
  if (!size) throw new TsmError('PRECREATE_FAILED', `--digitalocean-size: size "${c.size}" does not exist`, { suggestion: 'list sizes with "doctl compute size list"; e.g. s-1vcpu-1gb, s-2vcpu-2gb' });
  if (!size.available || !region.sizes.includes(c.size)) {
    const here = region.sizes.slice(0, 8).join(', ');
    throw new TsmError('PRECREATE_FAILED', `--digitalocean-size: size "${c.size}" is not available in region ${c.region}`, { suggestion: `use a size offered there, e.g. ${here}` });
  }
}

/**
 * The token first (GET /v2/account, one cheap call), then region and size (GET /v2/regions,
 * /v2/sizes), the image, the account key when one is named, and the user-data file. Creates nothing.
 */
export async function digitaloceanPreCreateCheck(api: DigitalOceanApi, c: DigitalOceanConfig): Promise<void> {
  const account = await api.getAccount().catch((e) => Promise.reject(checkError(e)));
  if (account.status === 'locked') {
    throw new TsmError('PRECREATE_FAILED', `DigitalOcean account ${account.email} is locked${account.statusMessage ? `: ${account.statusMessage}` : ''}`, { suggestion: 'resolve it in the control panel (Billing)' });
  }
  await checkRegionAndSize(api, c);
  const image = await api.getImage(c.image).catch((e) => Promise.reject(checkError(e)));
  if (!image) throw new TsmError('PRECREATE_FAILED', `--digitalocean-image: image "${c.image}" was not found`, { suggestion: 'use an image slug such as ubuntu-24-04-x64, or an image ID of the account' });
  if (image.regions.length > 0 && !image.regions.includes(c.region)) {
    throw new TsmError('PRECREATE_FAILED', `--digitalocean-image: image "${c.image}" is not available in region ${c.region}`, { suggestion: `use one of its regions: ${image.regions.join(', ')}` });
  }
  await checkSshKey(api, c);
  if (c.userDataPath) {
    await access(c.userDataPath, constants.R_OK).catch((e) => {
      throw new TsmError('PRECREATE_FAILED', `--digitalocean-userdata: ${c.userDataPath} cannot be read`, { cause: e });
    });
  }
}
