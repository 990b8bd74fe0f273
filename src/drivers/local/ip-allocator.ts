import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { TsmError } from '../../core/errors';
import { formatIpv4, machineRange, parseCidr, parseIpv4, type Ipv4Subnet } from './ipv4';
import { withHostLock } from './host-lock';

/** One IP handed to one machine. */
export interface Lease {
  bridge: string;
  ip: string;
  /** Machine id (netns tsm-<id>). */
  id: string;
  /** Machine name and folder, to tell the user who holds an address. */
  machine: string;
  dir: string;
  at: string;
}

interface LeaseFile {
  version: 1;
  leases: Lease[];
}

/**
 * Host-wide IP leases for local machines: a JSON file changed only under the host lock, so
 * two stores (or two test processes) never hand out the same address. Every method takes the
 * lock itself; `locked*` variants are for callers that already hold it.
 */
export class IpAllocator {
  /**
   * @param isStale tells a lease nobody can ever release: by default, its machine folder and its
   *   netns are both gone (the store was deleted by hand). Stale leases are dropped when found.
   */
  constructor(
    readonly stateDir: string,
    private readonly isStale: (l: Lease) => boolean = (l) => !existsSync(l.dir) && !existsSync(`/run/netns/tsm-${l.id}`),
  ) {}

  get lockPath(): string {
    return join(this.stateDir, 'lock');
  }

  private get filePath(): string {
    return join(this.stateDir, 'leases.json');
  }

  /** Leases in force (stale ones left out). */
  async live(): Promise<Lease[]> {
    return (await this.read()).filter((l) => !this.isStale(l));
  }

  async read(): Promise<Lease[]> {
    const text = await fs.readFile(this.filePath, 'utf8').catch((e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) return [];
    try {
      const parsed = JSON.parse(text) as LeaseFile;
      return Array.isArray(parsed.leases) ? parsed.leases : [];
    } catch (e) {
      throw new TsmError('STORE_CORRUPT', `the lease file ${this.filePath} is not valid JSON`, {
        cause: e,
        suggestion: 'fix or delete it (local machines keep their IPs in their machine.json)',
      });
    }
  }

  private async write(leases: Lease[]): Promise<void> {
    await fs.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.filePath}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ version: 1, leases } satisfies LeaseFile, null, 2) + '\n', { mode: 0o600 });
    await fs.rename(tmp, this.filePath);
  }

  /** Runs fn under the host lock (shared with bridge and iptables setup). */
  withLock<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withHostLock(this.lockPath, fn, { signal });
  }

  /**
   * Leases an address for machine `id` (its current lease if it has one; `want` if given and
   * free). Caller holds the lock.
   */
  async lockedAllocate(bridge: string, subnet: string, holder: Omit<Lease, 'bridge' | 'ip' | 'at'>, want?: string): Promise<string> {
    const net = parseCidr(subnet) as Ipv4Subnet;
    const leases = await this.live();
    const mine = leases.find((l) => l.id === holder.id && l.bridge === bridge);
    if (mine) return mine.ip;
    const used = new Set(leases.filter((l) => l.bridge === bridge).map((l) => parseIpv4(l.ip)));
    const wanted = want === undefined ? undefined : parseIpv4(want);
    const { first, last } = machineRange(net);
    let pick: number | undefined;
    if (wanted !== undefined && wanted >= first && wanted <= last && !used.has(wanted)) pick = wanted;
    for (let a = first; pick === undefined && a <= last; a++) if (!used.has(a)) pick = a;
    if (pick === undefined) {
      throw new TsmError('CREATE_FAILED', `no free address left in ${subnet} on bridge ${bridge} (${used.size} leased)`, {
        suggestion: 'remove unused local machines, or use a larger --local-subnet with another --local-bridge',
      });
    }
    const ip = formatIpv4(pick);
    await this.write([...leases, { bridge, ip, ...holder, at: new Date().toISOString() }]);
    return ip;
  }

  /** Drops the lease of machine `id`; resolves when there is none. Caller holds the lock. */
  async lockedRelease(id: string): Promise<void> {
    const leases = await this.read();
    const kept = leases.filter((l) => l.id !== id);
    if (kept.length !== leases.length) await this.write(kept);
  }

  allocate(bridge: string, subnet: string, holder: Omit<Lease, 'bridge' | 'ip' | 'at'>, want?: string): Promise<string> {
    return this.withLock(() => this.lockedAllocate(bridge, subnet, holder, want));
  }

  release(id: string): Promise<void> {
    return this.withLock(() => this.lockedRelease(id));
  }
}
