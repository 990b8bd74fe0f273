import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LS_TABWRITER, tabwrite, type TabwriterOptions } from '../../../src/core/render/tabwriter';

const opts = (o: Partial<TabwriterOptions>): TabwriterOptions => ({ minWidth: 0, tabWidth: 8, padding: 1, padChar: ' ', ...o });

test('ls settings: minwidth 5, padding 3, last cell not padded', () => {
  const out = tabwrite('NAME\tACTIVE\tURL\tERRORS\ndefault\t-\ttcp://1.2.3.4:2376\t\n', LS_TABWRITER);
  assert.equal(out, 'NAME      ACTIVE   URL                  ERRORS\n' + 'default   -        tcp://1.2.3.4:2376   \n');
});

test('minwidth applies to narrow columns', () => {
  assert.equal(tabwrite('a\tb\n', LS_TABWRITER), 'a    b\n');
});

test('empty tab-terminated cells are padded like Go (trailing spaces)', () => {
  assert.equal(tabwrite('x\t\t\ny\tz\t\n', opts({ padding: 2 })), 'x     \ny  z  \n');
});

test("Go's right-aligned example (Example_elastic)", () => {
  const out = tabwrite('a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n', opts({ minWidth: 5, tabWidth: 0, padding: 1, alignRight: true }));
  assert.equal(out, '    a     b       c         d.\n  123 12345 1234567 123456789.\n\n');
});

test("Go's tab padding example (Writer.Init with tabwidth 8, padchar tab)", () => {
  const out = tabwrite('a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n', opts({ minWidth: 0, tabWidth: 8, padding: 0, padChar: '\t' }));
  assert.equal(out, 'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n');
});

test('a line with fewer cells ends the column block', () => {
  const out = tabwrite('a\tb\nlonger line\nccccc\td\n', opts({}));
  assert.equal(out, 'a b\nlonger line\nccccc d\n');
  // Without the breaking line, both rows share one block.
  assert.equal(tabwrite('a\tb\nccccc\td\n', opts({})), 'a     b\nccccc d\n');
});

test('nested blocks: a column block only spans lines that have that column', () => {
  const out = tabwrite('a\tb\tc\naa\tbbbbbb\nx\ty\tz\n', opts({}));
  // column 0 spans all three lines; column 1 is separate for line 1 (no third cell there)
  assert.equal(out, 'a  b c\naa bbbbbb\nx  y z\n');
});

test('widths count code points, not UTF-16 units or bytes', () => {
  assert.equal(tabwrite('é\tx\nab\ty\n', opts({})), 'é  x\nab y\n');
  assert.equal(tabwrite('😀\tx\nab\ty\n', opts({})), '😀  x\nab y\n');
});

test('text without a final newline keeps its last line as is', () => {
  assert.equal(tabwrite('a\tb\ncc\td', opts({})), 'a  b\ncc d');
  assert.equal(tabwrite('', opts({})), '');
});

test('discardEmptyColumns gives all-empty columns width 0', () => {
  assert.equal(tabwrite('a\t\tb\nc\t\td\n', opts({ discardEmptyColumns: true })), 'a b\nc d\n');
  assert.equal(tabwrite('a\t\tb\nc\t\td\n', opts({})), 'a  b\nc  d\n');
});
