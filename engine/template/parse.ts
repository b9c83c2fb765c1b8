/**
 * Parsing: the handlebars package is used only as a parser. Its AST is checked once for what
 * irun does not support (partials, decorators, unknown block helpers, block helpers used inline)
 * and cached by template text, so a runbook's templates are parsed once per process.
 */
import Handlebars from 'handlebars';
import { Codes } from '../errors.js';
import { TemplateError } from './errors.js';

/** Block helpers, usable in rendered text such as Markdown instructions. */
export const BLOCK_HELPERS = ['if', 'unless', 'each', 'with'] as const;
export type BlockHelperName = (typeof BLOCK_HELPERS)[number];

// The AST as produced by Handlebars.parse (a narrowed view of hbs.AST).
export interface Pos {
  line: number; // 1-based
  column: number; // 0-based
}
export interface Loc {
  start: Pos;
  end: Pos;
}
export interface Program {
  type: 'Program';
  body: Statement[];
  blockParams?: string[];
  loc?: Loc;
}
export interface PathExpr {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
  loc: Loc;
}
export interface Literal {
  type: 'StringLiteral' | 'NumberLiteral' | 'BooleanLiteral' | 'NullLiteral' | 'UndefinedLiteral';
  value?: string | number | boolean;
  original?: unknown;
  loc: Loc;
}
export interface Hash {
  type: 'Hash';
  pairs: { key: string; value: Expr; loc: Loc }[];
}
export interface SubExpr {
  type: 'SubExpression';
  path: PathExpr | Literal;
  params: Expr[];
  hash?: Hash;
  loc: Loc;
}
export type Expr = PathExpr | Literal | SubExpr;
export interface Mustache {
  type: 'MustacheStatement';
  path: PathExpr | Literal;
  params: Expr[];
  hash?: Hash;
  escaped: boolean;
  loc: Loc;
}
export interface Block {
  type: 'BlockStatement';
  path: PathExpr;
  params: Expr[];
  hash?: Hash;
  program?: Program;
  inverse?: Program;
  loc: Loc;
}
export interface Content {
  type: 'ContentStatement';
  value: string;
  original: string;
  loc: Loc;
}
export interface Comment {
  type: 'CommentStatement';
  value: string;
  loc: Loc;
}
export interface Other {
  type: 'PartialStatement' | 'PartialBlockStatement' | 'Decorator' | 'DecoratorBlock';
  loc: Loc;
  path?: PathExpr;
  program?: Program;
}
export type Statement = Mustache | Block | Content | Comment | Other;

/** A parsed template: its AST, and the single mustache when the text is exactly one. */
export interface Parsed {
  text: string;
  program: Program;
  /** Set when the trimmed text is exactly one `{{ expr }}` (its value is then typed). */
  single: Mustache | null;
}

interface ParseFailure {
  message: string;
  line: number;
  column: number;
}

/** How many parsed templates are kept (least recently used go first). */
export const TEMPLATE_CACHE_MAX = 2000;
const cache = new Map<string, Parsed | ParseFailure>();

/** Parse (cached) or throw TEMPLATE_SYNTAX. */
export function parse(text: string): Parsed {
  const got = tryParse(text);
  if ('program' in got) return got;
  throw new TemplateError(Codes.TEMPLATE_SYNTAX, got.message, { template: text, line: got.line, column: got.column });
}

