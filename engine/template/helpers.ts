/**
 * The helpers available in expressions. All are pure functions of their arguments (the clock is
 * injected) and return typed values; a helper rejects wrong types instead of guessing.
 */
import { search as jmesSearch } from 'jmespath';
import { BLOCK_HELPERS } from './parse.js';
import { deepEqual, defineOwn, getPath, isPlainObject, toText, truthy, typeName } from './values.js';

export interface HelperContext {
  now: () => Date;
}

/** Thrown by a helper; the interpreter turns it into TEMPLATE_EVAL naming the helper and template. */
export class HelperFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HelperFailure';
  }
}

interface HelperSpec {
  /** Positional arguments: at least `min`, at most `max`. */
  min: number;
  max: number;
  /** Named (hash) arguments accepted. */
  hash?: readonly string[];
  fn: (args: unknown[], hash: Record<string, unknown>, ctx: HelperContext) => unknown;
}

const fail = (message: string): never => {
  throw new HelperFailure(message);
};

function num(value: unknown, what: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail(`${what} must be a number, got ${typeName(value)}`);
  return value as number;
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') fail(`${what} must be a string, got ${typeName(value)}`);
  return value as string;
}

function arr(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(`${what} must be an array, got ${typeName(value)}`);
  return value as unknown[];
}

/** Numbers compare as numbers, strings (ISO dates included) as strings, dates by time. */
function comparable(a: unknown, b: unknown): [number | string, number | string] {
  const norm = (v: unknown) => (v instanceof Date ? v.getTime() : v);
  const x = norm(a);
  const y = norm(b);
  if (typeof x === 'number' && typeof y === 'number' && !Number.isNaN(x) && !Number.isNaN(y)) return [x, y];
  if (typeof x === 'string' && typeof y === 'string') return [x, y];
  return fail(`expects two numbers or two strings, got ${typeName(a)} and ${typeName(b)}`);
}

function toDate(value: unknown, what: string): Date {
  let d: Date | undefined;
  if (value instanceof Date) d = new Date(value.getTime());
  else if (typeof value === 'string' && value.trim() !== '') d = new Date(value);
  else if (typeof value === 'number') d = new Date(value);
  if (!d || Number.isNaN(d.getTime())) {
    fail(
      `${what} must be a date (ISO text, Date or epoch milliseconds), got ${typeof value === 'string' ? 'text that is not a date' : typeName(value)}`,
    );
  }
  return d as Date;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function formatDate(d: Date, pattern: string): string {
  return pattern.replace(/yyyy|SSS|MM|dd|HH|mm|ss/g, (tok) => {
    switch (tok) {
      case 'yyyy':
        return pad(d.getUTCFullYear(), 4);
      case 'MM':
        return pad(d.getUTCMonth() + 1);
      case 'dd':
        return pad(d.getUTCDate());
      case 'HH':
        return pad(d.getUTCHours());
      case 'mm':
        return pad(d.getUTCMinutes());
      case 'ss':
        return pad(d.getUTCSeconds());
      default:
        return pad(d.getUTCMilliseconds(), 3);
    }
  });
}

/** A copy whose objects have no prototype, so a query cannot reach `constructor` and friends. */
function detach(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(detach);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(value)) defineOwn(out, k, detach((value as Record<string, unknown>)[k]));
    return out;
  }
  return value;
}

/** Back to ordinary objects (own "__proto__" keys stay data). */
function attach(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(attach);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) defineOwn(out, k, attach((value as Record<string, unknown>)[k]));
    return out;
  }
  return value === undefined ? null : value;
}

const SQL_IDENT_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DATE_UNITS = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000 } as const;

