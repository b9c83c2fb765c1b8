/**
 * Generic stand-ins for the outside world of a run: a Simulator that answers any action with a
 * minimal output valid against the action's own output schema (or, at random, an AWS error), and
 * a Human that answers any manual step with a value of the asked type and approves every change.
 */
import type { Step } from '../../engine/model.js';
import type { JsonSchema } from '../../engine/plugins/api.js';
import type { Registry } from '../../engine/plugins/registry.js';
import type { Simulator } from '../../engine/run/executor.js';
import type { AnswerResult, ApprovalRequest, ApprovalResult, Human, ManualPrompt } from '../../engine/run/human.js';

/** A small deterministic PRNG (mulberry32), so a fast-check seed reproduces a whole run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings for `format`s that the packs' schemas use. */
const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2024-05-07T12:00:00.000Z',
  date: '2024-05-07',
  time: '12:00:00Z',
  uri: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  email: 'a@example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '00000000-0000-4000-8000-000000000000',
  regex: '.*',
  duration: 'P1D',
};

/**
 * The smallest value valid against a JSON schema (the subset the packs use: type, enum, const,
 * required properties, minItems, minimum, minLength, format, anyOf/oneOf/allOf, $ref to $defs).
 * `fill` is the string used where any string will do.
 */
export function minimalValue(
  schema: JsonSchema | boolean | undefined,
  root: JsonSchema = (schema as JsonSchema) ?? {},
  fill = 'x',
  depth = 0,
): unknown {
  if (schema === undefined || schema === true || depth > 40) return null;
  if (schema === false) return null;
  const s = schema;
  if (typeof s.$ref === 'string') {
    const target = resolveRef(root, s.$ref);
    return minimalValue(target, root, fill, depth + 1);
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const anyOf = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length) {
    const base = { ...s };
    delete base.anyOf;
    delete base.oneOf;
    // A branch that adds only `required` is about the base object's properties.
    const merged: JsonSchema = {
      ...base,
      ...anyOf[0],
      required: [...((base.required as string[]) ?? []), ...((anyOf[0].required as string[]) ?? [])],
    };
    if (!merged.type && !merged.properties && !merged.$ref && !merged.enum && !('const' in merged))
      return minimalValue(base, root, fill, depth + 1);
    return minimalValue(merged, root, fill, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    const merged: JsonSchema = { ...s };
    delete merged.allOf;
    for (const part of s.allOf as JsonSchema[])
      Object.assign(merged, part, {
        properties: { ...(merged.properties as object), ...((part.properties as object) ?? {}) },
      });
    return minimalValue(merged, root, fill, depth + 1);
  }
  let type = s.type as string | string[] | undefined;
  if (Array.isArray(type)) type = type.includes('null') ? 'null' : type[0];
  if (!type) type = s.properties || s.required ? 'object' : s.items ? 'array' : undefined;
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'integer':
    case 'number': {
      const min =
        typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 0;
      return type === 'integer' ? Math.ceil(min) : min;
    }
    case 'string': {
      if (typeof s.format === 'string' && FORMAT_SAMPLES[s.format]) return FORMAT_SAMPLES[s.format];
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      return fill.repeat(Math.max(1, min));
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => minimalValue(s.items as JsonSchema, root, fill, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      for (const key of (s.required as string[]) ?? [])
        out[key] = minimalValue(props[key] ?? (s.additionalProperties as JsonSchema) ?? {}, root, fill, depth + 1);
      return out;
    }
    default:
      return null;
  }
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const seg of ref.slice(1).split('/').filter(Boolean))
    node = (node as Record<string, unknown> | undefined)?.[
      decodeURIComponent(seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    ];
  return node as JsonSchema | undefined;
}

/** AWS error names a real account answers with. */
const AWS_ERRORS = [
  'AccessDenied',
  'ThrottlingException',
  'NoSuchBucket',
  'InternalError',
  'ServiceUnavailable',
  'ExpiredToken',
];

/**
 * Answers every action with the minimal valid output of its schema, or (share `errorRate`) fails
 * like AWS does: an SDK-shaped error (name, $metadata), which the engine must turn into an
 * IRUN_* code.
 */
export class GenericSimulator implements Simulator {
  readonly calls: { step: string; action: string }[] = [];
  constructor(
    private readonly registry: Registry,
    private readonly random: () => number,
    private readonly errorRate = 0.15,
  ) {}

  async call(req: { step: Step; action: string; input: unknown }): Promise<unknown> {
    this.calls.push({ step: req.step.id, action: req.action });
    if (this.random() < this.errorRate) {
      const name = AWS_ERRORS[Math.floor(this.random() * AWS_ERRORS.length)];
      throw Object.assign(new Error(`${name}: simulated`), {
        name,
        $fault: 'client',
        $metadata: { httpStatusCode: 403, requestId: 'sim-req' },
      });
    }
    const reg = await this.registry.require(req.action);
    return minimalValue(reg.def.output);
  }
}

/**
 * Answers any manual step with a value of the asked type (a random valid choice), approves or
 * declines changes at random, and now and then gives no answer (the run then waits).
 */
export class GenericHuman implements Human {
  constructor(
    private readonly random: () => number,
    private readonly silence = 0.05,
  ) {}

  async answer(p: ManualPrompt): Promise<AnswerResult | undefined> {
    if (this.random() < this.silence) return undefined;
    return { value: answerFor(p.step, this.random), actor: 'fuzzer', source: 'answers-file' };
  }

  async approve(_r: ApprovalRequest): Promise<ApprovalResult | undefined> {
    const r = this.random();
    if (r < this.silence) return undefined;
    return { approved: r > 0.1, actor: 'fuzzer', source: 'yes' };
  }
}

/** A valid answer for a manual step's `ask` (choices picked with `random`). */
export function answerFor(step: Step, random: () => number = Math.random): unknown {
  const ask = step.manual?.ask;
  if (!ask) return true;
  const choices = (ask.choices ?? []).map((c) => (typeof c === 'string' ? c : c.value));
  const pick = () => choices[Math.floor(random() * choices.length)];
  switch (ask.type) {
    case 'confirm':
      return random() < 0.5;
    case 'number':
      return Math.floor(random() * 10);
    case 'select':
      return choices.length ? pick() : 'x';
    case 'multiselect':
      return choices.length ? [...new Set([pick(), pick()])] : [];
    default:
      return 'fuzz answer';
  }
}
