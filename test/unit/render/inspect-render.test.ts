import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTsmError } from '../../../src/core/errors';
import { renderInspect } from '../../../src/core/render/inspect-render';

const record = { version: 1, name: 'dev', driver: { name: 'local', config: { ip: '10.0.0.2' } }, engine: { port: 2376, options: { labels: ['a=b'] } } };

test("default is JSON with docker-machine's 4-space indent and a newline", () => {
  const out = renderInspect(record);
  assert.equal(out, JSON.stringify(record, null, 4) + '\n');
  assert.ok(out.includes('\n    "name": "dev",\n'));
  assert.deepEqual(JSON.parse(out), record);
});

test('a template picks fields and ends with a newline', () => {
  assert.equal(renderInspect(record, '{{.driver.config.ip}}'), '10.0.0.2\n');
  assert.equal(renderInspect(record, '{{json .engine}}'), '{"port":2376,"options":{"labels":["a=b"]}}\n');
  assert.equal(renderInspect(record, '{{prettyjson .driver.config}}'), '{\n    "ip": "10.0.0.2"\n}\n');
  assert.equal(renderInspect(record, ''), JSON.stringify(record, null, 4) + '\n');
});

test('Maps and undefined serialise as JSON objects and null', () => {
  assert.equal(renderInspect({ m: new Map([['k', 1]]), u: undefined }), '{\n    "m": {\n        "k": 1\n    },\n    "u": null\n}\n');
});

test('an unknown field is INVALID_FLAG with the available fields', () => {
  assert.throws(
    () => renderInspect(record, '{{.driver.ip}}'),
    (e: unknown) => isTsmError(e, 'INVALID_FLAG') && /unknown field \.driver\.ip/.test(e.message) && /\.driver\.config/.test(e.suggestion ?? ''),
  );
});
