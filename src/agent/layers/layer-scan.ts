import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { readTar } from './tar-reader';
import { cleanMemberPath } from './path-scope';
import { decompressStream, type LayerCompression } from './decompress-stream';

/** What reading a layer's uncompressed tar to its end found. */
export interface LayerScan {
  /** sha256 of the uncompressed stream: the layer's diff ID. */
  diffId: string;
}

/**
 * Reads a layer's uncompressed tar to its end without writing anything: hashes it (the diff
 * ID) and checks what can be checked before unpacking: the tar format, and that no member
 * name or hard link target climbs out of the layer (`..`). Throws TarFormatError or
 * PathEscapeError. The unpacker checks everything again (and what depends on the parents,
 * such as symlinked folders) when the layer is unpacked.
 */
export async function scanLayer(source: AsyncIterable<Buffer>): Promise<LayerScan> {
  const hash = createHash('sha256');
  const it = source[Symbol.asyncIterator]();
  const hashed: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        const r = await it.next();
        if (!r.done) hash.update(r.value);
        return r;
      },
    }),
  };
  for await (const e of readTar(hashed)) {
    cleanMemberPath(e.header.name);
    if (e.header.type === 'hardlink') cleanMemberPath(e.header.linkname);
  }
  // What follows the end-of-archive blocks is part of the diff ID too.
  for (let r = await it.next(); !r.done; r = await it.next()) hash.update(r.value);
  return { diffId: `sha256:${hash.digest('hex')}` };
}

/**
 * Scans a compressed layer while its bytes arrive (a download): `push` each chunk in order
 * and await it (it waits while decompression falls behind), then `end()` for the result.
 * `abort()` stops it (a broken download). A layer that fails the scan stops taking bytes;
 * `end()` then rejects with that error.
 */
export class LiveLayerScan {
  private readonly input = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly result: Promise<LayerScan>;
  private failed = false;

  constructor(kind: LayerCompression) {
    this.result = scanLayer(decompressStream(this.input, kind));
    this.result.catch(() => { this.failed = true; this.input.destroy(); });
  }

  async push(chunk: Buffer): Promise<void> {
    if (this.failed || this.input.destroyed) return;
    if (!this.input.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => { this.input.off('drain', done); this.input.off('close', done); resolve(); };
        this.input.on('drain', done);
        this.input.on('close', done);
      });
    }
  }

  end(): Promise<LayerScan> {
    if (!this.input.destroyed) this.input.end();
    return this.result;
  }

  abort(): void {
    this.result.catch(() => undefined);
    this.input.destroy(new Error('download broken'));
  }
}
