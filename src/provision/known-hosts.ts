import { createHash, createHmac } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * OpenSSH known_hosts files: the subset tsmachine needs to pin a host key on first contact and
 * verify it afterwards, in a file the OpenSSH `ssh` binary accepts as `UserKnownHostsFile`.
 * Reads plain and hashed (`|1|salt|hash`) host fields, comma-separated patterns with `*`, `?`
 * and `!` negation. Marker lines (`@cert-authority`, `@revoked`) are skipped: tsmachine never
 * writes them.
 */

/** A host public key: its algorithm name and the base64 of its SSH wire-format blob. */
export interface HostKey {
  type: string;
  base64: string;
}

/** The host field OpenSSH uses: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Decodes the algorithm name at the start of an SSH public key blob. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  if (blob.length < 4) throw new Error('host key blob too short');
  const len = blob.readUInt32BE(0);
  if (len === 0 || 4 + len > blob.length) throw new Error('malformed host key blob');
  return { type: blob.subarray(4, 4 + len).toString('latin1'), base64: blob.toString('base64') };
}

/** OpenSSH's fingerprint: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(key: HostKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** One known_hosts line for the key, without the newline. */
export function formatKnownHostsLine(host: string, port: number, key: HostKey): string {
  return `${knownHostsName(host, port)} ${key.type} ${key.base64}`;
}

interface Entry {
  hosts: string;
  key: HostKey;
}

function parseLines(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, base64] = line.split(/\s+/);
    if (!hosts || !type || !base64) continue;
    entries.push({ hosts, key: { type, base64 } });
  }
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** True when a known_hosts host field matches one of the names (OpenSSH's rules, simplified). */
function hostFieldMatches(field: string, names: string[]): boolean {
  if (field.startsWith('|')) return names.some((n) => hashedMatches(field, n));
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    const re = globToRegExp(negated ? pattern.slice(1) : pattern);
    if (names.some((n) => re.test(n))) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Every key recorded for host:port in the known_hosts text (port 22 also matches `[host]:22`). */
export function findHostKeys(text: string, host: string, port: number): HostKey[] {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  return parseLines(text)
    .filter((e) => hostFieldMatches(e.hosts, names))
    .map((e) => e.key);
}

/** The ssh2 host key algorithms that can present a key of a recorded type. */
export function algorithmsForKeyType(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

/** The text of a known_hosts file, or '' when it does not exist. */
export async function readKnownHosts(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/**
 * Appends a key for host:port to the file (created 0600, parent 0700 if missing). Written to a
 * temp file then renamed, so a crash never leaves a truncated file.
 */
export async function addKnownHost(path: string, host: string, port: number, key: HostKey): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const old = await readKnownHosts(path);
  const sep = old === '' || old.endsWith('\n') ? '' : '\n';
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, `${old}${sep}${formatKnownHostsLine(host, port, key)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
