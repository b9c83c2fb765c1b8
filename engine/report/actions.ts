/**
 * What the authoring commands need to know about actions: which ones a runbook uses, and a
 * readable view of an action (effect, permissions, input/output schema as rows) for
 * `irun actions`, `irun docs`, `irun graph` and `irun permissions`. Pure data in, data out;
 * the registry is only read.
 */
import type { RunbookDoc, Step } from '../model.js';
import type { Effect, JsonSchema } from '../plugins/api.js';
import type { RegisteredAction, Registry } from '../plugins/registry.js';
import { buildFlowGraph } from '../validate/flow.js';

/** The parts of an action definition that describe it (no functions). */
export interface ActionInfo {
  id: string;
  namespace: string;
  name: string;
  title?: string;
  description: string;
  docsUrl?: string;
  effect: Effect;
  permissions: string[];
  input: JsonSchema;
  output: JsonSchema;
  example?: unknown;
  /** Whether `irun undo` can revert it. */
  undo: boolean;
  origin: string;
}

export function actionInfo(a: RegisteredAction): ActionInfo {
  const d = a.def;
  return {
    id: a.id,
    namespace: a.namespace,
    name: a.name,
    ...(d.title ? { title: d.title } : {}),
    description: d.description,
    ...(d.docsUrl ? { docsUrl: d.docsUrl } : {}),
    effect: d.effect,
    permissions: [...d.permissions],
    input: d.input,
    output: d.output,
    ...(d.example !== undefined ? { example: d.example } : {}),
    undo: typeof d.undo === 'function',
    origin: a.origin,
  };
}

/** A step that runs an action (an `action:` step, or a forEach whose body is an action). */
export interface ActionUse {
  stepId: string;
  partId: string;
  action: string;
  step: Step;
}

const steps = (doc: RunbookDoc): { step: Step; partId: string }[] =>
  (Array.isArray(doc.parts) ? doc.parts : []).flatMap((p) =>
    (Array.isArray(p?.steps) ? p.steps : [])
      .filter((s) => s && typeof s === 'object')
      .map((step) => ({ step, partId: String(p.id) })),
  );

/**
 * Every step that runs an action, in document order. With `reachableOnly`, steps the flow can
 * never reach from the first step are left out (the validator warns about them).
 */
export function actionUses(doc: RunbookDoc, options: { reachableOnly?: boolean } = {}): ActionUse[] {
  let reachable: Set<string> | undefined;
  if (options.reachableOnly) {
    const g = buildFlowGraph(doc);
    reachable = g.reachable(g.entry ? [g.entry] : []);
  }
  return steps(doc)
    .filter(({ step }) => typeof step.action === 'string' && (!reachable || reachable.has(step.id)))
    .map(({ step, partId }) => ({ stepId: step.id, partId, action: step.action as string, step }));
}

/**
 * Look up the actions a runbook uses. Unknown actions (or packs that fail to load) are absent
 * from the map; callers show them as unknown rather than failing (validate reports them).
 */
export async function actionsOf(doc: RunbookDoc, registry: Registry): Promise<Map<string, ActionInfo>> {
  const out = new Map<string, ActionInfo>();
  for (const use of actionUses(doc)) {
    if (out.has(use.action)) continue;
    try {
      const a = await registry.get(use.action);
      if (a) out.set(use.action, actionInfo(a));
    } catch {
      // an unloadable pack: the action stays unknown here
    }
  }
  return out;
}

/** One property of an object schema, for a table. */
export interface SchemaRow {
  /** Dotted path: "tags", "tags[].key". */
  property: string;
  type: string;
  required: boolean;
  description: string;
}

const asObj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** A short type expression for a schema: "string", "integer ≥ 1", "'a' | 'b'", "string[]", "object". */
export function schemaType(schema: unknown): string {
  const s = asObj(schema);
  if (!s) return schema === true || schema === undefined ? 'any' : 'never';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k])) {
      const alts = [...new Set((s[k] as unknown[]).map(schemaType))];
      const base = typeof s.type === 'string' ? `${s.type}: ` : '';
      return base + alts.join(' | ');
    }
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  const one = (t: string): string => {
    if (t === 'array') {
      const item = s.items === undefined ? 'any' : schemaType(s.items);
      return /[ |]/.test(item) ? `(${item})[]` : `${item}[]`;
    }
    return t;
  };
  let text = types.length ? types.map(one).join(' | ') : s.properties ? 'object' : s.items ? one('array') : 'any';
  const bounds: string[] = [];
  if (typeof s.minimum === 'number') bounds.push(`≥ ${s.minimum}`);
  if (typeof s.maximum === 'number') bounds.push(`≤ ${s.maximum}`);
  if (typeof s.minLength === 'number' && s.minLength > 0) bounds.push(`min length ${s.minLength}`);
  if (typeof s.maxLength === 'number') bounds.push(`max length ${s.maxLength}`);
  if (typeof s.minItems === 'number' && s.minItems > 0) bounds.push(`min ${s.minItems} items`);
  if (typeof s.maxItems === 'number') bounds.push(`max ${s.maxItems} items`);
  if (typeof s.format === 'string') bounds.push(s.format);
  if (bounds.length) text += ` (${bounds.join(', ')})`;
  return text;
}

/**
 * The properties of an object schema as rows, nested objects and arrays of objects flattened
 * with dotted paths (two levels deep is plenty for a terminal).
 */
export function schemaRows(schema: unknown, depth = 2, prefix = ''): SchemaRow[] {
  const s = asObj(schema);
  if (!s) return [];
  const props = asObj(s.properties) ?? {};
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const rows: SchemaRow[] = [];
  for (const [name, sub] of Object.entries(props)) {
    const p = asObj(sub) ?? {};
    const property = prefix + name;
    rows.push({
      property,
      type: schemaType(sub),
      required: required.has(name),
      description: [
        typeof p.description === 'string' ? p.description : typeof p.title === 'string' ? p.title : '',
        p.default !== undefined ? `Default: ${JSON.stringify(p.default)}.` : '',
      ]
        .filter(Boolean)
        .join(' '),
    });
    if (depth > 1) {
      if (asObj(p.properties)) rows.push(...schemaRows(p, depth - 1, `${property}.`));
      else if (asObj(asObj(p.items)?.properties)) rows.push(...schemaRows(p.items, depth - 1, `${property}[].`));
    }
  }
  return rows;
}
