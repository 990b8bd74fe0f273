import { join } from 'node:path';
import { userInfo } from 'node:os';
import { TsmError } from '../core/errors';
import { ensureDir, readFileIfExists, writeFileAtomic } from '../core/atomic-write';
import { MACHINE_FILES } from '../core/machine';
import { certMatchesKey, verifyChain } from './cert-info';
import { generateCa, issueClientCert, type PemPair } from './issue';

/** What the TLS code needs of the store (core's `Store` satisfies it). */
export interface CertStore {
  readonly certsDir: string;
  machineDir(name: string): string;
  withStoreLock<T>(fn: () => Promise<T>): Promise<T>;
}

/** The store's CA and the client certificate it signed. */
export interface StoreCerts {
  ca: PemPair;
  client: PemPair;
}

export interface StoreCertOptions {
  /** Organization of new certificates. Default: the user name. */
  org?: string;
  now?: Date;
}

/** File names in `certs/`. */
export const STORE_CERT_FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'cert.pem', key: 'key.pem' } as const;

/**
 * Returns the store's CA and client certificate, creating them on first use under the store
 * lock (so concurrent first uses create exactly one CA). When the CA exists but the client
 * certificate is missing, only the client certificate is issued. TLS_ERROR when the existing
 * client certificate was not issued by the CA or does not match its key.
 */
export async function ensureStoreCerts(store: CertStore, opts: StoreCertOptions = {}): Promise<StoreCerts> {
  return store.withStoreLock(async () => {
    const files = await readStoreFiles(store);
    const org = opts.org ?? defaultOrg();
    let ca: PemPair;
    if (files.ca !== undefined && files.caKey !== undefined) {
      ca = { cert: files.ca, key: files.caKey };
    } else if (files.ca === undefined && files.caKey === undefined) {
      ca = await generateCa({ org, now: opts.now });
      await writePair(store.certsDir, STORE_CERT_FILES.ca, STORE_CERT_FILES.caKey, ca);
      files.cert = files.key = undefined; // a client cert from an older CA is useless
    } else {
      throw brokenStore(store, `${files.ca === undefined ? STORE_CERT_FILES.ca : STORE_CERT_FILES.caKey} is missing`);
    }
    if (files.cert !== undefined && files.key !== undefined) {
      const client = { cert: files.cert, key: files.key };
      checkClient(store, ca, client);
      return { ca, client };
    }
    const client = await issueClientCert(ca, { org, now: opts.now });
    await writePair(store.certsDir, STORE_CERT_FILES.cert, STORE_CERT_FILES.key, client);
    return { ca, client };
  });
}

/**
 * Replaces the store's CA and client certificate (`regenerate-certs --client-certs`). Every
 * machine then needs a new server certificate signed by the new CA.
 */
export async function regenerateClientCerts(store: CertStore, opts: StoreCertOptions = {}): Promise<StoreCerts> {
  return store.withStoreLock(async () => {
    const org = opts.org ?? defaultOrg();
    const ca = await generateCa({ org, now: opts.now });
    const client = await issueClientCert(ca, { org, now: opts.now });
    // Client first: a crash between the two writes leaves a mismatch that ensureStoreCerts reports.
    await writePair(store.certsDir, STORE_CERT_FILES.cert, STORE_CERT_FILES.key, client);
    await writePair(store.certsDir, STORE_CERT_FILES.ca, STORE_CERT_FILES.caKey, ca);
    return { ca, client };
  });
}

/** Reads the store's CA and client certificate without creating anything; undefined if absent. */
export async function readStoreCerts(store: CertStore): Promise<StoreCerts | undefined> {
  const f = await readStoreFiles(store);
  if (f.ca === undefined || f.caKey === undefined || f.cert === undefined || f.key === undefined) return undefined;
  return { ca: { cert: f.ca, key: f.caKey }, client: { cert: f.cert, key: f.key } };
}

/**
 * Writes a machine's TLS files into its folder (the DOCKER_CERT_PATH): ca.pem (the CA
 * certificate, never its key), cert.pem/key.pem (the client pair) and server.pem/server-key.pem.
 */
export async function writeMachineCerts(
  store: CertStore,
  name: string,
  certs: { ca: { cert: string }; client: PemPair; server: PemPair },
): Promise<void> {
  const dir = store.machineDir(name);
  await ensureDir(dir);
  await writeFileAtomic(join(dir, MACHINE_FILES.ca), certs.ca.cert);
  await writePair(dir, MACHINE_FILES.cert, MACHINE_FILES.key, certs.client);
  await writePair(dir, MACHINE_FILES.serverCert, MACHINE_FILES.serverKey, certs.server);
}

async function readStoreFiles(store: CertStore) {
  const read = (f: string) => readFileIfExists(join(store.certsDir, f));
  const [ca, caKey, cert, key] = await Promise.all([
    read(STORE_CERT_FILES.ca),
    read(STORE_CERT_FILES.caKey),
    read(STORE_CERT_FILES.cert),
    read(STORE_CERT_FILES.key),
  ]);
  return { ca, caKey, cert, key };
}

async function writePair(dir: string, certFile: string, keyFile: string, pair: PemPair): Promise<void> {
  await ensureDir(dir);
  await writeFileAtomic(join(dir, keyFile), pair.key);
  await writeFileAtomic(join(dir, certFile), pair.cert);
}

function checkClient(store: CertStore, ca: PemPair, client: PemPair): void {
  const chain = verifyChain(ca.cert, client.cert);
  if (!chain.ok) throw brokenStore(store, `the client certificate does not check against the CA: ${chain.reason}`);
  if (!certMatchesKey(client.cert, client.key)) throw brokenStore(store, `${STORE_CERT_FILES.key} is not the key of ${STORE_CERT_FILES.cert}`);
}

function brokenStore(store: CertStore, why: string): TsmError {
  return new TsmError('TLS_ERROR', `the certificates in ${store.certsDir} are unusable: ${why}`, {
    suggestion: 'run "tsmachine regenerate-certs --client-certs" (then regenerate-certs for each machine)',
  });
}

function defaultOrg(): string {
  try {
    return userInfo().username || 'tsmachine';
  } catch {
    return 'tsmachine';
  }
}
