import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { gunzipMembers, GzipFormatError } from '../../../src/agent/layers/gunzip-members';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

/** `buf` in pieces of the given sizes (the last piece takes the rest). */
async function* pieces(buf: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const n of sizes) { yield buf.subarray(at, at + n); at += n; }
  if (at < buf.length) yield buf.subarray(at);
}

function* cuts(buf: Buffer, size: number): Generator<number> { for (let i = 0; i < buf.length; i += size) yield size; }

/** A gzip member with every optional header field: extra, name, comment, header CRC. */
function fancyMember(data: Buffer): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]);
  const extra = Buffer.concat([Buffer.from([5, 0]), Buffer.from('ab\0cd')]);
  const name = Buffer.from('layer.tar\0');
  const comment = Buffer.from('made by hand\0');
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE(crc32(Buffer.concat([head, extra, name, comment])) & 0xffff);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, extra, name, comment, hcrc, deflateRawSync(data), trailer]);
}

test('one member inflates to its content however the input is cut and however small the output chunks', async () => {
  const data = Buffer.concat([randomBytes(200_000), Buffer.alloc(300_000, 'x')]);
  const gz = gzipSync(data);
  for (const sizes of [[gz.length], [...cuts(gz, 1000)], [3, 7, 10, 50_000], [gz.length - 8], [gz.length - 3]]) {
    assert.deepEqual(await collect(gunzipMembers(pieces(gz, sizes))), data, `cut as ${sizes.slice(0, 4).join(',')}…`);
  }
  assert.deepEqual(await collect(gunzipMembers(pieces(gz, [...cuts(gz, 4096)]), 1024)), data);
});

test('concatenated members (as pigz or appending writes them) inflate one after the other, header fields skipped', async () => {
  const a = randomBytes(70_000);
  const b = Buffer.alloc(0);
  const c = Buffer.from('tail '.repeat(10_000));
  const gz = Buffer.concat([gzipSync(a), fancyMember(b), fancyMember(c)]);
  const firstEnd = gzipSync(a).length;
  for (const sizes of [[gz.length], [firstEnd], [firstEnd - 8], [firstEnd + 1], [...cuts(gz, 777)]]) {
    assert.deepEqual(await collect(gunzipMembers(pieces(gz, sizes))), Buffer.concat([a, b, c]), `cut at ${sizes[0]}`);
  }
});

test('malformed or cut gzip fails with an error that says what is wrong', async () => {
  const data = randomBytes(50_000);
  const gz = gzipSync(data);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /it is empty/],
    ['not gzip', Buffer.from('plain tar, not gzip'), /magic bytes/],
    ['cut in the header', gz.subarray(0, 5), /inside a member header/],
    ['cut in the deflate data', gz.subarray(0, 1000), /unexpected end/],
    ['cut in the trailer', gz.subarray(0, gz.length - 3), /inside the member trailer/],
    ['garbage after the member', Buffer.concat([gz, Buffer.from('garbage!!!!')]), /magic bytes/],
    ['wrong length in the trailer', (() => { const x = Buffer.from(gz); x.writeUInt32LE(7, x.length - 4); return x; })(), /length as 7 bytes/],
    ['not deflate', (() => { const x = Buffer.from(gz); x[2] = 7; return x; })(), /method 7/],
  ];
  for (const [what, input, msg] of cases) {
    await assert.rejects(collect(gunzipMembers(pieces(input, [...cuts(input, 4000)]))), (e: Error) => {
      assert.match(e.message, msg, what);
      return true;
    }, what);
  }
});

test('a failing source fails the output; a consumer that stops early ends the source', async () => {
  const gz = gzipSync(Buffer.alloc(5_000_000, 1));
  async function* failing(): AsyncGenerator<Buffer> { yield gz.subarray(0, 1000); throw new Error('download broken'); }
  await assert.rejects(collect(gunzipMembers(failing())), /download broken/);
  let ended = false;
  async function* slow(): AsyncGenerator<Buffer> {
    try {
      for (let i = 0; i < gz.length; i += 100) { await new Promise((r) => setTimeout(r, 5)); yield gz.subarray(i, i + 100); }
    } finally { ended = true; }
  }
  for await (const out of gunzipMembers(slow(), 1024)) { assert.ok(out.length > 0); break; }
  assert.equal(ended, true);
});
