import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { TsmError, errorMessage } from '../core/errors';

export interface CertInfo {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** Subject alternative names: IP addresses (canonical form) and DNS names, in cert order. */
  sans: string[];
  isCa: boolean;
  /** Serial number, upper-case hex. */
  serial: string;
}

export type ChainCheck = { ok: true } | { ok: false; reason: string };

/** Reads the fields of a PEM certificate. TLS_ERROR when it is not one. */
export function certInfo(pem: string): CertInfo {
  const x = parse(pem, 'certificate');
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    sans: parseSans(x.subjectAltName),
    isCa: x.ca,
    serial: x.serialNumber,
  };
}

/**
 * The hosts (IPs or DNS names) that `certPem`'s SANs do not cover, e.g. a new IP of a machine
 * whose server certificate must then be reissued. IPs compare in canonical form, DNS names
 * case-insensitively, and a `*.example.com` SAN covers one label.
 */
export function missingSans(certPem: string, hosts: readonly string[]): string[] {
  const sans = certInfo(certPem).sans.map((s) => s.toLowerCase());
  return hosts.filter((h) => {
    const host = canonicalHost(h).toLowerCase();
    if (host === '') return false;
    return !sans.some((san) => san === host || (!isIP(host) && wildcardMatches(san, host)));
  });
}

/**
 * Checks that `certPem` was issued and signed by `caPem`, that the CA is a CA, and that both are
 * valid at `now`. Never throws for a bad chain: returns the reason.
 */
export function verifyChain(caPem: string, certPem: string, now: Date = new Date()): ChainCheck {
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = parse(caPem, 'CA certificate');
    cert = parse(certPem, 'certificate');
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  }
  if (!ca.ca) return { ok: false, reason: `${oneLine(ca.subject)} is not a CA certificate` };
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    return { ok: false, reason: `${oneLine(cert.subject)} was not issued by ${oneLine(ca.subject)}` };
  }
  for (const [what, x] of [['CA certificate', ca], ['certificate', cert]] as const) {
    if (now < new Date(x.validFrom)) return { ok: false, reason: `the ${what} is not valid before ${x.validFrom}` };
    if (now > new Date(x.validTo)) return { ok: false, reason: `the ${what} expired on ${x.validTo}` };
  }
  return { ok: true };
}

/** Whether `keyPem` is the private key of `certPem`. */
export function certMatchesKey(certPem: string, keyPem: string): boolean {
  try {
    return parse(certPem, 'certificate').checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** A host as written in a SAN: brackets and spaces removed, IPv6 in canonical (RFC 5952) form. */
export function canonicalHost(host: string): string {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(h) === 6) return new URL(`http://[${h}]/`).hostname.slice(1, -1);
  return h;
}

function parseSans(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  for (const m of text.matchAll(/(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const value = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2].trim();
    out.push(m[1] === 'DNS' ? value : canonicalHost(value));
  }
  return out;
}

function wildcardMatches(san: string, host: string): boolean {
  if (!san.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === san.slice(2);
}

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new TsmError('TLS_ERROR', `cannot read the ${what}: ${errorMessage(e)}`, { cause: e });
  }
}

function oneLine(dn: string): string {
  return dn.replace(/\n/g, ', ');
}
