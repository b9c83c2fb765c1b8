/**
 * The interpreter: walks the handlebars AST with irun's rules — typed values, strict paths over
 * the declared names, own properties only, no HTML escaping, no partials, and results that are
 * never parsed again (data is never code).
 */
import { Codes } from '../errors.js';
import { TemplateError, closest } from './errors.js';
import { HELPER_NAMES, HelperFailure, callHelper, isHelper, type HelperContext } from './helpers.js';
import {
  SCOPED,
  hasTemplate,
  parse,
  simpleName,
  type Block,
  type Expr,
  type Literal,
  type Loc,
  type Mustache,
  type PathExpr,
  type Program,
  type SubExpr,
} from './parse.js';
import { defineOwn, getOwn, isPlainObject, toText, truthy, typeName } from './values.js';

/**
 * The names an expression can use. The engine puts every declared name here as an own key
 * (null when absent): `inputs`, `vars`, `steps` (records `{ output, outputs, status, error,
 * visits }`), `parts` (`{ status, visits }`), `run` (`{ id, actor, dryRun, simulated,
 * startedAt }`), plus `item` / the `as:` name inside forEach and `result` inside `outputs:`.
 */
export type Scope = Record<string, unknown>;

/** Evaluation options; the clock is injected so `now` and default dates are reproducible. */
export interface EvalOptions {
  now?: () => Date;
}

/** Roots whose second level is declared by the runbook (an unknown name there is an error). */
const DECLARED_ROOTS: Record<string, string> = {
  inputs: 'input',
  vars: 'var',
  steps: 'step',
  parts: 'part',
  run: 'run field',
};

interface BlockParams {
  names: string[];
  values: unknown[];
}

class Interpreter {
  private readonly contexts: unknown[];
  private readonly dataFrames: Record<string, unknown>[] = [];
  private readonly blockParams: BlockParams[] = [];
  private readonly helperCtx: HelperContext;

  constructor(
    private readonly text: string,
    private readonly scope: Scope,
    opts: EvalOptions,
  ) {
    this.contexts = [scope];
    this.helperCtx = { now: opts.now ?? (() => new Date()) };
  }

  // ---- statements ----

  render(program: Program | undefined, out: string[]): void {
    if (!program) return;
    for (const s of program.body) {
      switch (s.type) {
        case 'ContentStatement':
          out.push(s.value);
          break;
        case 'MustacheStatement':
          out.push(toText(this.call(s)));
          break;
        case 'BlockStatement':
          this.block(s, out);
          break;
        default:
          // comments render nothing; partials and decorators were rejected by the parser
          break;
      }
    }
  }

  private block(b: Block, out: string[]): void {
    const name = simpleName(b.path);
    const value = this.expr(b.params[0]);
    const params = b.program?.blockParams ?? [];
    switch (name) {
      case 'if':
        this.render(truthy(value) ? b.program : b.inverse, out);
        return;
      case 'unless':
        this.render(truthy(value) ? b.inverse : b.program, out);
        return;
      case 'with':
        if ((!value && value !== 0) || (Array.isArray(value) && value.length === 0)) {
          this.render(b.inverse, out);
        } else {
          this.within(value, null, { names: params, values: [value] }, () => this.render(b.program, out));
        }
        return;
      case 'each': {
        let entries: [string | number, unknown][];
        if (value === null || value === undefined || value === false) entries = [];
        else if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
        else if (isPlainObject(value)) entries = Object.keys(value).map((k) => [k, value[k]]);
        else throw this.evalError(`{{#each}} expects an array or an object, got ${typeName(value)}`, b.loc);
        if (entries.length === 0) {
          this.render(b.inverse, out);
          return;
        }
        entries.forEach(([key, item], i) => {
          const data = { index: i, key, first: i === 0, last: i === entries.length - 1 };
          this.within(item, data, { names: params, values: [item, key] }, () => this.render(b.program, out));
        });
        return;
      }
      default:
        throw this.evalError(`block {{#${b.path.original}}} is not supported`, b.loc);
    }
  }

  private within(context: unknown, data: Record<string, unknown> | null, bp: BlockParams, fn: () => void): void {
    this.contexts.push(context);
    if (data) this.dataFrames.push(data);
    this.blockParams.push(bp);
    try {
      fn();
    } finally {
      this.contexts.pop();
      if (data) this.dataFrames.pop();
      this.blockParams.pop();
    }
  }

