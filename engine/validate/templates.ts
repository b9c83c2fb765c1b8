/**
 * Template rules: every templated string of the runbook is parsed (syntax), its helpers checked,
 * its references resolved against inputs / vars / steps / parts / run (and item / the `as:` name /
 * result where they exist), step outputs checked against the flow graph, and comparisons of an
 * `ask` answer to a literal checked against the choices.
 */
import { isScalar, Scalar } from 'yaml';
import { Codes } from '../errors.js';
import type { Loaded } from '../load/index.js';
import type { NodePath, SourceRange, Step } from '../model.js';
import { closest } from '../util/similar.js';
import { analyze, HELPER_NAMES, hasTemplate, type TemplateAnalysis } from '../template/index.js';
import { tryParse } from '../template/parse.js';
import { didYouMean, isObject, type Rule, type RuleContext, type StepInfo } from './context.js';

/** One templated string in the document. */
export interface TemplateSite {
  text: string;
  path: NodePath;
  /** The step the string belongs to, if any. */
  step?: StepInfo;
  /** The step field it sits under ('with', 'if', 'outputs', ...). */
  field?: string;
  analysis: TemplateAnalysis;
}

const STEP_FIELDS = ['output', 'outputs', 'status', 'error', 'visits'];
const PART_FIELDS = ['status', 'visits'];
const RUN_FIELDS = ['id', 'actor', 'dryRun', 'simulated', 'startedAt'];
const ROOTS = ['inputs', 'vars', 'steps', 'parts', 'run'];

/** Subtrees that hold data for other tools (regular expressions, JSON Schemas), not templates. */
function skipped(path: NodePath): boolean {
  if (path[0] === 'inputs' && path.length >= 3 && ['pattern', 'enum', 'examples', 'items'].includes(String(path[2])))
    return true;
  const i = path.indexOf('ask');
  if (i >= 0 && path[i + 1] === 'schema') return true;
  return false;
}

