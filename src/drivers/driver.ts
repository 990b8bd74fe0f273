import type { Exec } from '../core/exec';
import type { Problem } from '../core/errors';
import type { ProgressSink } from '../core/progress';

/** docker-machine's state names, shown by `ls` and `status`. */
export type MachineState = 'Running' | 'Stopped' | 'Starting' | 'Stopping' | 'Paused' | 'Saved' | 'Error' | 'Timeout' | 'None';

/** Where and how to reach a machine over SSH. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** Absolute path of the private key to authenticate with. */
  privateKeyPath: string;
}

/** What the core gives a driver for one machine. */
export interface DriverContext<C> {
  /** Machine name (validated). */
  readonly name: string;
  /** Absolute path of the machine's folder in the store (0700). The driver may keep files here. */
  readonly dir: string;
  /** Absolute path of the store root. */
  readonly storePath: string;
  /**
   * The driver's persisted configuration. The driver may mutate it (assigned IP, ids of cloud
   * resources it created) and must call `save()` right after each resource it creates, so a
   * crash never forgets a resource.
   */
  readonly config: C;
  save(): Promise<void>;
  /** Private key generated for this machine (OpenSSH ed25519), and its public half. */
  readonly sshKeyPath: string;
  readonly sshPublicKey: string;
  readonly exec: Exec;
  readonly progress: ProgressSink;
  readonly signal?: AbortSignal;
}

/**
 * The driver contract. Every method is async and safe to call again after a failure.
 * - `create` records every resource it makes in `ctx.config` (and saves) as it goes.
 * - `remove` deletes every recorded resource, resolves if they are already gone, and deletes
 *   nothing it did not create.
 * - `state` never throws for a machine that is merely gone or stopped: it reports it.
 */
export interface Driver {
  /** Checks credentials, names, quotas, platform; creates nothing. */
  preCreateCheck(): Promise<void>;
  /** Creates the host and leaves it running with SSH starting. */
  create(): Promise<void>;
  start(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Hard power-off. */
  kill(): Promise<void>;
  /** Deletes everything the machine created; resolves if already gone. */
  remove(): Promise<void>;
  state(): Promise<MachineState>;
  /** The address clients use for the engine (and SSH unless sshEndpoint says otherwise). */
  ip(): Promise<string>;
  sshEndpoint(): Promise<SshEndpoint>;
  /** Every IP and DNS name the host answers on, for the server certificate's SANs. */
  addresses(): Promise<string[]>;
}

/** One driver flag: `--<driver>-<name>`, with its environment variable. */
export interface DriverFlag {
  /** Full flag name without dashes, e.g. `generic-ip-address`. */
  name: string;
  description: string;
  type: 'string' | 'integer' | 'boolean' | 'string[]';
  env?: string;
  default?: string | number | boolean | string[];
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

/** A driver's definition: its name, flags, and how to build its config and instances. */
export interface DriverDefinition<C = unknown> {
  name: string;
  description: string;
  flags: DriverFlag[];
  /** Builds the persisted config from flag values (env and defaults already applied); reports every problem. */
  configFromFlags(values: FlagValues): { config: C; problems: Problem[] };
  /** Builds a driver for one machine. Cheap: no I/O. */
  create(ctx: DriverContext<C>): Driver;
}
