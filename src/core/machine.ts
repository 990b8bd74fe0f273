/**
 * The persisted record of one machine: `machines/<name>/machine.json` in the store.
 * Paths inside are relative to the store root, so a store can be moved or shared.
 */
export const MACHINE_RECORD_VERSION = 1;

/** Names: docker-machine's rule. */
export const MACHINE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/;

export type EngineKind = 'tsagent' | 'docker';

/** Options stored for the engine at create (docker-machine's --engine-* flags). */
export interface EngineOptions {
  /** `--engine-opt k=v`: extra daemon flags (`--k v`). */
  opts: string[];
  /** `--engine-env K=V`: environment of the engine service. */
  env: string[];
  /** `--engine-label k=v`: daemon labels (shown by `docker info`, used by `ls --filter label=`). */
  labels: string[];
  insecureRegistries: string[];
  registryMirrors: string[];
}

export interface MachineRecord {
  version: typeof MACHINE_RECORD_VERSION;
  name: string;
  createdAt: string;
  driver: {
    name: string;
    /** The driver's own persisted config (assigned IP, created resource ids, ...). */
    config: Record<string, unknown>;
  };
  engine: {
    kind: EngineKind;
    /** TCP port of the Engine API (mutual TLS). */
    port: number;
    options: EngineOptions;
  };
  tls: {
    /** Extra SANs asked for with --tls-san. */
    extraSans: string[];
    /** SANs in the server certificate currently installed (to detect a changed IP). */
    issuedSans: string[];
  };
  /** Set once provisioning succeeded. */
  provisioned?: {
    os: string;
    initSystem: string;
    at: string;
  };
}

/** Files of a machine folder, relative to the machine folder. */
export const MACHINE_FILES = {
  record: 'machine.json',
  sshKey: 'id_ed25519',
  sshPublicKey: 'id_ed25519.pub',
  knownHosts: 'known_hosts',
  ca: 'ca.pem',
  cert: 'cert.pem',
  key: 'key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
} as const;

export function emptyEngineOptions(): EngineOptions {
  return { opts: [], env: [], labels: [], insecureRegistries: [], registryMirrors: [] };
}