  // ---- expressions ----

  /** A mustache or subexpression: a helper call, or a value. */
  call(node: Mustache | SubExpr): unknown {
    const pairs = node.hash?.pairs ?? [];
    const hasArgs = node.params.length > 0 || pairs.length > 0;
    const path = node.path;
    if (path.type !== 'PathExpression') {
      if (!hasArgs && node.type === 'MustacheStatement') return this.literal(path);
      throw this.evalError(`${JSON.stringify(this.literal(path))} is not a helper`, node.loc);
    }
    const name = simpleName(path);
    const isParam = name !== undefined && this.findBlockParam(name) !== undefined;
    if (node.type === 'SubExpression' || hasArgs) {
      if (name === undefined || isParam || !isHelper(name)) {
        const hint = closest(path.original, HELPER_NAMES);
        throw this.evalError(
          `unknown helper '${path.original}'${hint.length ? ` (did you mean '${hint[0]}'?)` : ''}`,
          path.loc,
          {
            suggestions: hint,
          },
        );
      }
      return this.helper(name, node);
    }
    if (name !== undefined && !isParam && isHelper(name)) return this.helper(name, node);
    return this.path(path);
  }

  private helper(name: string, node: Mustache | SubExpr): unknown {
    const args = node.params.map((p) => this.expr(p));
    const hash: Record<string, unknown> = {};
    for (const pair of node.hash?.pairs ?? []) defineOwn(hash, pair.key, this.expr(pair.value));
    try {
      return callHelper(name, args, hash, this.helperCtx);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      const message = err instanceof HelperFailure ? err.message : `failed: ${(err as Error)?.message ?? String(err)}`;
      throw this.evalError(`helper '${name}' ${message}`, node.loc, { cause: err, details: { helper: name } });
    }
  }

  expr(e: Expr | undefined): unknown {
    if (!e) return null;
    switch (e.type) {
      case 'PathExpression':
        return this.path(e);
      case 'SubExpression':
        return this.call(e);
      default:
        return this.literal(e);
    }
  }

  private literal(l: Literal): unknown {
    if (l.type === 'NullLiteral' || l.type === 'UndefinedLiteral') return null;
    return l.value ?? null;
  }

  private findBlockParam(name: string): unknown[] | undefined {
    for (let i = this.blockParams.length - 1; i >= 0; i--) {
      const bp = this.blockParams[i];
      const at = bp.names.indexOf(name);
      if (at >= 0) return [bp.values[at] ?? null];
    }
    return undefined;
  }

  private path(p: PathExpr): unknown {
    const parts = p.parts;
    if (p.data) {
      if (parts[0] === 'root' && p.depth === 0) return this.rootPath(parts.slice(1), p);
      const frame = this.dataFrames[this.dataFrames.length - 1 - p.depth];
      if (!frame || !Object.hasOwn(frame, parts[0])) {
        throw this.unknown(
          `'${p.original}' is not defined here (data variables @index, @key, @first, @last exist inside {{#each}}; @root is the whole scope)`,
          p,
        );
      }
      return follow(frame[parts[0]], parts.slice(1));
    }
    const scoped = SCOPED.test(p.original);
    if (!scoped && p.depth === 0 && parts.length) {
      const bp = this.findBlockParam(parts[0]);
      if (bp) return follow(bp[0], parts.slice(1));
    }
    const at = this.contexts.length - 1 - p.depth;
    if (at < 0) throw this.unknown(`'${p.original}' goes above the top-level scope`, p);
    if (at === 0) return this.rootPath(parts, p);
    const context = this.contexts[at];
    return follow(context, parts);
  }

