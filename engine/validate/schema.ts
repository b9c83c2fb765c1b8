/**
 * The schema phase: schemas/runbook.schema.json through the shared strict ajv, and the turning
 * of ajv's errors into readable, positioned diagnostics (also used for action inputs).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Codes } from '../errors.js';
import type { NodePath } from '../model.js';
import { PACKAGE_ROOT } from '../plugins/registry.js';
import { closest } from '../util/similar.js';
import { compile, type ErrorObject, type ValidateFunction } from '../schema/ajv.js';
import { didYouMean, type Report } from './context.js';

let schema: Record<string, unknown> | undefined;
let schemaText: string | undefined;

/** The runbook schema (schemas/runbook.schema.json), read once. */
export function runbookSchema(): Record<string, unknown> {
  schemaText ??= readFileSync(path.join(PACKAGE_ROOT, 'schemas/runbook.schema.json'), 'utf8');
  schema ??= JSON.parse(schemaText) as Record<string, unknown>;
  return schema;
}

let validator: ValidateFunction | undefined;

/**
 * The runbook schema's validator: the one the build generated (scripts/precompile-schema.cjs)
 * when it matches the schema file byte for byte, else compiled now.
 */
export function runbookValidator(): ValidateFunction {
  if (validator) return validator;
  const s = runbookSchema();
  try {
    const mod = createRequire(import.meta.url)(
      path.join(PACKAGE_ROOT, 'dist/schemas/runbook.validate.cjs'),
    ) as ValidateFunction & { schemaSha256?: string };
    if (mod.schemaSha256 === createHash('sha256').update(schemaText!).digest('hex')) validator = mod;
  } catch {
    // not built (tests on the sources): compile below
  }
  validator ??= compile(s);
  return validator;
}

/** Where the validator's own step-kind rule takes over from the schema (clearer messages). */
const STEP_KIND_SCHEMA = '#/definitions/stepKind';

/** Check a document against the runbook schema; reports IRUN_SCHEMA diagnostics. */
export function schemaPhase(doc: unknown, report: (r: Report) => void): void {
  const s = runbookSchema();
  const validate = runbookValidator();
  if (validate(doc === undefined ? null : doc)) return;
  const errors = (validate.errors ?? []).filter(
    (e) => !e.schemaPath.startsWith(STEP_KIND_SCHEMA) && !e.schemaPath.includes('/stepKind/'),
  );
  for (const r of readableErrors(errors, s, doc, Codes.SCHEMA, [])) report(r);
}

