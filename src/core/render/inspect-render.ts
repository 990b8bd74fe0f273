/**
 * `tsmachine inspect`: the value as JSON indented with 4 spaces (docker-machine's
 * json.MarshalIndent(host, "", "    ")), or a Go template (`--format`), followed by a newline.
 * Templates get docker-machine's `json` and `prettyjson` functions (built in).
 */
import { renderTemplate, type TemplateOptions } from './go-template';
import { toJsonValue } from './template/go-value';

export const INSPECT_INDENT = '    ';

export function renderInspect(value: unknown, format?: string, opts: TemplateOptions = {}): string {
  if (format === undefined || format === '') return JSON.stringify(toJsonValue(value), null, INSPECT_INDENT) + '\n';
  return renderTemplate(format, value, opts) + '\n';
}
