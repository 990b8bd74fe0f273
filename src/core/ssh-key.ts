import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';
import { MACHINE_FILES } from './machine';

const uint32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };

/** An SSH wire `string`: uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([uint32(b.length), b]);
}

export interface SshKeyPair {
  /** The private key in OpenSSH's format (`-----BEGIN OPENSSH PRIVATE KEY-----`), unencrypted. */
  private: string;
  /** The authorized_keys line: `ssh-ed25519 AAAA... comment`. */
  public: string;
}

/** DER headers of an ed25519 SubjectPublicKeyInfo and PKCS#8 key (RFC 8410); the 32 key bytes follow. */
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The 32 key bytes after `header`, or an error if `der` is not that encoding. */
function rawKey(der: Buffer, header: Buffer): Buffer {
  if (der.length !== header.length + 32 || !der.subarray(0, header.length).equals(header)) throw new Error('ed25519 key in an unexpected encoding');
  return der.subarray(header.length);
}

/**
 * A new ed25519 key pair in OpenSSH's own formats (PROTOCOL.key), from Node's crypto. ssh2's
 * generateKeyPairSync is not used: it drops a leading zero byte of the key (about one key in
 * 256), which OpenSSH then refuses to load ("error in libcrypto"). The key comes out of Node
 * already DER-encoded: exporting a fresh KeyObject as JWK can deadlock Node 20 (a GC during the
 * export frees the key's generation job, which takes the lock the export holds).
 */
export function generateEd25519Key(comment: string): SshKeyPair {
  const der = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
  const pub = rawKey(der.publicKey, SPKI_ED25519);
  const seed = rawKey(der.privateKey, PKCS8_ED25519);
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  // Padded to the cipher's block size (8 for "none") with 1, 2, 3, ...
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''), uint32(1), sshString(pubBlob), sshString(priv)]);
  const b64 = body.toString('base64').match(/.{1,70}/g)!.join('\n');
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    public: `ssh-ed25519 ${pubBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

/**
 * Generates the machine's own SSH key (ed25519, OpenSSH format) in its folder:
 * id_ed25519 (0600) and id_ed25519.pub. Returns the public key line.
 */
export async function generateMachineKey(machineDir: string, comment: string): Promise<string> {
  const pair = generateEd25519Key(comment);
  await writeFileAtomic(join(machineDir, MACHINE_FILES.sshKey), pair.private, 0o600);
  await writeFileAtomic(join(machineDir, MACHINE_FILES.sshPublicKey), `${pair.public}\n`, 0o600);
  return pair.public;
}

export async function readMachinePublicKey(machineDir: string): Promise<string> {
  return (await readFile(join(machineDir, MACHINE_FILES.sshPublicKey), 'utf8')).trim();
}