/** ajv instancePath -> path segments (numbers for array indices where the data has arrays). */
export function instanceSegments(instancePath: string, data: unknown): NodePath {
  if (!instancePath) return [];
  const out: NodePath = [];
  let cur: unknown = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function resolvePointer(root: unknown, schemaPath: string): unknown {
  if (!schemaPath.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of schemaPath.slice(1).split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function deref(root: unknown, node: unknown): unknown {
  let cur = node;
  for (
    let guard = 0;
    guard < 32 && cur && typeof cur === 'object' && typeof (cur as { $ref?: unknown }).$ref === 'string';
    guard++
  ) {
    cur = resolvePointer(root, (cur as { $ref: string }).$ref);
  }
  return cur;
}

/** The (dereferenced) schema that applies to the data at `segs`, following properties / items. */
function schemaAt(root: unknown, segs: NodePath): unknown {
  let node = deref(root, root);
  for (const seg of segs) {
    if (!node || typeof node !== 'object') return undefined;
    const n = node as { properties?: Record<string, unknown>; items?: unknown; additionalProperties?: unknown };
    if (typeof seg === 'string' && n.properties && Object.hasOwn(n.properties, seg)) node = n.properties[seg];
    else if (typeof seg === 'number' && n.items && typeof n.items === 'object') node = n.items;
    else if (n.additionalProperties && typeof n.additionalProperties === 'object') node = n.additionalProperties;
    else return undefined;
    node = deref(root, node);
  }
  return node;
}

/**
 * The schema node an error's schemaPath points at. ajv gives paths relative to the schema a
 * `$ref` led to (unless it inlined the reference), so try from the data's schema, then the root.
 */
function schemaNode(root: unknown, data: unknown, e: ErrorObject, schemaPath = e.schemaPath): unknown {
  const base = schemaAt(root, instanceSegments(e.instancePath, data));
  return (base !== undefined ? resolvePointer(base, schemaPath) : undefined) ?? resolvePointer(root, schemaPath);
}

function valueAt(data: unknown, segs: NodePath): unknown {
  let cur = data;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s as string];
  }
  return cur;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const typeWord = (t: string) => (t === 'object' ? 'map' : t === 'array' ? 'list' : t);
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** Messages for the patterns of the runbook schema (ajv would print the regular expression). */
const PATTERN_MESSAGES: Record<string, string> = {
  '^[a-z][a-z0-9]*(-[a-z0-9]+)*$':
    "must be kebab-case: lower-case letters, digits and single dashes (e.g. 'check-policy')",
  '^[0-9]+(ms|s|m|h)$': "must be a duration like '500ms', '30s', '5m' or '1h' (or a number of milliseconds)",
  '^[A-Za-z_][A-Za-z0-9_]*$': 'must be a name of letters, digits and underscores',
  '\\{\\{': 'must be a number or a {{ template }}',
  '^\\s*\\{\\{': 'must be a map of inputs or a single {{ template }}',
  '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*\\.[A-Za-z][A-Za-z0-9]*$':
    "must be an action id 'namespace.name' (e.g. 'aws.s3.getBucketPolicy')",
};

/**
 * Reduce ajv's errors to what a runbook author needs: `if` wrappers dropped, anyOf/oneOf
 * reduced to the alternative that matches the value's type, unknown properties with a
 * suggestion, enums with the allowed values. Paths are prefixed with `base`.
 */
export function readableErrors(
  errors: ErrorObject[],
  rootSchema: unknown,
  data: unknown,
  code: string,
  base: NodePath,
  label = '',
): Report[] {
  let list = errors.filter((e) => e.keyword !== 'if');
  // propertyNames: one message per bad name, on the key
  list = list.filter((e) => !(e.params as { propertyName?: string }).propertyName || e.keyword === 'propertyNames');

  // anyOf / oneOf, deepest first
  const combinators = list.filter(
    (e) =>
      e.keyword === 'anyOf' || (e.keyword === 'oneOf' && !(e.params as { passingSchemas?: unknown }).passingSchemas),
  );
  combinators.sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  const synthesized = new Map<ErrorObject, string>();
  for (const c of combinators) {
    if (!list.includes(c)) continue;
    const prefix = c.schemaPath + '/';
    const subs = list.filter(
      (e) => e !== c && e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(c.instancePath),
    );
    const branches = new Map<string, ErrorObject[]>();
    for (const e of subs) {
      const idx = e.schemaPath.slice(prefix.length).split('/')[0];
      branches.set(idx, [...(branches.get(idx) ?? []), e]);
    }
    const value = valueAt(data, instanceSegments(c.instancePath, data));
    const mismatched = (errs: ErrorObject[]) =>
      errs.some(
        (e) =>
          e.instancePath === c.instancePath &&
          (e.keyword === 'type' ||
            ((e.keyword === 'enum' || e.keyword === 'const') &&
              !(
                (e.params as { allowedValues?: unknown[]; allowedValue?: unknown }).allowedValues ?? [
                  (e.params as { allowedValue?: unknown }).allowedValue,
                ]
              ).some((a) => typeOf(a) === typeOf(value)))),
      );
    const viable = [...branches.entries()].filter(([, errs]) => !mismatched(errs));
    const drop = new Set<ErrorObject>([c, ...subs]);
    if (viable.length > 0) {
      viable.sort((a, b) => a[1].length - b[1].length);
      for (const e of viable[0][1]) drop.delete(e);
    } else {
      const alts = schemaNode(rootSchema, data, c);
      synthesized.set(
        c,
        `must be ${describeAlternatives(Array.isArray(alts) ? alts : [])}, not ${article(typeWord(typeOf(value)))}`,
      );
      drop.delete(c);
    }
    list = list.filter((e) => !drop.has(e));
  }

  const out: Report[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    const segs = instanceSegments(e.instancePath, data);
    const name = segs.length ? String(segs[segs.length - 1]) : '';
    const what = name && typeof segs[segs.length - 1] === 'string' ? `'${name}'` : 'the value';
    const value = valueAt(data, segs);
    let message: string;
    let at: NodePath = [...base, ...segs];
    let key = false;
    let suggestions: string[] | undefined;
    const params = e.params as Record<string, unknown>;
    if (synthesized.has(e)) {
      message = `${what} ${synthesized.get(e)}`;
    } else if (e.keyword === 'additionalProperties') {
      const prop = String(params.additionalProperty);
      const parent = schemaNode(rootSchema, data, e, e.schemaPath.replace(/\/additionalProperties$/, '')) as
        { properties?: Record<string, unknown> } | undefined;
      const allowed = Object.keys(parent?.properties ?? {});
      suggestions = closest(prop, allowed, 1);
      message = `unknown property '${prop}'${containerName(segs, label)}${didYouMean(suggestions)}`;
      at = [...at, prop];
      key = true;
    } else if (e.keyword === 'required') {
      message = `missing required property '${String(params.missingProperty)}'${containerName(segs, label)}`;
    } else if (e.keyword === 'enum') {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      message = `${show(value)} is not allowed for ${what}; expected one of: ${allowed.map(show).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `${what} must be ${show(params.allowedValue)}`;
    } else if (e.keyword === 'type') {
      const types = String(params.type)
        .split(',')
        .map((t) => article(typeWord(t)));
      message = `${what} must be ${types.join(' or ')}, not ${article(typeWord(typeOf(value)))}`;
    } else if (e.keyword === 'pattern') {
      const p = String(params.pattern);
      message = `${what} ${PATTERN_MESSAGES[p] ?? `must match ${p}`}`;
    } else if (e.keyword === 'propertyNames') {
      const prop = String(params.propertyName);
      message = `invalid name '${prop}': must be letters, digits and underscores, starting with a letter or underscore`;
      at = [...at, prop];
      key = true;
    } else if (e.keyword === 'oneOf') {
      const alts = schemaNode(rootSchema, data, e);
      const keys = Array.isArray(alts)
        ? alts.map((a) => (a as { required?: string[] }).required?.[0]).filter(Boolean)
        : [];
      message = keys.length
        ? `needs exactly one of ${keys.map((k) => `'${k}'`).join(' or ')}`
        : `${what} matches more than one allowed form`;
    } else {
      message = `${what} ${e.message ?? 'is invalid'}`;
    }
    if (label) message = `${label}: ${message}`;
    const dedupe = `${at.join('/')}|${message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({ code, message, path: at, key, ...(suggestions?.length ? { suggestions } : {}) });
  }
  return out;
}

function describeAlternatives(alts: unknown[]): string {
  const parts: string[] = [];
  for (const a of alts) {
    const s = a as { enum?: unknown[]; const?: unknown; type?: string | string[] };
    if (s.enum) parts.push(...s.enum.map(show));
    else if (s.const !== undefined) parts.push(show(s.const));
    else if (s.type) parts.push(...(Array.isArray(s.type) ? s.type : [s.type]).map((t) => article(typeWord(t))));
  }
  if (parts.length <= 1) return parts[0] ?? 'another form';
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** " in step", " in part", ... from where in the document the object is. */
function containerName(segs: NodePath, label: string): string {
  if (label) return '';
  if (segs.length === 0) return ' in runbook';
  const last = segs[segs.length - 1];
  const prev = segs[segs.length - 2];
  if (typeof last === 'number') {
    const names: Record<string, string> = { parts: 'part', steps: 'step', branch: 'branch case', choices: 'choice' };
    return ` in ${names[String(prev)] ?? 'item'}`;
  }
  if (prev === 'inputs' && segs.length === 2) return ` in input '${last}'`;
  return ` in ${last}`;
}
