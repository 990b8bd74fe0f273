/**
 * Column alignment with the semantics of Go's text/tabwriter (the writer docker-machine's
 * `ls` uses): text is split into lines, lines into tab-terminated cells. The last cell of a
 * line is not tab-terminated, so it is not part of any column and is written as is.
 * A column block is a run of consecutive lines that all have a cell in that column; its
 * width is max(minWidth, widest cell + padding). Every tab-terminated cell (empty ones too)
 * is padded to its block's width, which is why `ls` rows can end in spaces, like Go's.
 * Widths count Unicode code points (Go counts runes).
 */
export interface TabwriterOptions {
  /** Minimal cell width including padding. */
  minWidth: number;
  /** Width of a tab when padding with tabs (padChar '\t'). */
  tabWidth: number;
  /** Added to the widest cell of a column. */
  padding: number;
  /** ' ' (spaces) or '\t' (tabs, rounded up to tabWidth). */
  padChar: string;
  /** Right-align cell contents (Go's AlignRight flag). */
  alignRight?: boolean;
  /** Columns whose cells are all empty get width 0 (Go's DiscardEmptyColumns flag). */
  discardEmptyColumns?: boolean;
}

/** docker-machine's `ls`: tabwriter.NewWriter(os.Stdout, 5, 1, 3, ' ', 0). */
export const LS_TABWRITER: TabwriterOptions = Object.freeze({ minWidth: 5, tabWidth: 1, padding: 3, padChar: ' ' });

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(textWidth: number, cellWidth: number, o: TabwriterOptions): string {
  if (o.padChar === '\t') {
    if (o.tabWidth <= 0) return '';
    const cw = Math.ceil(cellWidth / o.tabWidth) * o.tabWidth;
    return '\t'.repeat(Math.ceil((cw - textWidth) / o.tabWidth));
  }
  return o.padChar.repeat(Math.max(0, cellWidth - textWidth));
}

/** Computes the width of every tab-terminated cell: widths[line][column]. */
function columnWidths(lines: string[][], o: TabwriterOptions): number[][] {
  const widths: number[][] = lines.map((cells) => new Array<number>(Math.max(0, cells.length - 1)).fill(0));
  const maxColumns = Math.max(0, ...lines.map((cells) => cells.length - 1));
  for (let col = 0; col < maxColumns; col++) {
    let i = 0;
    while (i < lines.length) {
      if (lines[i].length - 1 <= col) {
        i++;
        continue;
      }
      const start = i;
      let w = o.minWidth;
      let discardable = true;
      for (; i < lines.length && lines[i].length - 1 > col; i++) {
        const cw = width(lines[i][col]);
        w = Math.max(w, cw + o.padding);
        if (cw > 0) discardable = false;
      }
      if (discardable && o.discardEmptyColumns) w = 0;
      for (let j = start; j < i; j++) widths[j][col] = w;
    }
  }
  return widths;
}

function renderLine(cells: string[], widths: number[], o: TabwriterOptions): string {
  let out = '';
  for (let c = 0; c < cells.length; c++) {
    const text = cells[c];
    if (c === cells.length - 1) {
      out += text;
      break;
    }
    const p = pad(width(text), widths[c], o);
    out += o.alignRight && text !== '' ? p + text : text + p;
  }
  return out;
}

/** Aligns `text` the way Go's text/tabwriter would after writing it all and calling Flush. */
export function tabwrite(text: string, o: TabwriterOptions = LS_TABWRITER): string {
  if (text === '') return '';
  const rawLines = text.split('\n');
  const endsWithNewline = rawLines[rawLines.length - 1] === '';
  if (endsWithNewline) rawLines.pop();
  const lines = rawLines.map((l) => l.split('\t'));
  const widths = columnWidths(lines, o);
  const out = lines.map((cells, i) => renderLine(cells, widths[i], o));
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
