/**
 * Go text/template, the subset users put in `--format` (docker-machine `ls` and `inspect`,
 * docker CLI habits): literal text, `{{.Field}}`, `{{.A.B}}`, `{{.}}`, pipelines
 * `{{.X | printf "%q"}}`, parenthesised arguments, `{{if}}/{{else if}}/{{else}}/{{end}}`,
 * `{{with}}`, `{{range}}` (with `$i, $v :=`, `{{else}}`, `{{break}}`, `{{continue}}`),
 * variables, `{{- trim -}}` markers and comments. Functions: see TEMPLATE_FUNCTIONS.
 *
 * Errors (syntax, unknown field, unknown function, bad call) are TsmError INVALID_FLAG
 * naming the flag the template came from (`--format` unless told otherwise). Pure: no I/O.
 */
import { TsmError } from '../errors';
import type { Node } from './template/ast';
import { TemplateExecError, TemplateSyntaxError } from './template/errors';
import { Executor } from './template/exec';
import { BUILTIN_FUNCS, type FuncDef, type TemplateFunc } from './template/funcs';
import { parse } from './template/parser';

export type { TemplateFunc } from './template/funcs';

export interface TemplateOptions {
  /** The flag the template came from, named in errors. Default `--format`. */
  flag?: string;
  /** Extra functions (variadic; they check their own arguments). They win over builtins. */
  funcs?: Readonly<Record<string, TemplateFunc>>;
  /**
   * A field missing from a plain object: 'error' (default) names the field and the
   * available ones; 'no-value' prints `<no value>` like a Go map. `Map` values are always
   * Go maps.
   */
  missingKey?: 'error' | 'no-value';
}

export interface GoTemplate {
  readonly source: string;
  /** Executes with `data` as both `.` and `$`. Throws TsmError INVALID_FLAG on execution errors. */
  execute(data: unknown): string;
}

/** Names of the functions every template can call. */
export const TEMPLATE_FUNCTIONS: readonly string[] = Object.freeze(Object.keys(BUILTIN_FUNCS).sort());

function lineCol(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

function invalid(flag: string, message: string, suggestion?: string, cause?: unknown): TsmError {
  return new TsmError('INVALID_FLAG', `${flag}: ${message}`, { suggestion, cause, problems: [{ field: flag, message, suggestion }] });
}

/** Turns an internal template error into a TsmError; rethrows anything else. */
export function toTsmError(e: unknown, flag: string, src: string): never {
  if (e instanceof TemplateSyntaxError) {
    const hint = e.message.startsWith('function "') ? `available functions: ${TEMPLATE_FUNCTIONS.join(', ')}` : 'see https://pkg.go.dev/text/template for the syntax';
    throw invalid(flag, `template syntax error at ${lineCol(src, e.pos)}: ${e.message}`, hint, e);
  }
  if (e instanceof TemplateExecError) throw invalid(flag, `template: ${e.message}`, e.suggestion, e);
  throw e;
}

class CompiledTemplate implements GoTemplate {
  constructor(
    readonly source: string,
    private readonly nodes: Node[],
    private readonly funcs: Readonly<Record<string, FuncDef>>,
    private readonly flag: string,
    private readonly missingKey: 'error' | 'no-value',
  ) {}

  execute(data: unknown): string {
    try {
      return new Executor(data, { funcs: this.funcs, missingKey: this.missingKey }).run(this.nodes, data);
    } catch (e) {
      return toTsmError(e, this.flag, this.source);
    }
  }

  /** Like execute, but keeps the internal error (callers that classify errors). */
  executeRaw(data: unknown): string {
    return new Executor(data, { funcs: this.funcs, missingKey: this.missingKey }).run(this.nodes, data);
  }
}

/** Parses a template once, for executing it against many values. */
export function parseTemplate(source: string, opts: TemplateOptions = {}): GoTemplate & { executeRaw(data: unknown): string } {
  const flag = opts.flag ?? '--format';
  const funcs: Record<string, FuncDef> = { ...BUILTIN_FUNCS };
  for (const [name, fn] of Object.entries(opts.funcs ?? {})) funcs[name] = { fn, arity: 0, variadic: true };
  try {
    const nodes = parse(source, (name) => name in funcs);
    return new CompiledTemplate(source, nodes, funcs, flag, opts.missingKey ?? 'error');
  } catch (e) {
    return toTsmError(e, flag, source);
  }
}

/** Parses and executes in one go. */
export function renderTemplate(source: string, data: unknown, opts: TemplateOptions = {}): string {
  return parseTemplate(source, opts).execute(data);
}

/**
 * docker-machine turns the two-character sequences `\t` and `\n` of a `--format` into a
 * tab and a newline (so `--format '{{.Name}}\t{{.URL}}'` works without shell tricks).
 */
export function unescapeFormat(format: string): string {
  return format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}
