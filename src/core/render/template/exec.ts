/**
 * Executes a parsed template against data, with Go text/template semantics for the
 * supported subset (see parser.ts). Field access on plain objects is strict by default:
 * an unknown field is an error naming the available fields; `Map` values behave like Go
 * maps (a missing key is "no value").
 */
import type { Arg, Command, Node, Pipeline } from './ast';
import { TemplateExecError } from './errors';
import { callFunc, type FuncDef } from './funcs';
import { goTypeName, isPlainObject, printValue, sortedEntries, truth } from './go-value';

export interface ExecOptions {
  funcs: Readonly<Record<string, FuncDef>>;
  /** What a missing field of a plain object gives: an error (default) or Go's "no value". */
  missingKey: 'error' | 'no-value';
}

class Break {}
class Continue {}
const NO_FINAL = Symbol('no final');

export class Executor {
  private readonly out: string[] = [];
  private readonly vars: Array<{ name: string; value: unknown }>;

  constructor(
    root: unknown,
    private readonly opts: ExecOptions,
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  run(nodes: Node[], dot: unknown): string {
    this.walk(nodes, dot);
    return this.out.join('');
  }

  private walk(nodes: Node[], dot: unknown): void {
    for (const node of nodes) this.walkNode(node, dot);
  }

  private walkNode(node: Node, dot: unknown): void {
    switch (node.type) {
      case 'text':
        this.out.push(node.text);
        return;
      case 'action': {
        const v = this.evalPipeline(node.pipe, dot);
        if (node.pipe.decl.length === 0) this.out.push(printValue(v));
        return;
      }
      case 'if':
      case 'with':
        return this.scoped(() => {
          const v = this.evalPipeline(node.pipe, dot);
          if (truth(v)) this.walk(node.list, node.type === 'with' ? v : dot);
          else if (node.elseList) this.walk(node.elseList, dot);
        });
      case 'range':
        return this.scoped(() => this.walkRange(node.pipe, node.list, node.elseList, dot));
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private scoped(f: () => void): void {
    const mark = this.vars.length;
    try {
      f();
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(pipe: Pipeline, list: Node[], elseList: Node[] | undefined, dot: unknown): void {
    const val = this.evalPipeline({ ...pipe, decl: [] }, dot);
    const items = rangeItems(val, pipe.source);
    if (items.length === 0) {
      if (elseList) this.walk(elseList, dot);
      return;
    }
    for (const [key, elem] of items) {
      const mark = this.vars.length;
      try {
        if (pipe.decl.length === 1) this.bind(pipe.decl[0], elem, pipe.isAssign);
        if (pipe.decl.length === 2) {
          this.bind(pipe.decl[0], key, pipe.isAssign);
          this.bind(pipe.decl[1], elem, pipe.isAssign);
        }
        this.walk(list, elem);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = mark;
      }
    }
  }

  private bind(name: string, value: unknown, isAssign: boolean): void {
    if (!isAssign) {
      this.vars.push({ name, value });
      return;
    }
    const v = this.findVar(name);
    v.value = value;
  }

  private findVar(name: string): { name: string; value: unknown } {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i];
    throw new TemplateExecError(`undefined variable: ${name}`);
  }

  private evalPipeline(pipe: Pipeline, dot: unknown): unknown {
    let value: unknown = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(cmd, dot, value, pipe.source);
    for (const name of pipe.decl) this.bind(name, value, pipe.isAssign);
    return value;
  }

  private evalCommand(cmd: Command, dot: unknown, final: unknown, source: string): unknown {
    const [first, ...rest] = cmd.args;
    if (first.type === 'identifier') return this.evalFunction(first.name, rest, dot, final);
    if (rest.length > 0 || final !== NO_FINAL) {
      throw new TemplateExecError(`can't give argument to non-function in "${source}"`);
    }
    return this.evalArg(first, dot);
  }

  private evalFunction(name: string, argNodes: Arg[], dot: unknown, final: unknown): unknown {
    const lazy = argNodes.map((a) => () => this.evalArg(a, dot));
    if (final !== NO_FINAL) lazy.push(() => final);
    if (name === 'and' || name === 'or') {
      if (lazy.length === 0) throw new TemplateExecError(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown;
      for (const get of lazy) {
        v = get();
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const def = this.opts.funcs[name];
    if (!def) throw new TemplateExecError(`function "${name}" not defined`);
    // A missing value passed to a function arrives as nil, as in Go.
    return callFunc(name, def, lazy.map((get) => get() ?? null));
  }

  private evalArg(arg: Arg, dot: unknown): unknown {
    switch (arg.type) {
      case 'dot':
        return dot;
      case 'field':
        return this.evalChain(dot, arg.chain, '');
      case 'variable':
        return this.evalChain(this.findVar(arg.name).value, arg.chain, arg.name);
      case 'pipe':
        return this.evalChain(this.evalPipeline(arg.pipe, dot), arg.chain, `(${arg.pipe.source})`);
      case 'identifier':
        return this.evalFunction(arg.name, [], dot, NO_FINAL);
      case 'nil':
        return null;
      default:
        return arg.value;
    }
  }

  private evalChain(receiver: unknown, chain: string[], prefix: string): unknown {
    let v = receiver;
    let path = prefix;
    for (const name of chain) {
      v = this.evalField(v, name, path);
      path += '.' + name;
    }
    return v;
  }

  private evalField(receiver: unknown, name: string, path: string): unknown {
    if (receiver === undefined || receiver === null) return undefined;
    if (receiver instanceof Map) return receiver.get(name);
    if (isPlainObject(receiver)) {
      if (Object.prototype.hasOwnProperty.call(receiver, name)) return receiver[name];
      if (this.opts.missingKey === 'no-value') return undefined;
      const available = Object.keys(receiver);
      throw new TemplateExecError(
        `unknown field ${path}.${name}`,
        'field',
        available.length ? `available fields: ${available.map((k) => `${path}.${k}`).join(', ')}` : undefined,
      );
    }
    throw new TemplateExecError(`can't evaluate field ${name} in type ${goTypeName(receiver)} (at ${path || '.'})`, 'field');
  }
}

function rangeItems(val: unknown, source: string): Array<[unknown, unknown]> {
  if (val === undefined || val === null) return [];
  if (Array.isArray(val)) return val.map((v, i) => [i, v]);
  if (val instanceof Map || isPlainObject(val)) return sortedEntries(val);
  if (typeof val === 'number' && Number.isInteger(val)) return Array.from({ length: Math.max(0, val) }, (_, i) => [i, i]);
  throw new TemplateExecError(`range can't iterate over ${printValue(val)} (${goTypeName(val)}) in "${source}"`);
}
