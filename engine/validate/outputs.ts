/**
 * Typed output paths: `steps.X.output.a.b` is checked against the output schema of X's action
 * (a forEach step's output is the list of its body's outputs), and `steps.X.outputs.name` against
 * the `outputs:` X declares. A path the schema cannot produce is an error with "did you mean" —
 * a typo there would otherwise be an empty value at run time.
 */
import { Codes } from '../errors.js';
import type { JsonSchema } from '../plugins/api.js';
import type { Step } from '../model.js';
import { closest } from '../util/similar.js';
import { didYouMean, isObject, type Rule } from './context.js';
import { templateRange, type TemplateSite } from './templates.js';

type Walk = { ok: true } | { ok: false; at: number; known: string[] };

const alternatives = (s: Record<string, unknown>): Record<string, unknown>[] =>
  (['anyOf', 'oneOf', 'allOf'] as const).flatMap((k) =>
    Array.isArray(s[k]) ? (s[k] as unknown[]).filter(isObject) : [],
  );

/** Follow `segs` through `schema`; stops (ok) where the schema does not say what is there. */
export function walkSchema(schema: unknown, segs: string[]): Walk {
  let cur: unknown = schema;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (!isObject(cur) || cur.$ref !== undefined) return { ok: true };
    const alts = alternatives(cur);
    if (alts.length) {
      const tries = alts.map((a) =>
        walkSchema({ ...(cur as object), anyOf: undefined, oneOf: undefined, allOf: undefined, ...a }, segs.slice(i)),
      );
      if (tries.some((t) => t.ok)) return { ok: true };
      const known = [...new Set(tries.flatMap((t) => (t.ok ? [] : t.known)))];
      const at = Math.max(...tries.map((t) => (t.ok ? 0 : t.at)));
      return { ok: false, at: i + at, known };
    }
    const type = cur.type;
    const isArray = type === 'array' || (Array.isArray(type) && type.includes('array')) || cur.items !== undefined;
    const isObj = type === 'object' || (Array.isArray(type) && type.includes('object')) || cur.properties !== undefined;
    if (isArray && /^\[?\d+\]?$/.test(seg)) {
      cur = cur.items;
      continue;
    }
    if (isArray && seg === 'length') return { ok: true };
    if (isObj) {
      const props = isObject(cur.properties) ? cur.properties : {};
      if (Object.hasOwn(props, seg)) {
        cur = props[seg];
        continue;
      }
      if (isObject(cur.additionalProperties)) {
        cur = cur.additionalProperties;
        continue;
      }
      if (cur.additionalProperties === true || cur.patternProperties !== undefined) return { ok: true };
      if (!cur.properties) return { ok: true }; // an object of unknown shape
      return { ok: false, at: i, known: Object.keys(props) };
    }
    if (isArray) return { ok: false, at: i, known: ['length', '<index>'] };
    if (type === undefined) return { ok: true };
    return { ok: false, at: i, known: [] };
  }
  return { ok: true };
}

/** The rule: `outputSchemas` holds the output schema of each action step's action, by step id. */
export function outputPathsRule(sites: TemplateSite[], outputSchemas: Map<string, JsonSchema>): Rule {
  return (ctx) => {
    for (const site of sites) {
      for (const ref of site.analysis.refs) {
        const [root, id, field, ...rest] = ref.path;
        if (root !== 'steps' || id === undefined || !ctx.stepById.has(id)) continue;
        const target = ctx.stepById.get(id)!.step as Step;
        const dotted = ref.path.join('.');
        const report = (message: string, known: string[], word: string) => {
          const suggestions = closest(word, known, 2);
          ctx.report({
            code: Codes.OUTPUT_PATH,
            message: `${message}${didYouMean(suggestions)}`,
            path: site.path,
            range: templateRange(ctx.loaded, site.path, site.text, ref.line, ref.column, dotted.length),
            suggestions,
          });
        };
        if (field === 'outputs' && rest.length && isObject(target.outputs)) {
          const names = Object.keys(target.outputs);
          if (!names.includes(rest[0]))
            report(`step '${id}' publishes no output '${rest[0]}' (its outputs: ${names.join(', ')})`, names, rest[0]);
          continue;
        }
        if (field !== 'output' || !rest.length) continue;
        const base = outputSchemas.get(id);
        if (!base) continue;
        const schema = target.forEach !== undefined ? { type: 'array', items: base } : base;
        const walked = walkSchema(schema, rest);
        if (walked.ok) continue;
        const word = rest[walked.at];
        const where = ['steps', id, 'output', ...rest.slice(0, walked.at)].join('.');
        report(
          `'${dotted}': the output of step '${id}' (${target.action}) has no '${word}' at ${where}${walked.known.length ? ` (it has ${walked.known.join(', ')})` : ''}`,
          walked.known,
          word,
        );
      }
    }
  };
}