const HELPERS: Record<string, HelperSpec> = {
  // comparison and logic
  eq: { min: 2, max: 2, fn: ([a, b]) => deepEqual(a, b) },
  ne: { min: 2, max: 2, fn: ([a, b]) => !deepEqual(a, b) },
  lt: {
    min: 2,
    max: 2,
    fn: ([a, b]) => {
      const [x, y] = comparable(a, b);
      return x < y;
    },
  },
  lte: {
    min: 2,
    max: 2,
    fn: ([a, b]) => {
      const [x, y] = comparable(a, b);
      return x <= y;
    },
  },
  gt: {
    min: 2,
    max: 2,
    fn: ([a, b]) => {
      const [x, y] = comparable(a, b);
      return x > y;
    },
  },
  gte: {
    min: 2,
    max: 2,
    fn: ([a, b]) => {
      const [x, y] = comparable(a, b);
      return x >= y;
    },
  },
  and: { min: 1, max: Infinity, fn: (args) => args.every(truthy) },
  or: { min: 1, max: Infinity, fn: (args) => args.some(truthy) },
  not: { min: 1, max: 1, fn: ([a]) => !truthy(a) },

  // collections
  length: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (v === null || v === undefined) return 0;
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isPlainObject(v)) return Object.keys(v).length;
      return fail(`expects an array, a string or an object, got ${typeName(v)}`);
    },
  },
  includes: {
    min: 2,
    max: 2,
    fn: ([c, v]) => {
      if (c === null || c === undefined) return false;
      if (Array.isArray(c)) return c.some((x) => deepEqual(x, v));
      if (typeof c === 'string') return c.includes(str(v, 'the value searched in a string'));
      return fail(`expects an array or a string, got ${typeName(c)}`);
    },
  },
  first: {
    min: 1,
    max: 1,
    fn: ([c]) => {
      if (c === null || c === undefined) return null;
      if (Array.isArray(c) || typeof c === 'string') return c.length ? c[0] : null;
      return fail(`expects an array or a string, got ${typeName(c)}`);
    },
  },
  last: {
    min: 1,
    max: 1,
    fn: ([c]) => {
      if (c === null || c === undefined) return null;
      if (Array.isArray(c) || typeof c === 'string') return c.length ? c[c.length - 1] : null;
      return fail(`expects an array or a string, got ${typeName(c)}`);
    },
  },
  pluck: {
    min: 2,
    max: 2,
    fn: ([c, key]) => {
      if (c === null || c === undefined) return [];
      const k = str(key, 'the key');
      return arr(c, 'the first argument').map((x) => getPath(x, k));
    },
  },
  where: {
    min: 2,
    max: 3,
    fn: (args) => {
      const [c, key, value] = args;
      if (c === null || c === undefined) return [];
      const k = str(key, 'the key');
      const list = arr(c, 'the first argument');
      return args.length === 3
        ? list.filter((x) => deepEqual(getPath(x, k), value))
        : list.filter((x) => truthy(getPath(x, k)));
    },
  },
  keys: {
    min: 1,
    max: 1,
    fn: ([o]) => {
      if (o === null || o === undefined) return [];
      if (!isPlainObject(o)) fail(`expects an object, got ${typeName(o)}`);
      return Object.keys(o as object);
    },
  },
  values: {
    min: 1,
    max: 1,
    fn: ([o]) => {
      if (o === null || o === undefined) return [];
      if (!isPlainObject(o)) fail(`expects an object, got ${typeName(o)}`);
      return Object.values(o as object);
    },
  },
  // null (a declared but absent value) is skipped, so outputs of skipped steps can be combined
  concat: {
    min: 1,
    max: Infinity,
    fn: (args) => {
      const out: unknown[] = [];
      for (const a of args) {
        if (a === null || a === undefined) continue;
        if (Array.isArray(a)) out.push(...a);
        else out.push(a);
      }
      return out;
    },
  },
  unique: {
    min: 1,
    max: 1,
    fn: ([c]) => {
      if (c === null || c === undefined) return [];
      const out: unknown[] = [];
      for (const x of arr(c, 'the argument')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return out;
    },
  },

  // strings
  lower: { min: 1, max: 1, fn: ([s]) => (s === null || s === undefined ? null : str(s, 'the argument').toLowerCase()) },
  upper: { min: 1, max: 1, fn: ([s]) => (s === null || s === undefined ? null : str(s, 'the argument').toUpperCase()) },
  join: {
    min: 1,
    max: 2,
    fn: (args) => {
      const [c, sep] = args;
      if (c === null || c === undefined) return '';
      const separator = args.length > 1 ? str(sep, 'the separator') : ',';
      return arr(c, 'the first argument').map(toText).join(separator);
    },
  },
  split: {
    min: 2,
    max: 2,
    fn: ([s, sep]) =>
      s === null || s === undefined ? [] : str(s, 'the first argument').split(str(sep, 'the separator')),
  },
  startsWith: {
    min: 2,
    max: 2,
    fn: ([s, p]) =>
      s === null || s === undefined ? false : str(s, 'the first argument').startsWith(str(p, 'the prefix')),
  },
  endsWith: {
    min: 2,
    max: 2,
    fn: ([s, p]) =>
      s === null || s === undefined ? false : str(s, 'the first argument').endsWith(str(p, 'the suffix')),
  },
  matches: {
    min: 2,
    max: 3,
    fn: (args) => {
      const [s, re, flags] = args;
      const source = str(re, 'the regular expression');
      let regex: RegExp;
      try {
        regex = new RegExp(source, args.length > 2 ? str(flags, 'the flags') : '');
      } catch (err) {
        throw new HelperFailure(`invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (s === null || s === undefined) return false;
      return regex.test(str(s, 'the first argument'));
    },
  },
  replace: {
    min: 3,
    max: 3,
    fn: ([s, find, repl]) => {
      const f = str(find, 'the text to find');
      const r = str(repl, 'the replacement');
      if (s === null || s === undefined) return null;
      if (f === '') fail('the text to find must not be empty');
      return str(s, 'the first argument').split(f).join(r);
    },
  },

  // JSON
  json: {
    min: 1,
    max: 2,
    fn: (args) => {
      const [v, indent] = args;
      const space = args.length > 1 ? num(indent, 'the indent') : undefined;
      return JSON.stringify(v === undefined ? null : v, null, space) ?? 'null';
    },
  },
  parseJson: {
    min: 1,
    max: 1,
    fn: ([s]) => {
      const text = str(s, 'the argument');
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        // the parser's message quotes the text, which may be sensitive data: keep only the position
        const at = /position (\d+)/.exec((err as Error).message)?.[1];
        throw new HelperFailure(`the text is not valid JSON${at ? ` (at position ${at})` : ''}`);
      }
    },
  },

  // dates
  now: { min: 0, max: 0, fn: (_a, _h, ctx) => ctx.now().toISOString() },
  dateAdd: {
    min: 1,
    max: 1,
    hash: Object.keys(DATE_UNITS),
    fn: ([d], hash) => {
      let ms = toDate(d, 'the date').getTime();
      for (const [unit, factor] of Object.entries(DATE_UNITS)) {
        if (Object.hasOwn(hash, unit)) ms += num(hash[unit], unit) * factor;
      }
      const out = new Date(ms);
      if (Number.isNaN(out.getTime())) fail('the resulting date is out of range');
      return out.toISOString();
    },
  },
  dateFormat: {
    min: 2,
    max: 2,
    fn: ([d, pattern]) => formatDate(toDate(d, 'the date'), str(pattern, 'the pattern')),
  },

  // queries
  jmespath: {
    min: 2,
    max: 2,
    fn: ([v, expr]) => {
      const expression = str(expr, 'the expression');
      let result: unknown;
      try {
        result = jmesSearch(detach(v === undefined ? null : v), expression) as unknown;
      } catch (err) {
        throw new HelperFailure(`JMESPath ${JSON.stringify(expression)}: ${(err as Error).message}`, { cause: err });
      }
      return attach(result);
    },
  },

  // SQL (Athena): the only ways data reaches query text
  sqlString: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        fail(`expects a string, a number or a boolean, got ${typeName(v)}`);
      }
      const text = String(v);
      if (text.includes('\u0000')) fail('the text contains a NUL character');
      return `'${text.replaceAll("'", "''")}'`;
    },
  },
  sqlIdent: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      const name = str(v, 'the identifier');
      const parts = name.split('.');
      for (const p of parts) {
        if (!SQL_IDENT_PART.test(p))
          fail(
            `${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)} is not a valid SQL identifier (letters, digits and _, not starting with a digit, dot-separated)`,
          );
      }
      return parts.map((p) => `"${p}"`).join('.');
    },
  },

  // absent values
  default: { min: 2, max: 2, fn: ([v, fb]) => (v === null || v === undefined || v === '' ? fb : v) },
  exists: { min: 1, max: 1, fn: ([v]) => v !== null && v !== undefined },
  coalesce: { min: 1, max: Infinity, fn: (args) => args.find((a) => a !== null && a !== undefined) ?? null },
};

