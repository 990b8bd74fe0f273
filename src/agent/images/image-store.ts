import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { atomicWrite, atomicWriteJson, listDir, mkdirp, readJsonIfExists } from '../util/fsx';
import { notFound } from '../http/api-error';
import type { ImageConfig } from './image-config';
import { parseReference, withDefaultTag, fullString, ReferenceError } from './reference';
import { sha256Digest } from '../util/ids';

/** An image known to the engine: its verified config and the references pointing at it. */
export interface ImageRecord {
  /** sha256:<hex> of the config bytes. */
  id: string;
  config: ImageConfig;
  /** Normalised tag references (docker.io/library/bb:latest). */
  tags: string[];
  /** Normalised digest references (docker.io/library/bb@sha256:...): RepoDigests. */
  digests: string[];
}

const hex = (id: string) => id.replace(/^sha256:/, '');

/**
 * Images under `<root>/configs/<hex>.json` (the exact config bytes, so the ID can be
 * re-checked) and references in `<root>/repositories.json`.
 */
export class ImageStore {
  private images = new Map<string, ImageConfig>();
  private refs: Record<string, string> = {};

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdirp(join(this.root, 'configs'));
    for (const name of await listDir(join(this.root, 'configs'))) {
      const m = /^([0-9a-f]{64})\.json$/.exec(name);
      if (!m) continue;
      const data = await fsp.readFile(join(this.root, 'configs', name));
      if (createHash('sha256').update(data).digest('hex') !== m[1]) continue; // corrupt: ignore
      this.images.set(`sha256:${m[1]}`, JSON.parse(data.toString('utf8')) as ImageConfig);
    }
    this.refs = (await readJsonIfExists<Record<string, string>>(join(this.root, 'repositories.json'))) ?? {};
    for (const [r, id] of Object.entries(this.refs)) if (!this.images.has(id)) delete this.refs[r];
  }

  private saveRefs(): Promise<void> {
    return atomicWriteJson(join(this.root, 'repositories.json'), this.refs);
  }

  /** Stores a config; returns the image ID (sha256 of the bytes). */
  async add(configBytes: Buffer): Promise<string> {
    const id = sha256Digest(configBytes);
    if (!this.images.has(id)) {
      await atomicWrite(join(this.root, 'configs', `${hex(id)}.json`), configBytes, 0o644);
      this.images.set(id, JSON.parse(configBytes.toString('utf8')) as ImageConfig);
    }
    return id;
  }

  record(id: string): ImageRecord {
    const config = this.images.get(id);
    if (!config) throw notFound(`No such image: ${id}`);
    const refs = Object.keys(this.refs).filter((r) => this.refs[r] === id).sort();
    return { id, config, tags: refs.filter((r) => !r.includes('@')), digests: refs.filter((r) => r.includes('@')) };
  }

  list(): ImageRecord[] {
    return [...this.images.keys()].map((id) => this.record(id));
  }

  /** The image ID a name refers to: a reference, a full ID, or a unique ID prefix. undefined if none. */
  lookup(name: string): string | undefined {
    const idm = /^(?:sha256:)?([0-9a-f]{64})$/.exec(name);
    if (idm && this.images.has(`sha256:${idm[1]}`)) return `sha256:${idm[1]}`;
    try {
      const id = this.refs[fullString(withDefaultTag(parseReference(name)))];
      if (id) return id;
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
    }
    const pm = /^(?:sha256:)?([0-9a-f]{1,63})$/.exec(name);
    if (pm) {
      const hits = [...this.images.keys()].filter((id) => hex(id).startsWith(pm[1]));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  /** Like lookup, but a 404 "No such image" when unknown. */
  resolve(name: string): ImageRecord {
    const id = this.lookup(name);
    if (!id) throw notFound(`No such image: ${name}`);
    return this.record(id);
  }

  /** Points a normalised reference at an image (moving it from any previous image). */
  async tag(id: string, ref: string): Promise<void> {
    this.record(id);
    this.refs[ref] = id;
    await this.saveRefs();
  }

  async untag(ref: string): Promise<void> {
    delete this.refs[ref];
    await this.saveRefs();
  }

  /** Removes the image and every reference to it. */
  async delete(id: string): Promise<void> {
    for (const r of Object.keys(this.refs)) if (this.refs[r] === id) delete this.refs[r];
    await this.saveRefs();
    this.images.delete(id);
    await fsp.rm(join(this.root, 'configs', `${hex(id)}.json`), { force: true });
  }
}
