/**
 * Parser for the supported Go text/template subset: text, actions with pipelines,
 * if / else if / else, with / else with, range (with `$i, $v :=`), break, continue,
 * variables (`$x := ...`, `$x = ...`), parenthesised pipelines and field chains.
 * `define`, `template` and `block` are rejected with a clear message.
 */
import type { Arg, Command, Node, Pipeline } from './ast';
import { TemplateSyntaxError } from './errors';
import { lex, type Item, type Token } from './lexer';

const UNSUPPORTED = new Set(['define', 'template', 'block']);

interface Terminator {
  keyword: 'end' | 'else';
  /** Tokens after `else` (for `else if ...` / `else with ...`). */
  rest: Token[];
  pos: number;
}

class Parser {
  private i = 0;
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly items: Item[],
    private readonly hasFunc: (name: string) => boolean,
  ) {}

  parseRoot(): Node[] {
    const { nodes, term } = this.parseList();
    if (term) throw new TemplateSyntaxError(`unexpected {{${term.keyword}}}`, term.pos);
    return nodes;
  }

  /** Parses nodes until `{{end}}` / `{{else ...}}` (returned) or the end of input (term undefined). */
  private parseList(): { nodes: Node[]; term?: Terminator } {
    const nodes: Node[] = [];
    while (this.i < this.items.length) {
      const item = this.items[this.i++];
      if (item.type === 'text') {
        nodes.push({ type: 'text', text: item.text });
        continue;
      }
      const [first, ...rest] = item.tokens;
      if (!first) throw new TemplateSyntaxError('missing value for command', item.pos);
      const kw = first.kind === 'identifier' ? first.value : '';
      if (kw === 'end' || kw === 'else') {
        if (kw === 'end' && rest.length) throw new TemplateSyntaxError('unexpected tokens after {{end}}', item.pos);
        return { nodes, term: { keyword: kw, rest, pos: item.pos } };
      }
      nodes.push(this.parseAction(kw, rest, item));
    }
    return { nodes };
  }

  private parseAction(kw: string, rest: Token[], item: Item & { type: 'action' }): Node {
    if (kw === 'if' || kw === 'with') return this.parseControl(kw, rest, item.pos);
    if (kw === 'range') {
      this.rangeDepth++;
      try {
        return this.parseControl('range', rest, item.pos);
      } finally {
        this.rangeDepth--;
      }
    }
    if (kw === 'break' || kw === 'continue') {
      if (this.rangeDepth === 0) throw new TemplateSyntaxError(`{{${kw}}} outside {{range}}`, item.pos);
      if (rest.length) throw new TemplateSyntaxError(`unexpected tokens after {{${kw}}}`, item.pos);
      return { type: kw };
    }
    if (UNSUPPORTED.has(kw)) throw new TemplateSyntaxError(`{{${kw}}} is not supported in a format template`, item.pos);
    return { type: 'action', pipe: this.parsePipeline(item.tokens, item.pos, false) };
  }

  private parseControl(kind: 'if' | 'with' | 'range', tokens: Token[], pos: number): Node {
    const pipe = this.parsePipeline(tokens, pos, kind === 'range');
    if (pipe.cmds.length === 0) throw new TemplateSyntaxError(`missing value for ${kind}`, pos);
    const body = this.parseList();
    if (!body.term) throw new TemplateSyntaxError(`unexpected EOF: {{${kind}}} has no {{end}}`, pos);
    if (body.term.keyword === 'end') return { type: kind, pipe, list: body.nodes };
    const elseList = this.parseElse(kind, body.term);
    return { type: kind, pipe, list: body.nodes, elseList };
  }

  private parseElse(kind: 'if' | 'with' | 'range', term: Terminator): Node[] {
    const [next, ...rest] = term.rest;
    if (next && next.kind === 'identifier' && (next.value === 'if' || next.value === 'with') && kind !== 'range') {
      // `{{else if x}}...{{end}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one end.
      return [this.parseControl(next.value, rest, term.pos)];
    }
    if (next) throw new TemplateSyntaxError('unexpected tokens after {{else}}', term.pos);
    const tail = this.parseList();
    if (!tail.term || tail.term.keyword !== 'end') throw new TemplateSyntaxError(`expected {{end}} after {{else}} of {{${kind}}}`, term.pos);
    return tail.nodes;
  }

  private parsePipeline(tokens: Token[], pos: number, allowTwoVars: boolean): Pipeline {
    const p = new TokenStream(tokens, pos);
    const decl = this.parseDecl(p, allowTwoVars);
    const pipe = this.parseCommands(p, decl.names, decl.isAssign);
    if (!p.done()) throw new TemplateSyntaxError(`unexpected ${describe(p.peek()!)} in command`, p.peek()!.pos);
    return pipe;
  }

  private parseDecl(p: TokenStream, allowTwoVars: boolean): { names: string[]; isAssign: boolean } {
    const t = p.tokens;
    const at = p.index;
    if (t[at]?.kind === 'variable' && (t[at + 1]?.kind === 'declare' || t[at + 1]?.kind === 'assign')) {
      p.index += 2;
      return { names: [t[at].value], isAssign: t[at + 1].kind === 'assign' };
    }
    if (allowTwoVars && t[at]?.kind === 'variable' && t[at + 1]?.kind === 'comma' && t[at + 2]?.kind === 'variable') {
      const op = t[at + 3];
      if (op?.kind !== 'declare' && op?.kind !== 'assign') throw new TemplateSyntaxError('expected := after range variables', t[at].pos);
      p.index += 4;
      return { names: [t[at].value, t[at + 2].value], isAssign: op.kind === 'assign' };
    }
    return { names: [], isAssign: false };
  }

  private parseCommands(p: TokenStream, decl: string[], isAssign: boolean): Pipeline {
    const start = p.peek()?.pos ?? p.pos;
    const cmds: Command[] = [];
    for (;;) {
      const args: Arg[] = [];
      while (!p.done() && p.peek()!.kind !== 'pipe' && p.peek()!.kind !== 'rparen') args.push(this.parseOperand(p));
      if (args.length === 0) {
        if (cmds.length || decl.length || p.peek()?.kind === 'pipe') throw new TemplateSyntaxError('missing value for command', p.peek()?.pos ?? p.pos);
        break;
      }
      cmds.push({ args });
      if (p.peek()?.kind !== 'pipe') break;
      p.next();
    }
    const endTok = p.peek();
    const source = this.src.slice(start, endTok ? endTok.pos : this.sourceEnd(p)).trim();
    return { decl, isAssign, cmds, source };
  }

  private sourceEnd(p: TokenStream): number {
    const last = p.tokens[p.tokens.length - 1];
    if (!last) return p.pos;
    const close = this.src.indexOf('}}', last.pos);
    return close === -1 ? this.src.length : close;
  }

  private parseOperand(p: TokenStream): Arg {
    const t = p.next()!;
    let arg: Arg;
    switch (t.kind) {
      case 'dot':
        arg = { type: 'dot' };
        break;
      case 'field':
        arg = { type: 'field', chain: [t.value] };
        break;
      case 'variable':
        arg = { type: 'variable', name: t.value, chain: [] };
        break;
      case 'identifier':
        if (!this.hasFunc(t.value)) throw new TemplateSyntaxError(`function "${t.value}" not defined`, t.pos);
        return { type: 'identifier', name: t.value };
      case 'string':
        return { type: 'string', value: t.value };
      case 'char':
        return { type: 'number', value: Number(t.value) };
      case 'number':
        return { type: 'number', value: parseNumber(t) };
      case 'bool':
        return { type: 'bool', value: t.value === 'true' };
      case 'nil':
        return { type: 'nil' };
      case 'lparen': {
        const inner = this.parseCommands(p, [], false);
        if (p.next()?.kind !== 'rparen') throw new TemplateSyntaxError('unclosed left paren', t.pos);
        arg = { type: 'pipe', pipe: inner, chain: [] };
        break;
      }
      default:
        throw new TemplateSyntaxError(`unexpected ${describe(t)} in operand`, t.pos);
    }
    // Field chain: `.A.B`, `$x.A`, `(pipeline).A`; fields must follow with no space.
    while (p.peek()?.kind === 'field' && !p.peek()!.spaced) {
      const f = p.next()!.value;
      if (arg.type === 'dot') arg = { type: 'field', chain: [f] };
      else arg.chain.push(f);
    }
    return arg;
  }
}

class TokenStream {
  index = 0;
  constructor(
    readonly tokens: Token[],
    readonly pos: number,
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.index];
  }
  next(): Token | undefined {
    return this.tokens[this.index++];
  }
  done(): boolean {
    return this.index >= this.tokens.length;
  }
}

function describe(t: Token): string {
  return t.kind === 'string' ? `quoted string` : `"${t.kind === 'field' ? '.' + t.value : t.value}"`;
}

function parseNumber(t: Token): number {
  const text = t.value.replace(/_/g, '');
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[+-]/, '');
  const n = /^0[0-7]+$/.test(body) ? parseInt(body, 8) : Number(body);
  if (!Number.isFinite(n)) throw new TemplateSyntaxError(`bad number syntax: ${t.value}`, t.pos);
  return sign * n;
}

/** Parses a template; `hasFunc` says which function names exist (unknown names are parse errors, as in Go). */
export function parse(src: string, hasFunc: (name: string) => boolean): Node[] {
  return new Parser(src, lex(src), hasFunc).parseRoot();
}
