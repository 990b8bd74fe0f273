// Which failures say a layer's content is unusable (refused) and which are this host's (kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { isLayerDefect, describeDefect } from '../../../src/agent/layers/layer-defect';
import { DiffIdMismatchError, ZstdFormatError } from '../../../src/agent/layers/decompress-stream';
import { GzipFormatError } from '../../../src/agent/layers/gunzip-members';
import { PathEscapeError } from '../../../src/agent/layers/path-scope';
import { TarFormatError } from '../../../src/agent/layers/tar-reader';
import { DigestMismatchError } from '../../../src/agent/layers/content-store';

const errno = (code: string) => Object.assign(new Error(code), { code });

test('isLayerDefect: content errors are defects; disk, memory and a damaged stored blob are not', () => {
  let zlibData: unknown;
  try { inflateRawSync(Buffer.from([0xff, 0xff, 0xff, 0xff])); } catch (e) { zlibData = e; }
  for (const e of [new DiffIdMismatchError('sha256:a', 'sha256:b'), new PathEscapeError('x'), new TarFormatError('x'), new GzipFormatError('x'), new ZstdFormatError('x'), zlibData, errno('Z_BUF_ERROR')]) {
    assert.equal(isLayerDefect(e), true, String(e));
  }
  for (const e of [errno('ENOSPC'), errno('EIO'), errno('Z_MEM_ERROR'), new DigestMismatchError('blob x is corrupt', 'sha256:x'), new Error('layer has no content in the store')]) {
    assert.equal(isLayerDefect(e), false, String(e));
  }
});

test('describeDefect: says which check failed', () => {
  assert.match(describeDefect('layer L', new DiffIdMismatchError('sha256:a', 'sha256:b')), /^layer L failed verification: layer content hashes to sha256:b/);
  assert.match(describeDefect('layer L', new PathEscapeError('path "../x" escapes the root')), /^layer L is not a safe layer archive: path/);
  assert.match(describeDefect('layer L', new ZstdFormatError('invalid zstd data')), /^layer L could not be decompressed as zstd: invalid zstd data$/);
  assert.match(describeDefect('layer L', new GzipFormatError('it is empty')), /^layer L could not be decompressed as gzip: it is empty$/);
});