/** Parse (cached); a syntax error is returned, not thrown. */
export function tryParse(text: string): Parsed | ParseFailure {
  const hit = cache.get(text);
  if (hit) {
    // refresh: the Map's insertion order is the eviction order
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const result = parseUncached(text);
  cache.set(text, result);
  if (cache.size > TEMPLATE_CACHE_MAX) cache.delete(cache.keys().next().value as string);
  return result;
}

/** The number of cached templates (for tests). */
export function cacheSize(): number {
  return cache.size;
}

/** Whether the text contains a template at all (a string without `{{` is used as is). */
export function hasTemplate(text: string): boolean {
  return typeof text === 'string' && text.includes('{{');
}

function parseUncached(text: string): Parsed | ParseFailure {
  let program: Program;
  try {
    program = Handlebars.parse(text) as unknown as Program;
  } catch (err) {
    return syntaxFailure(err, text);
  }
  const problem = check(program);
  if (problem) return problem;
  return { text, program, single: singleMustache(program) };
}

function singleMustache(program: Program): Mustache | null {
  let found: Mustache | null = null;
  for (const s of program.body) {
    if (s.type === 'ContentStatement') {
      if (s.original.trim() !== '') return null;
    } else if (s.type === 'MustacheStatement' && !found) {
      found = s;
    } else {
      return null;
    }
  }
  return found;
}

interface HandlebarsLexer {
  yylloc?: { first_line?: number; first_column?: number };
}

/** Turn a handlebars parse error into a message with a position (1-based). */
function syntaxFailure(err: unknown, text: string): ParseFailure {
  const e = err as Error & { lineNumber?: number; column?: number };
  const raw = String(e?.message ?? err);
  // Errors from the AST helpers ("if doesn't match iff - 1:6") carry their own position.
  if (typeof e.lineNumber === 'number') {
    return {
      message: `template syntax error: ${raw.replace(/ - \d+:\d+$/, '')}`,
      line: e.lineNumber,
      column: (e.column ?? 0) + 1,
    };
  }
  // Errors from the generated parser: the shared lexer still holds the offending token's location.
  const lexer = (Handlebars as unknown as { Parser?: { lexer?: HandlebarsLexer } }).Parser?.lexer;
  const loc = lexer?.yylloc;
  const lineFromMessage = /on line (\d+)/.exec(raw);
  const line = loc?.first_line ?? (lineFromMessage ? Number(lineFromMessage[1]) : 1);
  const column = (loc?.first_column ?? 0) + 1;
  let message: string;
  const expecting = raw.split('\n').find((l) => l.startsWith('Expecting '));
  if (raw.startsWith('Parse error') && expecting) {
    const got = /got '([^']+)'/.exec(expecting)?.[1];
    const lines = text.split('\n');
    const rest = [(lines[line - 1] ?? '').slice(column - 1), ...lines.slice(line)].join('\n');
    // at the end of the text the lexer cannot finish a name: the real problem is the missing "}}"
    const token = got === 'INVALID' && !rest.includes('}') ? 'EOF' : got;
    message = `template syntax error: unexpected ${describeToken(token, rest[0])}`;
  } else if (raw.startsWith('Lexical error')) {
    message = 'template syntax error: unrecognized text';
  } else {
    message = `template syntax error: ${raw.split('\n')[0]}`;
  }
  return { message, line, column };
}

const TOKENS: Record<string, string> = {
  CLOSE: '"}}"',
  CLOSE_UNESCAPED: '"}}}"',
  OPEN_SEXPR: '"(" (a mustache cannot start with a subexpression; write {{ helper args }})',
  CLOSE_SEXPR: '")"',
  NUMBER: 'number (an array index is written .[0], as in list.[0])',
  STRING: 'string',
  ID: 'name',
  SEP: 'separator',
  EQUALS: '"=" (named arguments are written name=value)',
  DATA: '"@" variable',
  OPEN_BLOCK_PARAMS: '"as |"',
};

function describeToken(token: string | undefined, char: string | undefined): string {
  if (token === 'EOF') return 'end of template (a "}}" or a closing block is missing)';
  if (token === 'INVALID' || token === undefined) return char ? `character ${JSON.stringify(char)}` : 'character';
  return TOKENS[token] ?? `'${token}'`;
}

function fail(message: string, loc: Loc | undefined): ParseFailure {
  return { message, line: loc?.start.line ?? 1, column: (loc?.start.column ?? 0) + 1 };
}

function isBlockHelper(name: string): name is BlockHelperName {
  return (BLOCK_HELPERS as readonly string[]).includes(name);
}

/** A path that starts with `this` or `.`: explicitly the current context, never a helper. */
export const SCOPED = /^(this|\.)([./]|$)/;

/** A simple helper-position name: one segment, not data, not scoped. */
export function simpleName(path: PathExpr | Literal): string | undefined {
  if (path.type !== 'PathExpression') return undefined;
  if (path.data || path.depth > 0 || path.parts.length !== 1) return undefined;
  if (SCOPED.test(path.original)) return undefined;
  return path.parts[0];
}

