/**
 * Test certificates made with the openssl CLI: a CA, a server certificate for 127.0.0.1 and
 * localhost, and a client certificate; plus a second, unrelated CA and client for negative
 * tests. Everything lives in one temp folder the caller removes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** The CA that signs both server and client certificates. */
  caPem: string;
  serverCert: string;
  serverKey: string;
  /** A folder with ca.pem, cert.pem and key.pem, usable as DOCKER_CERT_PATH. */
  clientDir: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by another CA (must be refused). */
  rogueCert: string;
  rogueKey: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr.toString()}`);
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function issue(dir: string, ca: string, name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

/** Generates every certificate into `dir` (which must exist). */
export function makeTestCerts(dir: string): TestCerts {
  makeCa(dir, 'ca');
  issue(dir, 'ca', 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  issue(dir, 'ca', 'client', 'client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  makeCa(dir, 'rogue-ca');
  issue(dir, 'rogue-ca', 'rogue', 'client', 'extendedKeyUsage=clientAuth\n');
  const clientDir = join(dir, 'client');
  mkdirSync(clientDir, { recursive: true });
  copyFileSync(join(dir, 'ca.pem'), join(clientDir, 'ca.pem'));
  copyFileSync(join(dir, 'client.pem'), join(clientDir, 'cert.pem'));
  copyFileSync(join(dir, 'client-key.pem'), join(clientDir, 'key.pem'));
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientDir,
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client-key.pem'),
    rogueCert: join(dir, 'rogue.pem'),
    rogueKey: join(dir, 'rogue-key.pem'),
  };
}
