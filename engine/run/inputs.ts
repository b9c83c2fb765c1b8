/**
 * Runbook inputs: command-line text coerced by declared type, templated defaults evaluated,
 * everything validated against the `inputs:` specs before the first step runs.
 */
import { Codes, IrunError } from '../errors.js';
import type { InputSpec, RunbookDoc } from '../model.js';
import { ajv, formatAjvErrors } from '../schema/ajv.js';
import { evaluate, hasTemplate } from '../template/index.js';

const IRUN_ONLY = new Set(['secret', 'required']);

/** The JSON Schema of one input spec (irun-only keys removed). */
export function inputSchema(spec: InputSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (!IRUN_ONLY.has(k) && k !== 'default' && k !== 'examples') out[k] = v;
  return out;
}

export function inputsSchema(doc: RunbookDoc): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
    properties[name] = inputSchema(spec);
    if (spec.required) required.push(name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** Coerce a command-line string to the declared type ("3" -> 3, "true" -> true, "a,b" -> [a,b]). */
export function coerceInput(name: string, spec: InputSpec | undefined, value: unknown): unknown {
  if (typeof value !== 'string' || !spec?.type) return value;
  const text = value.trim();
  const bad = (what: string) => new IrunError(Codes.INPUT_INVALID, `input '${name}': '${value}' is not ${what}`);
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw bad(`a ${spec.type}`);
      return n;
    }
    case 'boolean':
      if (/^(true|yes|1|on)$/i.test(text)) return true;
      if (/^(false|no|0|off)$/i.test(text)) return false;
      throw bad('a boolean (true/false)');
    case 'array':
      if (text.startsWith('[')) {
        try {
          return JSON.parse(text);
        } catch {
          throw bad('a JSON array');
        }
      }
      return text === '' ? [] : text.split(',').map((s) => s.trim());
    case 'object':
      try {
        return JSON.parse(text);
      } catch {
        throw bad('a JSON object');
      }
    default:
      return value;
  }
}

export async function resolveInputs(
  doc: RunbookDoc,
  raw: Record<string, unknown>,
  options: { now: () => Date; run: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  const specs = doc.inputs ?? {};
  const unknown = Object.keys(raw).filter((k) => !Object.hasOwn(specs, k));
  if (unknown.length) {
    throw new IrunError(
      Codes.INPUT_INVALID,
      `unknown input${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; this runbook declares: ${Object.keys(specs).join(', ') || '(none)'}`,
    );
  }
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) given[k] = coerceInput(k, specs[k], v);
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(specs)) values[name] = Object.hasOwn(given, name) ? given[name] : null;
  // Defaults: literal, or templated over the inputs given and `run`.
  for (const [name, spec] of Object.entries(specs)) {
    if (Object.hasOwn(given, name) || spec.default === undefined) continue;
    const d = spec.default;
    values[name] =
      typeof d === 'string' && hasTemplate(d)
        ? evaluate(d, { inputs: { ...values }, run: options.run }, { now: options.now })
        : d;
  }
  const present: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) present[k] = v;
  const validate = ajv().compile(inputsSchema(doc));
  if (!validate(present)) {
    throw new IrunError(
      Codes.INPUT_INVALID,
      `invalid inputs: ${formatAjvErrors(validate.errors)
        .replace(/(^|; )\//g, '$1input ')
        .replace(/\(root\): must have required property/g, 'missing required input')}`,
    );
  }
  return values;
}
