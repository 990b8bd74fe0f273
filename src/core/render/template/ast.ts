/** Parse tree of a Go text/template (the supported subset). */

export type Node = TextNode | ActionNode | IfNode | RangeNode | WithNode | BreakNode | ContinueNode;

export interface TextNode {
  type: 'text';
  text: string;
}

export interface ActionNode {
  type: 'action';
  pipe: Pipeline;
}

/** `if` and `with`; an `else if` / `else with` is a nested node alone in `elseList`. */
export interface IfNode {
  type: 'if';
  pipe: Pipeline;
  list: Node[];
  elseList?: Node[];
}

export interface WithNode {
  type: 'with';
  pipe: Pipeline;
  list: Node[];
  elseList?: Node[];
}

export interface RangeNode {
  type: 'range';
  pipe: Pipeline;
  list: Node[];
  elseList?: Node[];
}

export interface BreakNode {
  type: 'break';
}

export interface ContinueNode {
  type: 'continue';
}

export interface Pipeline {
  /** Variables declared (`$x :=`) or assigned (`$x =`). Range may declare two. */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
  /** Source text, for messages. */
  source: string;
}

export interface Command {
  args: Arg[];
}

export type Arg =
  | { type: 'dot' }
  | { type: 'field'; chain: string[] }
  | { type: 'variable'; name: string; chain: string[] }
  | { type: 'identifier'; name: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'nil' }
  | { type: 'pipe'; pipe: Pipeline; chain: string[] };
