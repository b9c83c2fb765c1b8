/**
 * Static analysis of a template without a scope, for `irun validate`: the syntax error with its
 * position, every path that refers to the top-level scope, and every helper called.
 */
import { isHelper } from './helpers.js';
import {
  SCOPED,
  simpleName,
  tryParse,
  type Expr,
  type Mustache,
  type PathExpr,
  type Program,
  type SubExpr,
} from './parse.js';

/** A path into the top-level scope, with its static segments and position (1-based). */
export interface TemplateRef {
  path: string[];
  line: number;
  column: number;
}

/** A helper called by a template (block helpers included), with its position (1-based). */
export interface HelperUse {
  name: string;
  line: number;
  column: number;
}

/** What a template refers to; `ok: false` with `error` when it does not parse. */
export interface TemplateAnalysis {
  ok: boolean;
  error?: { message: string; line: number; column: number };
  refs: TemplateRef[];
  helpers: HelperUse[];
}

export function analyze(text: string): TemplateAnalysis {
  const parsed = tryParse(text);
  if (!('program' in parsed)) {
    return {
      ok: false,
      error: { message: parsed.message, line: parsed.line, column: parsed.column },
      refs: [],
      helpers: [],
    };
  }
  const walker = new Walker();
  walker.program(parsed.program);
  return { ok: true, refs: walker.refs, helpers: walker.helpers };
}

class Walker {
  readonly refs: TemplateRef[] = [];
  readonly helpers: HelperUse[] = [];
  /** Context levels: 0 is the scope; each {{#each}} / {{#with}} body adds one. */
  private depth = 0;
  private readonly blockParams: string[][] = [];

  program(p: Program | undefined): void {
    if (!p) return;
    for (const s of p.body) {
      if (s.type === 'MustacheStatement') {
        this.call(s);
      } else if (s.type === 'BlockStatement') {
        const name = simpleName(s.path) ?? s.path.original;
        this.helpers.push({ name, line: s.path.loc.start.line, column: s.path.loc.start.column + 1 });
        this.exprs(s.params);
        const changesContext = name === 'each' || name === 'with';
        if (changesContext) this.depth++;
        this.blockParams.push(s.program?.blockParams ?? []);
        try {
          this.program(s.program);
        } finally {
          this.blockParams.pop();
          if (changesContext) this.depth--;
        }
        // {{else}} runs in the outer context
        this.program(s.inverse);
      }
    }
  }

  private call(node: Mustache | SubExpr): void {
    const pairs = node.hash?.pairs ?? [];
    const hasArgs = node.params.length > 0 || pairs.length > 0;
    const path = node.path;
    if (path.type === 'PathExpression') {
      const name = simpleName(path);
      const isParam = name !== undefined && this.isBlockParam(name);
      if (node.type === 'SubExpression' || hasArgs || (name !== undefined && !isParam && isHelper(name))) {
        this.helpers.push({
          name: name ?? path.original,
          line: path.loc.start.line,
          column: path.loc.start.column + 1,
        });
      } else {
        this.path(path);
      }
    }
    this.exprs(node.params);
    this.exprs(pairs.map((p) => p.value));
  }

  private exprs(list: Expr[]): void {
    for (const e of list) {
      if (e.type === 'PathExpression') this.path(e);
      else if (e.type === 'SubExpression') this.call(e);
    }
  }

  private isBlockParam(name: string): boolean {
    return this.blockParams.some((names) => names.includes(name));
  }

  private path(p: PathExpr): void {
    let segments: string[] | undefined;
    if (p.data) {
      // @root.x.y is the scope; @index, @key and the like are loop data
      if (p.parts[0] === 'root' && p.depth === 0) segments = p.parts.slice(1);
    } else {
      const scoped = SCOPED.test(p.original);
      const param = !scoped && p.depth === 0 && p.parts.length > 0 && this.isBlockParam(p.parts[0]);
      if (!param && this.depth - p.depth === 0) segments = p.parts;
    }
    if (segments && segments.length)
      this.refs.push({ path: [...segments], line: p.loc.start.line, column: p.loc.start.column + 1 });
  }
}
