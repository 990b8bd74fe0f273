import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHeader, parseListFormat, renderFormatList } from '../../../src/core/render/format-list';

const items = [
  { ID: 'abc', ImageName: 'busybox', Size: 1200 },
  { ID: 'defghij', ImageName: 'alpine:3', Size: 7 },
];

test('table prefix: header row from field names, tabwriter alignment', () => {
  assert.equal(
    renderFormatList('table {{.ID}}\\t{{.ImageName}}\\t{{.Size}}', items),
    'ID        IMAGE_NAME   SIZE\nabc       busybox      1200\ndefghij   alpine:3     7\n',
  );
});

test('custom headers override the derived ones', () => {
  assert.equal(renderFormatList('table {{.ID}}\t{{.Size}}', items, { headers: { ID: 'IDENT' } }), 'IDENT     SIZE\nabc       1200\ndefghij   7\n');
});

test('without table: no header, no alignment, a newline per item; spaces around the format are trimmed', () => {
  assert.equal(renderFormatList('  {{.ID}}={{.Size}}  ', items), 'abc=1200\ndefghij=7\n');
  assert.equal(renderFormatList('{{.ID}}\\n', items), 'abc\n\ndefghij\n\n');
});

test('parseListFormat: docker-machine parseFormat steps', () => {
  const p = parseListFormat('table  {{.A}}\\t{{.B}} ');
  assert.equal(p.table, true);
  assert.equal(p.template.source, '{{.A}}\t{{.B}}\n');
  assert.equal(parseListFormat('{{.A}}').table, false);
});

test('defaultHeader: UPPER_SNAKE_CASE', () => {
  assert.equal(defaultHeader('ActiveHost'), 'ACTIVE_HOST');
  assert.equal(defaultHeader('URL'), 'URL');
  assert.equal(defaultHeader('DockerVersion2'), 'DOCKER_VERSION2');
});

test('an empty list with a table format prints the header; with fields an unknown field is caught', () => {
  assert.equal(renderFormatList('table {{.ID}}', [], { fields: ['ID'] }), 'ID\n');
  assert.throws(() => renderFormatList('{{.Nope}}', [], { fields: ['ID'] }), /unknown field \.Nope/);
  // Errors other than unknown fields are not raised by the dry run against header strings.
  assert.equal(renderFormatList('{{if gt .Size 3}}big{{end}}', [], { fields: ['Size'] }), '');
});
