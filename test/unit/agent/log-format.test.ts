import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseK8sLine, K8sLogParser, recordBytes, parseRfc3339Ns, formatNs } from '../../../src/agent/logs/k8s-log';
import { frame, FrameDecoder, demux } from '../../../src/agent/logs/mux';

test('parses conmon k8s-file records (full and partial lines, both streams)', () => {
  const full = parseK8sLine(Buffer.from('2026-11-22T10:49:53.236312172+00:00 stdout F hello'))!;
  assert.equal(full.stream, 'stdout');
  assert.equal(full.partial, false);
  assert.equal(recordBytes(full).toString(), 'hello\n');
  const part = parseK8sLine(Buffer.from('2026-11-22T10:49:53.236312172+00:00 stderr P no newline'))!;
  assert.equal(part.stream, 'stderr');
  assert.equal(recordBytes(part).toString(), 'no newline');
  const empty = parseK8sLine(Buffer.from('2026-11-22T10:49:53.2+00:00 stdout F '))!;
  assert.equal(recordBytes(empty).toString(), '\n');
  const spaces = parseK8sLine(Buffer.from('2026-11-22T10:49:53.2+00:00 stdout F  two  spaces '))!;
  assert.equal(spaces.content.toString(), ' two  spaces ');
  for (const bad of ['garbage', '2026-11-22T10:49:53Z stdin F x', '2026-11-22T10:49:53Z stdout X x', 'notatime stdout F x']) {
    assert.equal(parseK8sLine(Buffer.from(bad)), undefined, bad);
  }
});

test('timestamps: offsets and nanoseconds', () => {
  assert.equal(parseRfc3339Ns('1970-01-01T00:00:01.5Z'), 1_500_000_000n);
  assert.equal(parseRfc3339Ns('1970-01-01T01:00:01+01:00'), 1_000_000_000n);
  assert.equal(parseRfc3339Ns('2026-11-22T10:49:53.236312172-02:30'), parseRfc3339Ns('2026-11-22T13:19:53.236312172Z'));
  assert.equal(formatNs(parseRfc3339Ns('2026-11-22T10:49:53.236312172+00:00')!), '2026-11-22T10:49:53.236312172Z');
  assert.equal(formatNs(parseRfc3339Ns('2026-11-22T10:49:53.100000000+00:00')!), '2026-11-22T10:49:53.1Z');
  assert.equal(formatNs(parseRfc3339Ns('2026-11-22T10:49:53+00:00')!), '2026-11-22T10:49:53Z');
});

test('the parser keeps incomplete lines for the next chunk', () => {
  const p = new K8sLogParser();
  const text = '2026-11-22T10:49:53.1+00:00 stdout F one\n2026-11-22T10:49:53.2+00:00 stderr F two\n';
  const out = [...p.push(Buffer.from(text.slice(0, 50))), ...p.push(Buffer.from(text.slice(50, 51)))];
  assert.equal(out.length, 1);
  assert.ok(p.pending > 0);
  out.push(...p.push(Buffer.from(text.slice(51))));
  assert.deepEqual(out.map((r) => `${r.stream}:${r.content}`), ['stdout:one', 'stderr:two']);
  assert.equal(p.pending, 0);
});

test('multiplexed frames: header layout and reassembly from odd chunks', () => {
  const f = frame(2, Buffer.from('err'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
  const big = frame(1, Buffer.alloc(70000, 0x61));
  assert.equal(big.readUInt32BE(4), 70000);
  const all = Buffer.concat([frame(1, Buffer.from('out\n')), f, big]);
  const d = new FrameDecoder();
  const frames = [];
  for (let i = 0; i < all.length; i += 5) frames.push(...d.push(all.subarray(i, i + 5)));
  assert.deepEqual(frames.map((x) => [x.stream, x.payload.length]), [[1, 4], [2, 3], [1, 70000]]);
  assert.deepEqual(demux(Buffer.concat([frame(1, Buffer.from('a')), frame(2, Buffer.from('b')), frame(1, Buffer.from('c'))])), { stdout: 'ac', stderr: 'b' });
  assert.throws(() => new FrameDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), /invalid stream/);
});
