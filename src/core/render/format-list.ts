/**
 * `--format` for lists, the way docker-machine's `ls` does it:
 * - a leading `table` selects table mode: the template runs once against the header names
 *   (so `{{.Name}}` prints `NAME`), then once per item, all through a tabwriter
 *   (minwidth 5, tabwidth 1, padding 3, spaces);
 * - surrounding spaces are trimmed, `\t` and `\n` escapes become tab and newline;
 * - a newline is added after every execution.
 */
import { parseTemplate, toTsmError, unescapeFormat, type GoTemplate, type TemplateOptions } from './go-template';
import { TemplateExecError } from './template/errors';
import { LS_TABWRITER, tabwrite, type TabwriterOptions } from './tabwriter';

export const TABLE_PREFIX = 'table';

export interface ListFormatOptions extends TemplateOptions {
  /** Header text per field for table mode. Default: the field name in UPPER_SNAKE_CASE. */
  headers?: Readonly<Record<string, string>>;
  /** Field names of an item, to derive headers and check fields when the list is empty. */
  fields?: readonly string[];
  /**
   * Fields holding lists. In the header pass they hold `[HEADER]`, so `{{join .Labels ","}}`
   * and `{{range .Labels}}` print the header instead of failing on a string.
   */
  listFields?: readonly string[];
  tabwriter?: TabwriterOptions;
}

export interface ParsedListFormat {
  table: boolean;
  template: GoTemplate & { executeRaw(data: unknown): string };
}

/** `ActiveHost` -> `ACTIVE_HOST`, `URL` -> `URL`. */
export function defaultHeader(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** docker-machine's parseFormat: table prefix, trim, escapes, trailing newline. */
export function parseListFormat(format: string, opts: TemplateOptions = {}): ParsedListFormat {
  let f = format;
  const table = f.startsWith(TABLE_PREFIX);
  if (table) f = f.slice(TABLE_PREFIX.length);
  f = unescapeFormat(f.replace(/^ +| +$/g, ''));
  return { table, template: parseTemplate(f + '\n', opts) };
}

function headerRow(fields: readonly string[], o: Pick<ListFormatOptions, 'headers' | 'listFields'>): Record<string, string | string[]> {
  const row: Record<string, string | string[]> = {};
  for (const f of fields) {
    const h = o.headers?.[f] ?? defaultHeader(f);
    row[f] = o.listFields?.includes(f) ? [h] : h;
  }
  return row;
}

/**
 * Runs the template against a sample built from the field names, so an unknown field is
 * reported even when there is nothing to list. Only unknown-field errors count here:
 * other errors may come from the sample's header strings standing in for real values.
 */
function checkFields(p: ParsedListFormat, fields: readonly string[], o: ListFormatOptions): void {
  try {
    p.template.executeRaw(headerRow(fields, { listFields: o.listFields }));
  } catch (e) {
    if (e instanceof TemplateExecError && e.kind === 'field') toTsmError(e, o.flag ?? '--format', p.template.source);
  }
}

/** Renders a list with a docker-machine style `--format` (see the module comment). */
export function renderFormatList(format: string, items: readonly object[], opts: ListFormatOptions = {}): string {
  const p = parseListFormat(format, opts);
  const fields = opts.fields ?? (items[0] ? Object.keys(items[0]) : []);
  if (items.length === 0 && !p.table && fields.length) checkFields(p, fields, opts);
  let out = p.table ? p.template.execute(headerRow(fields, opts)) : '';
  for (const item of items) out += p.template.execute(item);
  return p.table ? tabwrite(out, opts.tabwriter ?? LS_TABWRITER) : out;
}
