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

/**
 * A new ed25519 key pair in OpenSSH's own formats (PROTOCOL.key), from Node's crypto. ssh2's
 * generateKeyPairSync is not used: it drops a leading zero byte of the key (about one key in
 * 256), which OpenSSH then refuses to load ("error in libcrypto").
 */
export function generateEd25519Key(comment: string): SshKeyPair {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  if (pub.length !== 32 || seed.length !== 32) throw new Error('ed25519 key of unexpected size');
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
