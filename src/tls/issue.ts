import { generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { TsmError, errorMessage } from '../core/errors';
import { canonicalHost } from './cert-info';

/** A certificate and its private key, both PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

export interface CertOptions {
  /** Organization (O) of the subject. */
  org: string;
  /** The issue time; validity starts 5 minutes before it (clock skew). Default: now. */
  now?: Date;
  /** Validity in days. Defaults: CA 10 years, leaf certificates 3 years. */
  validityDays?: number;
}

export interface ServerCertOptions extends CertOptions {
  /** IP addresses and DNS names of the host; `localhost` and `127.0.0.1` are always added. */
  hosts: string[];
}

/** Validity starts this long before the issue time, so a host whose clock is behind accepts it. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 1095;

const generateKeyPairAsync = promisify(generateKeyPair);

/** A self-signed CA (basicConstraints cA=true, keyCertSign) with a fresh RSA 2048 key. */
export async function generateCa(opts: CertOptions): Promise<PemPair> {
  const { keyPem, cert } = await newCert(opts, opts.validityDays ?? CA_VALIDITY_DAYS);
  const attrs = [{ name: 'organizationName', value: opts.org }, { name: 'commonName', value: `${opts.org} CA` }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const key = forge.pki.privateKeyFromPem(keyPem);
  cert.sign(key, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

/** A client certificate (extKeyUsage clientAuth) signed by `ca`. */
export async function issueClientCert(ca: PemPair, opts: CertOptions): Promise<PemPair> {
  return issueLeaf(ca, opts, [{ name: 'commonName', value: `${opts.org} client` }], [
    { name: 'extKeyUsage', clientAuth: true },
  ]);
}

/**
 * A server certificate signed by `ca` (extKeyUsage serverAuth; keyUsage digitalSignature and
 * keyEncipherment). SANs: each host as an IP SAN when it is an IP address, else a DNS SAN,
 * plus `localhost` and `127.0.0.1`.
 */
export async function issueServerCert(ca: PemPair, opts: ServerCertOptions): Promise<PemPair> {
  const sans = serverSans(opts.hosts);
  const cn = sans[0].length <= 64 ? sans[0] : 'tsmachine server';
  return issueLeaf(ca, opts, [{ name: 'commonName', value: cn }], [
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: sans.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
}

const DNS_NAME = /^(\*\.)?[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?)*\.?$/;

/**
 * The SAN list of a server certificate for `hosts`: IPs canonical, deduplicated, plus localhost
 * and 127.0.0.1. TLS_ERROR naming every entry that is neither an IP address nor a DNS name.
 */
export function serverSans(hosts: readonly string[]): string[] {
  const bad = hosts.filter((h) => h.trim() !== '' && !isIP(canonicalHost(h)) && !DNS_NAME.test(h.trim()));
  if (bad.length > 0) {
    throw new TsmError('TLS_ERROR', `not an IP address or DNS name: ${bad.map((b) => JSON.stringify(b)).join(', ')}`, {
      suggestion: 'give each --tls-san as an IP address or a host name',
    });
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of [...hosts, 'localhost', '127.0.0.1']) {
    const h = canonicalHost(raw);
    if (h === '') continue;
    const k = h.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(h);
    }
  }
  return out;
}

async function issueLeaf(ca: PemPair, opts: CertOptions, subject: forge.pki.CertificateField[], extra: object[]): Promise<PemPair> {
  const { caCert, caKey } = parseCa(ca);
  const { keyPem, cert } = await newCert(opts, opts.validityDays ?? LEAF_VALIDITY_DAYS);
  cert.setSubject([{ name: 'organizationName', value: opts.org }, ...subject]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...extra,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

async function newCert(opts: CertOptions, days: number): Promise<{ keyPem: string; cert: forge.pki.Certificate }> {
  // Encoded by the generation itself: exporting a fresh KeyObject can deadlock Node 20 (see
  // generateEd25519Key in core/ssh-key.ts).
  const { publicKey, privateKey: keyPem } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = randomSerial();
  const now = (opts.now ?? new Date()).getTime();
  cert.validity.notBefore = new Date(now - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now + days * 24 * 3600 * 1000);
  return { keyPem, cert };
}

/** 128 random bits as a positive, minimally encoded DER integer (first byte 0x40..0x7f). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x3f) | 0x40;
  return b.toString('hex');
}

function parseCa(ca: PemPair): { caCert: forge.pki.Certificate; caKey: forge.pki.rsa.PrivateKey } {
  try {
    return { caCert: forge.pki.certificateFromPem(ca.cert), caKey: forge.pki.privateKeyFromPem(ca.key) as forge.pki.rsa.PrivateKey };
  } catch (e) {
    throw new TsmError('TLS_ERROR', `cannot read the CA certificate or key: ${errorMessage(e)}`, {
      suggestion: 'the CA must be an RSA certificate and key in PEM; run "tsmachine regenerate-certs --client-certs" to make a new one',
      cause: e,
    });
  }
}
