import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteJson, listDir, mkdirp, readJsonIfExists } from '../util/fsx';
import { badRequest, conflict, notFound } from '../http/api-error';
import { isMountPoint, unmount } from '../util/mount';
import { runOk } from '../util/proc';
import { randomId } from '../util/ids';
import { nowRfc3339 } from '../util/time';

/** dockerd's label on volumes created without a name (prune removes only these by default). */
export const ANON_LABEL = 'com.docker.volume.anonymous';
export const VALID_VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const LOCAL_OPTS = ['type', 'device', 'o'];

/** What tsagent persists per volume (`<data-root>/volumes/<name>/volume.json`). */
export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  CreatedAt: string;
  Labels: Record<string, string>;
  /** The local driver's options (type, device, o): mounted on `_data` while a container uses it. */
  Options: Record<string, string>;
}

/** Something that happened to a volume: create, mount, unmount, destroy. */
export type VolumeEventSink = (action: string, name: string, attrs?: Record<string, string>) => void;

/** Checks the local driver's options as dockerd does: only type, device and o, and type with device. */
export function validateLocalOptions(opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) if (!LOCAL_OPTS.includes(k)) throw badRequest(`create volume: invalid option: "${k}" (the local driver takes type, device and o)`);
  if (opts.type && !opts.device) throw badRequest('create volume: missing required option: "device"');
  if (opts.device && !opts.type) throw badRequest('create volume: missing required option: "type"');
}

/**
 * Named and anonymous volumes of the "local" driver, each a folder `<root>/<name>/_data`.
 * Volumes with driver options (tmpfs, bind, ...) get their filesystem mounted on `_data`
 * by `mount()` and released by `unmount()` when no running container needs it.
 */
export class VolumeStore {
  private readonly byName = new Map<string, VolumeRecord>();
  /** Containers this process mounted each volume for (for mount/unmount events). */
  private readonly users = new Map<string, Set<string>>();
  onEvent: VolumeEventSink = () => undefined;

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdirp(this.root, 0o701);
    for (const name of await listDir(this.root)) {
      const rec = await readJsonIfExists<VolumeRecord>(join(this.root, name, 'volume.json'));
      if (rec) this.byName.set(name, rec);
    }
  }

  dataDir(name: string): string {
    return join(this.root, name, '_data');
  }

  all(): VolumeRecord[] {
    return [...this.byName.values()];
  }

  find(name: string): VolumeRecord | undefined {
    return this.byName.get(name);
  }

  get(name: string): VolumeRecord {
    const v = this.byName.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  isAnonymous(v: VolumeRecord): boolean {
    return ANON_LABEL in v.Labels;
  }

  /**
   * Creates a volume; an empty name makes an anonymous one. Idempotent for an existing name
   * (returns it unchanged, as dockerd does), a 409 when options differ.
   */
  async create(name: string, opts: { driver?: string; options?: Record<string, string>; labels?: Record<string, string> } = {}): Promise<VolumeRecord> {
    const driver = opts.driver || 'local';
    if (driver !== 'local') throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found (tsagent has only the local driver)`);
    const options = opts.options ?? {};
    validateLocalOptions(options);
    const anonymous = !name;
    if (anonymous) name = randomId();
    else if (/^[a-zA-Z0-9]$/.test(name)) throw badRequest(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
    else if (!VALID_VOLUME_NAME.test(name)) throw badRequest(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    const existing = this.byName.get(name);
    if (existing) {
      if (Object.keys(options).length && JSON.stringify(options) !== JSON.stringify(existing.Options)) {
        throw conflict(`create ${name}: volume already exists with different options; remove it first (docker volume rm ${name})`);
      }
      return existing;
    }
    const rec: VolumeRecord = { Name: name, Driver: 'local', CreatedAt: nowRfc3339(), Labels: { ...(opts.labels ?? {}), ...(anonymous ? { [ANON_LABEL]: '' } : {}) }, Options: options };
    await mkdirp(this.dataDir(name), 0o755);
    await fsp.chmod(this.dataDir(name), 0o755);
    await atomicWriteJson(join(this.root, name, 'volume.json'), rec, 0o600);
    this.byName.set(name, rec);
    this.onEvent('create', name, { driver: 'local' });
    return rec;
  }

  /** Mounts the volume's driver filesystem on `_data` (no-op without options or when mounted). */
  async mount(name: string, container: string): Promise<string> {
    const v = this.get(name);
    const dir = this.dataDir(name);
    if (v.Options.type && !isMountPoint(dir)) {
      const args = ['-t', v.Options.type, ...(v.Options.o ? ['-o', v.Options.o] : []), v.Options.device, dir];
      try {
        await runOk('mount', args);
      } catch (e) {
        throw badRequest(`error while mounting volume '${dir}': ${(e as Error).message}`);
      }
    }
    const users = this.users.get(name) ?? new Set<string>();
    this.users.set(name, users.add(container));
    this.onEvent('mount', name, { driver: 'local', container });
    return dir;
  }

  /** Releases the volume for `container`; the driver filesystem too unless `stillUsed` (another running container). */
  async unmount(name: string, container: string, stillUsed = false): Promise<void> {
    const v = this.find(name);
    if (!v) return;
    if (v.Options.type && !stillUsed) await unmount(this.dataDir(name));
    if (this.users.get(name)?.delete(container)) this.onEvent('unmount', name, { driver: 'local', container });
  }

  /** Deletes the volume and its data (callers check that no container references it). */
  async remove(name: string): Promise<void> {
    this.get(name);
    const dir = this.dataDir(name);
    await unmount(dir);
    if (isMountPoint(dir)) throw conflict(`remove ${name}: the volume's filesystem is still mounted`);
    this.byName.delete(name);
    this.users.delete(name);
    await fsp.rm(join(this.root, name), { recursive: true, force: true });
    this.onEvent('destroy', name, { driver: 'local' });
  }
}
