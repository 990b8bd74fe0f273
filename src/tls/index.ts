/** TLS material of tsmachine: CA, client and server certificates, checks, store bootstrap. */
export { generateCa, issueClientCert, issueServerCert, serverSans, CLOCK_SKEW_MS, CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS } from './issue';
export type { PemPair, CertOptions, ServerCertOptions } from './issue';
export { certInfo, missingSans, verifyChain, certMatchesKey, canonicalHost } from './cert-info';
export type { CertInfo, ChainCheck } from './cert-info';
export { ensureStoreCerts, regenerateClientCerts, readStoreCerts, writeMachineCerts, STORE_CERT_FILES } from './store-certs';
export type { CertStore, StoreCerts, StoreCertOptions } from './store-certs';
