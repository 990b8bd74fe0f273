import { readFile } from 'node:fs/promises';
import { Client, utils, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { TsmError, errorMessage } from '../core/errors';
import type { SshEndpoint } from '../drivers/driver';
import {
  addKnownHost,
  algorithmsForKeyType,
  findHostKeys,
  fingerprint,
  hostKeyFromBlob,
  knownHostsName,
  readKnownHosts,
  type HostKey,
} from './known-hosts';

/** Where to connect and how to trust the host. */
export interface SshConnectOptions extends SshEndpoint {
  /**
   * OpenSSH known_hosts file used to pin the host key: recorded on first contact, verified after.
   * Omit only for throwaway connections where the host's identity does not matter: the key is
   * then accepted unverified and not recorded.
   */
  knownHostsPath?: string;
  /** Handshake + authentication timeout (default 20 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `user@host:port`, how errors name an SSH endpoint. */
export function endpointName(e: Pick<SshEndpoint, 'user' | 'host' | 'port'>): string {
  return `${e.user}@${e.host}:${e.port}`;
}

const SUPPORTED_HOST_KEY_ALGOS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]);

/** What the host-key check saw during the handshake. */
interface HostCheck {
  known: HostKey[];
  presented?: HostKey;
  mismatch: boolean;
}

/** Reads the private key and checks that it can sign: a key that cannot will never connect, so no retry should wait for it. */
async function readPrivateKey(o: SshConnectOptions): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(o.privateKeyPath);
  } catch (e) {
    throw new TsmError('SSH_ERROR', `cannot read the SSH private key ${o.privateKeyPath} for ${endpointName(o)}: ${errorMessage(e)}`, {
      cause: e,
      suggestion: 'check that the key file exists and is readable (the machine folder may be incomplete)',
    });
  }
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error || (Array.isArray(parsed) ? parsed[0] : parsed)?.isPrivateKey() !== true) {
    const why = parsed instanceof Error ? parsed.message : 'it holds no private key';
    throw new TsmError('SSH_KEY_INVALID', `the SSH private key ${o.privateKeyPath} for ${endpointName(o)} cannot be used: ${why}`, {
      suggestion: 'give an unencrypted private key in OpenSSH or PEM format (ssh-keygen -t ed25519 -N ""); a machine made with a broken key must be removed and created again',
    });
  }
  return key;
}

function mismatchError(o: SshConnectOptions, check: HostCheck): TsmError {
  const name = knownHostsName(o.host, o.port);
  const known = check.known.map((k) => `${fingerprint(k)} (${k.type})`).join(', ');
  const got = check.presented ? `${fingerprint(check.presented)} (${check.presented.type})` : 'no key of a known type';
  return new TsmError(
    'SSH_HOST_KEY_MISMATCH',
    `the SSH host key of ${name} changed: ${o.knownHostsPath} has ${known}, the host presented ${got}`,
    {
      suggestion:
        `if the host was re-created or reinstalled on purpose, forget the old key with ` +
        `"ssh-keygen -R '${name}' -f '${o.knownHostsPath}'" and retry; otherwise do not connect: ` +
        `someone may be intercepting the connection`,
    },
  );
}

/** Maps an ssh2 connection error to SSH_ERROR naming the endpoint and what to check. */
export function connectError(o: SshConnectOptions, e: unknown): TsmError {
  const err = e as Error & { level?: string; code?: string };
  const where = endpointName(o);
  let reason = errorMessage(e);
  let suggestion = `check that the host is up and sshd listens on ${o.host}:${o.port}`;
  if (err.level === 'client-authentication') {
    reason = 'permission denied (publickey)';
    suggestion = `check the user name "${o.user}" and that the public key of ${o.privateKeyPath} is in ~${o.user}/.ssh/authorized_keys on the host`;
  } else if (err.code === 'ECONNREFUSED') {
    reason = 'connection refused';
  } else if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    reason = 'timed out';
    suggestion = `check the address and that firewalls or security groups allow TCP port ${o.port}`;
  } else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
    reason = 'host unreachable';
    suggestion = 'check the address and the network route to the host';
  } else if (err.level === 'client-dns' || err.code === 'ENOTFOUND') {
    reason = `cannot resolve ${o.host}`;
    suggestion = 'check the host name';
  }
  return new TsmError('SSH_ERROR', `SSH to ${where} failed: ${reason}`, { cause: e, suggestion });
}

function hostKeyAlgorithms(known: HostKey[]): ServerHostKeyAlgorithm[] | undefined {
  const algos = [...new Set(known.flatMap((k) => algorithmsForKeyType(k.type)))].filter((a) => SUPPORTED_HOST_KEY_ALGOS.has(a));
  return algos.length > 0 ? (algos as ServerHostKeyAlgorithm[]) : undefined;
}

function connectConfig(o: SshConnectOptions, privateKey: Buffer, check: HostCheck): ConnectConfig {
  const pinned = o.knownHostsPath !== undefined && check.known.length > 0;
  const serverHostKey = pinned ? hostKeyAlgorithms(check.known) : undefined;
  return {
    host: o.host,
    port: o.port,
    username: o.user,
    privateKey,
    readyTimeout: o.timeoutMs ?? 20_000,
    keepaliveInterval: 15_000,
    keepaliveCountMax: 4,
    ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
    hostVerifier: (blob: Buffer): boolean => {
      check.presented = hostKeyFromBlob(blob);
      if (!pinned) return true;
      const p = check.presented;
      const ok = check.known.some((k) => k.type === p.type && k.base64 === p.base64);
      check.mismatch = !ok;
      return ok;
    },
  };
}

/**
 * Opens an authenticated ssh2 connection. On first contact (no key recorded for [host]:port)
 * the host key is recorded in `knownHostsPath` once authentication succeeded; afterwards it
 * must match (SSH_HOST_KEY_MISMATCH otherwise). Other failures are SSH_ERROR naming the endpoint.
 */
export async function openConnection(o: SshConnectOptions): Promise<Client> {
  const privateKey = await readPrivateKey(o);
  const check: HostCheck = { known: [], mismatch: false };
  if (o.knownHostsPath !== undefined) check.known = findHostKeys(await readKnownHosts(o.knownHostsPath), o.host, o.port);
  if (o.signal?.aborted) throw new TsmError('ABORTED', 'interrupted', { cause: o.signal.reason });
  const client = new Client();
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (e: unknown) => {
      o.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      if (check.mismatch || (check.known.length > 0 && /no matching host key/i.test(errorMessage(e)))) reject(mismatchError(o, check));
      else reject(connectError(o, e));
    };
    const onAbort = () => {
      client.destroy();
      reject(new TsmError('ABORTED', 'interrupted', { cause: o.signal?.reason }));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const onClose = () => fail(new Error('connection closed during the handshake'));
    client.once('ready', () => {
      o.signal?.removeEventListener('abort', onAbort);
      client.off('error', fail).off('close', onClose);
      resolve();
    });
    client.once('error', fail);
    client.once('close', onClose);
  });
  client.connect(connectConfig(o, privateKey, check));
  await ready;
  client.on('error', () => undefined); // later errors surface as closed channels
  if (o.knownHostsPath !== undefined && check.known.length === 0 && check.presented) {
    try {
      await addKnownHost(o.knownHostsPath, o.host, o.port, check.presented);
    } catch (e) {
      client.end();
      throw new TsmError('SSH_ERROR', `cannot record the host key of ${endpointName(o)} in ${o.knownHostsPath}: ${errorMessage(e)}`, {
        cause: e,
        suggestion: 'check that the machine folder is writable',
      });
    }
  }
  return client;
}