  /** Strict lookup from the scope: the declared levels must exist; below them is data. */
  private rootPath(parts: string[], p: PathExpr): unknown {
    const scope = this.scope;
    if (parts.length === 0) return scope;
    const [root, second, third] = parts;
    if (!Object.hasOwn(scope, root)) {
      const hint = isHelper(root) ? [] : closest(root, Object.keys(scope));
      const why = isHelper(root)
        ? ` ('${root}' is a helper: call it as a subexpression, (${root} ...))`
        : hint.length
          ? ` (did you mean '${hint[0]}'?)`
          : ` (known: ${Object.keys(scope).join(', ')})`;
      throw this.unknown(`unknown name '${root}' in '${p.original}'${why}`, p, hint);
    }
    const top = scope[root];
    if (parts.length === 1) return top === undefined ? null : top;
    if (!Object.hasOwn(DECLARED_ROOTS, root) || top === null || typeof top !== 'object')
      return follow(top, parts.slice(1));
    if (!Object.hasOwn(top, second)) {
      const names = Object.keys(top);
      const hint = closest(second, names);
      const why = hint.length
        ? ` (did you mean '${root}.${hint[0]}'?)`
        : names.length
          ? ` (declared: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`
          : '';
      throw this.unknown(
        `no ${DECLARED_ROOTS[root]} '${second}' is declared, in '${p.original}'${why}`,
        p,
        hint.map((h) => `${root}.${h}`),
      );
    }
    const record = (top as Record<string, unknown>)[second];
    if (root !== 'steps' || parts.length === 2 || record === null || typeof record !== 'object')
      return follow(record, parts.slice(2));
    if (!Object.hasOwn(record, third)) {
      const names = Object.keys(record);
      const hint = closest(third, names);
      const why = hint.length ? ` (did you mean 'steps.${second}.${hint[0]}'?)` : ` (a step has: ${names.join(', ')})`;
      throw this.unknown(
        `a step has no field '${third}', in '${p.original}'${why}`,
        p,
        hint.map((h) => `steps.${second}.${h}`),
      );
    }
    return follow((record as Record<string, unknown>)[third], parts.slice(3));
  }

  // ---- errors ----

  private unknown(message: string, p: PathExpr, suggestions: string[] = []): TemplateError {
    return new TemplateError(Codes.TEMPLATE_UNKNOWN_PATH, message, {
      template: this.text,
      ...position(p.loc),
      suggestions,
      details: { path: p.original },
    });
  }

  evalError(
    message: string,
    loc: Loc | undefined,
    extra: { cause?: unknown; suggestions?: string[]; details?: Record<string, unknown> } = {},
  ): TemplateError {
    return new TemplateError(Codes.TEMPLATE_EVAL, message, { template: this.text, ...position(loc), ...extra });
  }
}

function position(loc: Loc | undefined): { line?: number; column?: number } {
  return loc ? { line: loc.start.line, column: loc.start.column + 1 } : {};
}

/** Data below the declared levels: own properties only, missing or null gives null. */
function follow(value: unknown, parts: string[]): unknown {
  let cur: unknown = value === undefined ? null : value;
  for (const seg of parts) {
    cur = getOwn(cur, seg);
    if (cur === null) return null;
  }
  return cur;
}

/**
 * Evaluate one string. Exactly one `{{ expr }}` (surrounding whitespace allowed) gives the typed
 * value of expr; any other text renders to a string. Text without `{{` is returned unchanged.
 */
export function evaluateString(text: string, scope: Scope, opts: EvalOptions = {}): unknown {
  if (!hasTemplate(text)) return text;
  const parsed = parse(text);
  const it = new Interpreter(text, scope, opts);
  if (parsed.single) {
    const v = it.call(parsed.single);
    return v === undefined ? null : v;
  }
  const out: string[] = [];
  it.render(parsed.program, out);
  return out.join('');
}

/** Render text: always a string (objects as JSON, null as ''). */
export function render(text: string, scope: Scope, opts: EvalOptions = {}): string {
  if (!hasTemplate(text)) return text;
  const parsed = parse(text);
  const out: string[] = [];
  new Interpreter(text, scope, opts).render(parsed.program, out);
  return out.join('');
}

/**
 * Deep evaluation of a literal value from the runbook: every string containing `{{` is
 * evaluated; arrays and plain objects are copied (their keys are never evaluated); values
 * produced by evaluation are not walked again. The input is never mutated.
 */
export function evaluate(value: unknown, scope: Scope, opts: EvalOptions = {}): unknown {
  if (typeof value === 'string') return hasTemplate(value) ? evaluateString(value, scope, opts) : value;
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope, opts));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) defineOwn(out, k, evaluate(value[k], scope, opts));
    return out;
  }
  return value;
}