/** Reject what irun does not support; the first problem found, or undefined. */
function check(program: Program | undefined, depth = 0, params: string[] = []): ParseFailure | undefined {
  if (!program) return undefined;
  const exprs = (list: Expr[], loc: Loc) => checkExprs(list, loc, depth, params);
  for (const s of program.body) {
    switch (s.type) {
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return fail('partials are not supported in irun templates', s.loc);
      case 'Decorator':
      case 'DecoratorBlock':
        return fail('decorators are not supported in irun templates', s.loc);
      case 'BlockStatement': {
        const name = simpleName(s.path);
        if (!name || !isBlockHelper(name)) {
          return fail(
            `block {{#${s.path.original}}} is not supported (block helpers: ${BLOCK_HELPERS.join(', ')})`,
            s.loc,
          );
        }
        if (s.params.length !== 1)
          return fail(`{{#${name}}} takes exactly one argument, got ${s.params.length}`, s.loc);
        if (s.hash && s.hash.pairs.length) return fail(`{{#${name}}} takes no named arguments`, s.loc);
        const bp = s.program?.blockParams ?? [];
        const maxParams = name === 'each' ? 2 : name === 'with' ? 1 : 0;
        if (bp.length > maxParams) {
          return fail(
            maxParams
              ? `{{#${name}}} takes at most ${maxParams} block parameter(s)`
              : `{{#${name}}} takes no block parameters`,
            s.loc,
          );
        }
        const inBody = name === 'each' || name === 'with' ? depth + 1 : depth;
        const inner =
          exprs(s.params, s.loc) ?? check(s.program, inBody, [...params, ...bp]) ?? check(s.inverse, depth, params);
        if (inner) return inner;
        break;
      }
      case 'MustacheStatement': {
        const p =
          checkHead(s.path, s.loc) ??
          exprs([s.path as Expr, ...s.params, ...(s.hash?.pairs.map((h) => h.value) ?? [])], s.loc);
        if (p) return p;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

function checkHead(path: PathExpr | Literal, loc: Loc): ParseFailure | undefined {
  const name = simpleName(path);
  if (name && isBlockHelper(name))
    return fail(`'${name}' is a block helper: write {{#${name} ...}}...{{/${name}}}`, loc);
  return undefined;
}

function checkExprs(exprs: Expr[], loc: Loc, depth: number, params: string[]): ParseFailure | undefined {
  for (const e of exprs) {
    if (e.type === 'SubExpression') {
      const p =
        checkHead(e.path, e.loc ?? loc) ??
        checkExprs(
          [e.path as Expr, ...e.params, ...(e.hash?.pairs.map((h) => h.value) ?? [])],
          e.loc ?? loc,
          depth,
          params,
        );
      if (p) return p;
    } else if (e.type === 'PathExpression' && depth > 0) {
      const p = checkRelative(e, depth, params);
      if (p) return p;
    }
  }
  return undefined;
}

/** Top-level names that inside {{#each}} / {{#with}} would silently be looked up in the item. */
const TOP_LEVEL_NAMES = ['inputs', 'vars', 'steps', 'parts', 'run'];

/**
 * Inside {{#each}} and {{#with}} a bare path is looked up in the current item (handlebars rules).
 * `{{ inputs.x }}` there is almost always meant for the top level, so it must say so:
 * `@root.inputs.x` (or `../inputs.x`), or `this.inputs` for a field of the item.
 */
function checkRelative(p: PathExpr, depth: number, params: string[]): ParseFailure | undefined {
  if (p.data || p.depth > 0 || SCOPED.test(p.original)) return undefined;
  const head = p.parts[0];
  if (head === undefined || !TOP_LEVEL_NAMES.includes(head) || params.includes(head)) return undefined;
  const hint = `@root.${p.parts.join('.')}`;
  return fail(
    `'${p.original}' inside {{#each}} or {{#with}} would be looked up in the current item: write '${hint}' for the top-level name, or 'this.${p.original}' for a field of the item`,
    p.loc,
  );
}
