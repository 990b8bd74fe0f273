import { join } from 'node:path';
import { atomicWriteJson, mkdirp, readJsonIfExists } from '../util/fsx';
import { notFound } from '../http/api-error';
import type { NetworkRecord } from './types';

/** Networks in memory, persisted together to `<root>/networks.json` after every change. */
export class NetworkStore {
  private readonly byId = new Map<string, NetworkRecord>();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdirp(this.root);
    const list = await readJsonIfExists<NetworkRecord[]>(join(this.root, 'networks.json'));
    for (const n of list ?? []) this.byId.set(n.Id, n);
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  /** By full ID, exact name, or unique ID prefix (dockerd's order). */
  find(ref: string): NetworkRecord | undefined {
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const byName = this.all().find((n) => n.Name === ref);
    if (byName) return byName;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = this.all().filter((n) => n.Id.startsWith(ref));
    return hits.length === 1 ? hits[0] : undefined;
  }

  get(ref: string): NetworkRecord {
    const n = this.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  async save(n: NetworkRecord): Promise<void> {
    this.byId.set(n.Id, n);
    await this.flush();
  }

  async delete(id: string): Promise<void> {
    this.byId.delete(id);
    await this.flush();
  }

  flush(): Promise<void> {
    return atomicWriteJson(join(this.root, 'networks.json'), this.all(), 0o600);
  }
}