/** Every helper name, block helpers included (a name not in this list is an unknown helper). */
export const HELPER_NAMES: readonly string[] = Object.freeze([...Object.keys(HELPERS), ...BLOCK_HELPERS]);

export function isHelper(name: string): boolean {
  return Object.hasOwn(HELPERS, name);
}

/** Call a helper by name, checking arity and named arguments; throws HelperFailure. */
export function callHelper(name: string, args: unknown[], hash: Record<string, unknown>, ctx: HelperContext): unknown {
  const spec = Object.hasOwn(HELPERS, name) ? HELPERS[name] : undefined;
  if (!spec) throw new HelperFailure(`unknown helper '${name}'`);
  if (args.length < spec.min || args.length > spec.max) {
    const want =
      spec.min === spec.max
        ? `${spec.min}`
        : spec.max === Infinity
          ? `at least ${spec.min}`
          : `${spec.min} to ${spec.max}`;
    const plural = (spec.max === Infinity ? spec.min : spec.max) === 1 ? '' : 's';
    throw new HelperFailure(`takes ${want} argument${plural}, got ${args.length}`);
  }
  for (const k of Object.keys(hash)) {
    if (!spec.hash?.includes(k)) {
      throw new HelperFailure(
        spec.hash
          ? `unknown named argument '${k}' (accepted: ${spec.hash.join(', ')})`
          : `takes no named arguments, got '${k}'`,
      );
    }
  }
  const out = spec.fn(args, hash, ctx);
  return out === undefined ? null : out;
}
