/**
 * Extracts a `docker cp` upload into a container folder. Members that fall inside a mount
 * below that folder (the volumes and binds of a stopped container, whose mounts exist only as
 * a map) are sent to that mount's source, each target through the safe unpacker, so nothing
 * lands outside the target it belongs to.
 */
import { promises as fsp } from 'node:fs';
import { readTar } from '../layers/tar-reader';
import { tarHeader, tarPadding, TAR_END, type TarWriteHeader } from '../layers/tar-writer';
import { unpackTar } from '../layers/unpack';
import { cleanMemberPath, resolveInRoot } from '../layers/path-scope';
import { badRequest } from '../http/api-error';

export interface UploadTarget { dst: string; src: string; rw: boolean }

export interface UploadOptions {
  noOverwriteDirNonDir: boolean;
  /** Owner for every member (`docker cp -a`); the archive's own otherwise. */
  owner?: { uid: number; gid: number };
  warn?: (msg: string) => void;
}

/** An async byte queue with backpressure between the tar router and one unpacker. */
class Channel implements AsyncIterable<Buffer> {
  private readonly queue: Buffer[] = [];
  private closed = false;
  private dead = false;
  private wake?: () => void;
  private drained?: () => void;

  async push(b: Buffer): Promise<void> {
    if (this.dead) return;
    this.queue.push(b);
    this.wake?.();
    if (this.queue.length > 64) await new Promise<void>((r) => (this.drained = r));
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.queue.length) {
        yield this.queue.shift()!;
        if (this.queue.length <= 16) { this.drained?.(); this.drained = undefined; }
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  /** Lets a producer waiting on a dead consumer go on. */
  abandon(): void {
    this.dead = true;
    this.queue.length = 0;
    this.drained?.();
  }
}

const within = (p: string, dir: string) => dir === '/' || p === dir || p.startsWith(`${dir}/`);

/**
 * Extracts `source` into container folder `destCtr` (host path `destHost`); `mounts` are the
 * mapped mounts of the container (empty when `destHost` already shows them).
 */
export async function extractUpload(source: AsyncIterable<Buffer>, destCtr: string, destHost: string, mounts: UploadTarget[], o: UploadOptions): Promise<void> {
  const below = mounts.filter((m) => m.dst !== destCtr && within(m.dst, destCtr));
  const sinks = new Map<string, { chan: Channel; done: Promise<unknown> }>();
  let failure: unknown;
  const sink = (root: string) => {
    let s = sinks.get(root);
    if (!s) {
      const chan = new Channel();
      const done = unpackTar(chan, root, { applyWhiteouts: false, warn: o.warn }).catch((e) => { failure ??= e; chan.abandon(); });
      s = { chan, done };
      sinks.set(root, s);
    }
    return s.chan;
  };
  try {
    for await (const e of readTar(source)) {
      if (failure) break;
      const h = e.header;
      const rel = cleanMemberPath(h.name);
      const ctr = rel === '' ? destCtr : `${destCtr === '/' ? '' : destCtr}/${rel}`;
      let m: UploadTarget | undefined;
      for (const x of below) if (within(ctr, x.dst) && (!m || x.dst.length > m.dst.length)) m = x;
      if (m && !m.rw) throw badRequest(`mounted volume is marked read-only (${m.dst})`);
      const root = m ? m.src : destHost;
      const inRoot = m ? ctr.slice(m.dst.length + 1) : rel;
      if (m && inRoot === '') continue; // the mount point itself keeps the mount's metadata
      if (o.noOverwriteDirNonDir && inRoot !== '') {
        const existing = await fsp.lstat(await resolveInRoot(root, inRoot, false)).catch(() => undefined);
        if (existing?.isDirectory() && h.type !== 'dir') throw badRequest(`cannot overwrite directory "${ctr}" with non-directory "${h.name}"`);
        if (existing && !existing.isDirectory() && h.type === 'dir') throw badRequest(`cannot overwrite non-directory "${ctr}" with directory "${h.name}"`);
      }
      const out: TarWriteHeader = { ...h, name: inRoot || '.', uid: o.owner?.uid ?? h.uid, gid: o.owner?.gid ?? h.gid, size: h.type === 'file' ? h.size : 0 };
      const chan = sink(root);
      await chan.push(tarHeader(out));
      if (h.type !== 'file') continue;
      for await (const c of e.body) await chan.push(c);
      await chan.push(tarPadding(h.size));
    }
  } finally {
    for (const s of sinks.values()) { await s.chan.push(TAR_END); s.chan.close(); }
    await Promise.all([...sinks.values()].map((s) => s.done));
  }
  if (failure) throw failure;
}
