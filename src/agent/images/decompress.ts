import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { badRequest } from '../http/api-error';

/** Compression detected from a stream's first bytes. */
export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

/** The uncompressed bytes of a possibly gzip'd stream (bzip2/xz/zstd are refused for now). */
export async function decompressed(source: AsyncIterable<Buffer>): Promise<Readable> {
  const it = source[Symbol.asyncIterator]();
  let first = await it.next();
  let head: Buffer = first.done ? Buffer.alloc(0) : first.value;
  const rest: Buffer[] = [];
  while (!first.done && head.length < 6) {
    first = await it.next();
    if (!first.done) head = Buffer.concat([head, first.value]);
  }
  const all = Readable.from((async function* () {
    if (head.length > 0) yield head;
    for (const b of rest) yield b;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })());
  const kind = detectCompression(head);
  if (kind === 'none') return all;
  if (kind === 'gzip') return all.pipe(createGunzip());
  throw badRequest(`${kind} compressed archives are not supported yet: send a plain or gzip'd tar`);
}