/** Every templated string in the document, analysed once. */
export function collectTemplates(ctx: RuleContext): TemplateSite[] {
  const sites: TemplateSite[] = [];
  const stepAt = new Map<string, StepInfo>(ctx.steps.map((s) => [`${s.partIndex}/${s.stepIndex}`, s]));
  const visit = (value: unknown, path: NodePath) => {
    if (skipped(path)) return;
    if (typeof value === 'string') {
      if (!hasTemplate(value)) return;
      let step: StepInfo | undefined;
      let field: string | undefined;
      if (path[0] === 'parts' && path[2] === 'steps' && typeof path[3] === 'number') {
        step = stepAt.get(`${String(path[1])}/${path[3]}`);
        field = path.length > 4 ? String(path[4]) : undefined;
      }
      sites.push({ text: value, path, step, field, analysis: analyze(value) });
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  visit(ctx.doc, []);
  return sites;
}

/**
 * Map a position inside a template (1-based line/column of the string's value) to the file.
 * The value is aligned with the scalar's source, so plain, quoted, literal and folded scalars
 * map exactly as long as nothing was escaped; otherwise the diagnostic points at the scalar.
 */
export function templateRange(
  loaded: Loaded,
  path: NodePath,
  value: string,
  line: number,
  column: number,
  length = 1,
): SourceRange {
  const node = loaded.nodeAt(path);
  const whole = loaded.locate(path);
  const fallback = {
    ...whole,
    endLine: whole.line,
    endColumn: whole.line === whole.endLine ? whole.endColumn : whole.column + 1,
  };
  if (!isScalar(node) || !node.range) return fallback;
  const [start, end] = node.range;
  const src = loaded.text.slice(start, end);
  const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
  let from = 0;
  let indent = Infinity;
  if (block) {
    from = src.indexOf('\n') + 1;
    if (from === 0) return fallback;
    const first = /^[ ]*(?=\S)/m.exec(src.slice(from));
    indent = first ? first[0].length : 0;
  } else if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) from = 1;
  const lines = value.split('\n');
  let target = column - 1;
  for (let i = 0; i < line - 1 && i < lines.length; i++) target += lines[i].length + 1;
  const at = align(src, from, value, target, indent);
  if (at === undefined) return fallback;
  const lineEnd = src.indexOf('\n', at);
  const stop = Math.min(at + Math.max(1, length), lineEnd < 0 ? src.length : lineEnd);
  return loaded.rangeOf(start + at, start + Math.max(stop, at + 1));
}

/**
 * Walk the value and its source side by side up to value index `target`; returns the source
 * index. Line breaks and indentation that YAML folded away are skipped; anything else that
 * differs (an escape sequence) gives up.
 */
function align(src: string, from: number, value: string, target: number, indent: number): number | undefined {
  const skipIndent = (i: number) => {
    let n = 0;
    while (i < src.length && src[i] === ' ' && n < indent) {
      i++;
      n++;
    }
    return i;
  };
  let i = block(indent) ? skipIndent(from) : from;
  for (let v = 0; v < target; v++) {
    const c = value[v];
    if (i >= src.length) return undefined;
    if (src[i] === c) {
      i++;
      if (c === '\n') i = skipIndent(i);
      continue;
    }
    if ((c === ' ' || c === '\n') && /[ \t\r\n]/.test(src[i])) {
      // a folded line break: the newline and the next line's indentation became one space
      while (i < src.length && /[\t\r\n]/.test(src[i])) i++;
      i = skipIndent(i);
      while (indent === Infinity && i < src.length && /[ \t]/.test(src[i])) i++;
      continue;
    }
    return undefined;
  }
  return i;
}

const block = (indent: number) => indent !== Infinity;

/** Template syntax and helper names. */
export function templateSyntaxRule(sites: TemplateSite[]): Rule {
  const known = new Set(HELPER_NAMES);
  return (ctx) => {
    for (const site of sites) {
      const a = site.analysis;
      if (!a.ok && a.error) {
        ctx.report({
          code: Codes.TEMPLATE_SYNTAX,
          message: a.error.message,
          path: site.path,
          range: templateRange(ctx.loaded, site.path, site.text, a.error.line, a.error.column),
        });
        continue;
      }
      for (const h of a.helpers) {
        if (known.has(h.name)) continue;
        const suggestions = closest(h.name, [...known], 2);
        ctx.report({
          code: Codes.UNKNOWN_HELPER,
          message: `unknown helper '${h.name}'${didYouMean(suggestions)}`,
          path: site.path,
          range: templateRange(ctx.loaded, site.path, site.text, h.line, h.column, h.name.length),
          suggestions,
        });
      }
    }
  };
}

/** Names a template may read; references to anything else are errors. */
export function declaredVars(ctx: RuleContext): Set<string> {
  const vars = new Set<string>(isObject(ctx.doc.vars) ? Object.keys(ctx.doc.vars) : []);
  for (const { step } of ctx.steps) if (isObject(step.set)) for (const k of Object.keys(step.set)) vars.add(k);
  return vars;
}

/** References to unknown inputs / vars / steps / parts / run fields, and item / result out of place. */
export function referencesRule(sites: TemplateSite[]): Rule {
  return (ctx) => {
    const inputs = isObject(ctx.doc.inputs) ? Object.keys(ctx.doc.inputs) : [];
    const vars = [...declaredVars(ctx)];
    const stepIds = [...ctx.stepById.keys()];
    const partIds = [...ctx.partById.keys()];
    const reachableFromEntry = ctx.graph.entry ? ctx.graph.reachable([ctx.graph.entry]) : new Set<string>();
    const downstream = new Map<string, Set<string>>();
    const after = (id: string) => {
      let set = downstream.get(id);
      if (!set) {
        set = ctx.graph.reachable(ctx.graph.successors(id).map((e) => e.to));
        downstream.set(id, set);
      }
      return set;
    };

    for (const site of sites) {
      const step = site.step?.step as Step | undefined;
      const inForEach = step?.forEach !== undefined && site.field !== 'forEach' && site.field !== 'concurrency';
      const itemName = inForEach ? (typeof step?.as === 'string' ? step.as : 'item') : undefined;
      // A part that a forEach runs per item (forEach + call) sees `item`, the `as:` name and `index`.
      const perItem = new Set<string>();
      for (const s of ctx.steps) {
        if (s.step.forEach !== undefined && typeof s.step.call === 'string' && s.step.call === site.step?.partId) {
          perItem.add('item').add('index');
          if (typeof s.step.as === 'string') perItem.add(s.step.as);
        }
      }
      const inOutputs = site.field === 'outputs';
      for (const ref of site.analysis.refs) {
        const [root, name, field] = ref.path;
        const dotted = ref.path.join('.');
        const range = templateRange(ctx.loaded, site.path, site.text, ref.line, ref.column, dotted.length);
        const bad = (message: string, candidates: string[] = [], word = '') => {
          const suggestions = word ? closest(word, candidates, 2) : [];
          ctx.report({
            code: Codes.UNKNOWN_REFERENCE,
            message: `${message}${didYouMean(suggestions)}`,
            path: site.path,
            range,
            suggestions,
          });
        };
        if (root === itemName || perItem.has(root) || (root === 'result' && inOutputs)) continue;
        switch (root) {
          case 'inputs':
            if (name !== undefined && !inputs.includes(name))
              bad(`unknown input '${name}' in '${dotted}'`, inputs, name);
            break;
          case 'vars':
            if (name !== undefined && !vars.includes(name))
              bad(
                `unknown variable '${name}' in '${dotted}' (declare it under vars: or assign it with set:)`,
                vars,
                name,
              );
            break;
          case 'parts':
            if (name === undefined) break;
            if (!ctx.partById.has(name)) bad(`unknown part '${name}' in '${dotted}'`, partIds, name);
            else if (field !== undefined && !PART_FIELDS.includes(field))
              bad(`a part has no field '${field}' (it has ${PART_FIELDS.join(', ')})`, PART_FIELDS, field);
            break;
          case 'run':
            if (name !== undefined && !RUN_FIELDS.includes(name))
              bad(`unknown run field '${name}' (run has ${RUN_FIELDS.join(', ')})`, RUN_FIELDS, name);
            break;
          case 'steps': {
            if (name === undefined) break;
            if (!ctx.stepById.has(name)) {
              bad(
                `unknown step '${name}' in '${dotted}'${ctx.partById.has(name) ? ` ('${name}' is a part: use parts.${name})` : ''}`,
                stepIds,
                name,
              );
              break;
            }
            if (field !== undefined && !STEP_FIELDS.includes(field)) {
              bad(`a step has no field '${field}' (it has ${STEP_FIELDS.join(', ')})`, STEP_FIELDS, field);
              break;
            }
            // A step's output read where that step cannot have run yet.
            const here = site.step?.id;
            if (!here || !site.step || ctx.stepById.get(here) !== site.step) break;
            if (field !== undefined && !['output', 'outputs', 'error'].includes(field)) break;
            if (name === here && inOutputs) break;
            if (!reachableFromEntry.has(here)) break; // reported as unreachable
            if (!after(name).has(here)) {
              ctx.report({
                code: Codes.REF_BEFORE_RUN,
                severity: 'warning',
                message: `'${dotted}' is read in step '${here}', but step '${name}' cannot have run before it (no path leads from '${name}' to '${here}'); the value will be null`,
                path: site.path,
                range,
              });
            }
            break;
          }
          default: {
            const roots = [...ROOTS, ...(itemName ? [itemName] : []), ...(inOutputs ? ['result'] : [])];
            let why = '';
            if (root === 'item' || (step?.forEach === undefined && ctx.steps.some((s) => s.step.as === root)))
              why = ` ('${root}' exists only inside a forEach step's body)`;
            else if (root === 'result') why = " ('result' exists only in a step's outputs:)";
            bad(`unknown name '${root}' in '${dotted}'${why}; templates read ${roots.join(', ')}`, roots, root);
          }
        }
      }
    }
  };
}

interface HbsNode {
  type: string;
  loc?: { start: { line: number; column: number }; end: { line: number; column: number } };
  [k: string]: unknown;
}

/** `eq|ne|includes steps.<id>.output "literal"` comparisons in a template, with the literal's position. */
function comparisons(text: string): { step: string; literal: string; line: number; column: number; helper: string }[] {
  // The parse cache of the template module: every template was parsed already by the analysis.
  const parsed = tryParse(text);
  if (!('program' in parsed)) return [];
  const ast = parsed.program as unknown as HbsNode;
  const out: { step: string; literal: string; line: number; column: number; helper: string }[] = [];
  const outputOf = (n: HbsNode): string | undefined => {
    if (n.type !== 'PathExpression' || (n.depth as number) !== 0 || n.data) return undefined;
    const parts = n.parts as string[];
    return parts.length === 3 && parts[0] === 'steps' && parts[2] === 'output' ? parts[1] : undefined;
  };
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const node = n as HbsNode;
    if (
      (node.type === 'SubExpression' || node.type === 'MustacheStatement' || node.type === 'BlockStatement') &&
      isObject(node.path)
    ) {
      const helper = (node.path as HbsNode).original as string;
      const params = (node.params as HbsNode[]) ?? [];
      if (['eq', 'ne', 'includes'].includes(helper) && params.length === 2) {
        const orders =
          helper === 'includes'
            ? [[params[0], params[1]]]
            : [
                [params[0], params[1]],
                [params[1], params[0]],
              ];
        for (const [a, b] of orders) {
          const step = outputOf(a);
          if (step && b.type === 'StringLiteral' && b.loc) {
            out.push({
              step,
              literal: b.value as string,
              line: b.loc.start.line,
              column: b.loc.start.column + 1,
              helper,
            });
          }
        }
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && v && typeof v === 'object') walk(v);
  };
  walk(ast);
  return out;
}

/** A condition compares an `ask` answer with a literal that is not one of its choices (warning). */
export function choiceMismatchRule(sites: TemplateSite[]): Rule {
  return (ctx) => {
    const choices = new Map<string, string[]>();
    for (const info of ctx.steps) {
      const ask = isObject(info.step.manual) && isObject(info.step.manual.ask) ? info.step.manual.ask : undefined;
      if (!ask || !['select', 'multiselect'].includes(String(ask.type)) || !Array.isArray(ask.choices) || !info.id)
        continue;
      const values = ask.choices
        .map((c) => (typeof c === 'string' ? c : isObject(c) ? String(c.value) : undefined))
        .filter((v): v is string => v !== undefined);
      if (ctx.stepById.get(info.id) === info) choices.set(info.id, values);
    }
    if (choices.size === 0) return;
    for (const site of sites) {
      if (!site.analysis.ok) continue;
      for (const c of comparisons(site.text)) {
        const allowed = choices.get(c.step);
        if (!allowed || allowed.includes(c.literal)) continue;
        const suggestions = closest(c.literal, allowed, 1);
        ctx.report({
          code: Codes.CHOICE_MISMATCH,
          severity: 'warning',
          message: `'${c.literal}' is not one of the choices of step '${c.step}' (${allowed.join(', ')}), so this comparison never matches${didYouMean(suggestions)}`,
          path: site.path,
          range: templateRange(ctx.loaded, site.path, site.text, c.line, c.column, c.literal.length + 2),
          suggestions,
        });
      }
    }
  };
}
