import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteJson, listDir, mkdirp, readJsonIfExists } from '../util/fsx';
import { notFound } from '../http/api-error';
import type { ContainerRecord } from './types';
import { mountsUnder } from '../util/mount';

/** Containers in memory, each persisted atomically to `<root>/<id>/container.json`. */
export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();

  constructor(readonly root: string) {}

  async init(): Promise<ContainerRecord[]> {
    await mkdirp(this.root);
    for (const id of await listDir(this.root)) {
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      const rec = await readJsonIfExists<ContainerRecord>(join(this.root, id, 'container.json'));
      if (rec) this.byId.set(id, rec);
      else await fsp.rm(join(this.root, id), { recursive: true, force: true }); // never finished creating
    }
    return this.all();
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Looks a container up by full ID, name (with or without "/"), or unique ID prefix. */
  find(ref: string): ContainerRecord | undefined {
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const byName = this.all().find((c) => c.Name === name);
    if (byName) return byName;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = this.all().filter((c) => c.Id.startsWith(ref));
    return hits.length === 1 ? hits[0] : undefined;
  }

  /** Like find, but a 404 "No such container" when unknown. */
  get(ref: string): ContainerRecord {
    const c = this.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  byName(name: string): ContainerRecord | undefined {
    return this.all().find((c) => c.Name === name);
  }

  async save(rec: ContainerRecord): Promise<void> {
    this.byId.set(rec.Id, rec);
    await mkdirp(this.dir(rec.Id));
    await atomicWriteJson(join(this.dir(rec.Id), 'container.json'), rec);
  }

  /** Forgets the container and removes its folder. */
  async delete(id: string): Promise<void> {
    const mounted = mountsUnder(this.dir(id));
    if (mounted.length > 0) throw new Error(`refusing to delete container ${id}: ${mounted.join(', ')} still mounted`);
    this.byId.delete(id);
    await fsp.rm(this.dir(id), { recursive: true, force: true });
  }
}
