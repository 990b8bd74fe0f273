import { join } from 'node:path';
import { MACHINE_FILES } from './machine';
import { openMachine } from './machine-context';
import type { Store } from './store';

const SECRET_KEY = /secret|token|password|passphrase|privatekey/i;

/** A copy of a driver config with credential values replaced (secrets never reach output). */
export function redactSecrets(value: unknown): any {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' && v !== '' ? '<redacted>' : redactSecrets(v)]),
  );
}

/**
 * A machine as `tsmachine inspect` shows it: docker-machine's shape (so `{{.Driver.IPAddress}}`,
 * `{{.DriverName}}`, `{{.HostOptions.AuthOptions.CertDir}}` keep working), with absolute paths.
 */
export async function inspectMachine(store: Store, name: string): Promise<Record<string, unknown>> {
  const m = await openMachine(store, name);
  const r = m.record;
  let ip = '';
  let ssh: { host: string; port: number; user: string; privateKeyPath: string } | undefined;
  try {
    ip = await m.driver.ip();
    ssh = await m.driver.sshEndpoint();
  } catch {
    // A machine that is gone or half-created still shows its record.
  }
  const file = (f: string) => join(m.dir, f);
  return {
    ConfigVersion: r.version,
    Name: r.name,
    DriverName: r.driver.name,
    CreatedAt: r.createdAt,
    Driver: {
      ...redactSecrets(r.driver.config),
      IPAddress: ip,
      MachineName: r.name,
      SSHUser: ssh?.user ?? '',
      SSHPort: ssh?.port ?? 0,
      SSHKeyPath: ssh?.privateKeyPath ?? file(MACHINE_FILES.sshKey),
      StorePath: store.root,
    },
    HostOptions: {
      Driver: '',
      EngineOptions: {
        Kind: r.engine.kind,
        Port: r.engine.port,
        ArbitraryFlags: r.engine.options.opts,
        Env: r.engine.options.env,
        Labels: r.engine.options.labels,
        InsecureRegistry: r.engine.options.insecureRegistries,
        RegistryMirror: r.engine.options.registryMirrors,
      },
      AuthOptions: {
        CertDir: join(store.root, 'certs'),
        CaCertPath: join(store.root, 'certs', 'ca.pem'),
        CaPrivateKeyPath: join(store.root, 'certs', 'ca-key.pem'),
        ClientCertPath: join(store.root, 'certs', 'cert.pem'),
        ClientKeyPath: join(store.root, 'certs', 'key.pem'),
        ServerCertPath: file(MACHINE_FILES.serverCert),
        ServerKeyPath: file(MACHINE_FILES.serverKey),
        StorePath: m.dir,
        ServerCertSANs: r.tls.extraSans,
        IssuedSANs: r.tls.issuedSans,
      },
    },
    Provisioned: r.provisioned ?? null,
  };
}
