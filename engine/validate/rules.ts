/**
 * Semantic rules: each a small function that inspects the context and reports diagnostics.
 * Rules tolerate documents that failed the schema (they skip what has the wrong shape).
 */
import { Codes } from '../errors.js';
import { STEP_KINDS, type NodePath, type Step } from '../model.js';
import { closest } from '../util/similar.js';
import { didYouMean, isObject, type Rule, type RuleContext, type StepInfo } from './context.js';
import { cycles } from './flow.js';

const KIND_LIST = STEP_KINDS.join(' | ');

/** A step needs exactly one kind; the kind-only keys need their kind. */
export const stepKindRule: Rule = (ctx) => {
  for (const info of ctx.steps) {
    const s = info.step as unknown as Record<string, unknown>;
    const name = info.id ? `step '${info.id}'` : 'this step';
    const present = STEP_KINDS.filter((k) => s[k] !== undefined);
    const where = (k: string): NodePath => [...info.path, k];
    const idOrStep = s.id !== undefined ? { path: where('id'), key: true } : { path: info.path, key: false };
    if (present.length === 0) {
      ctx.report({
        code: Codes.SCHEMA,
        message: `${name} has no kind: a step needs exactly one of ${KIND_LIST}`,
        ...idOrStep,
      });
      continue;
    }
    if (s.forEach !== undefined) {
      const others = present.filter((k) => k !== 'forEach' && k !== 'action' && k !== 'call');
      for (const k of others) {
        ctx.report({
          code: Codes.SCHEMA,
          message: `${name}: a forEach body is an 'action' (with 'with') or a 'call', not '${k}'`,
          path: where(k),
          key: true,
        });
      }
      if (s.action !== undefined && s.call !== undefined) {
        ctx.report({
          code: Codes.SCHEMA,
          message: `${name}: a forEach body is either an 'action' or a 'call', not both`,
          path: where('call'),
          key: true,
        });
      } else if (s.action === undefined && s.call === undefined && others.length === 0) {
        ctx.report({
          code: Codes.SCHEMA,
          message: `${name}: forEach needs a body: 'action' (with 'with') or 'call'`,
          path: where('forEach'),
          key: true,
        });
      }
    } else if (present.length > 1) {
      ctx.report({
        code: Codes.SCHEMA,
        message: `${name} has ${present.map((k) => `'${k}'`).join(' and ')}: a step needs exactly one of ${KIND_LIST}`,
        path: where(present[1]),
        key: true,
      });
    }
    const needs: [string, string, string][] = [
      ['with', 'action', "'with' is only allowed on an 'action' step"],
      ['as', 'forEach', "'as' is only allowed on a 'forEach' step"],
      ['concurrency', 'forEach', "'concurrency' is only allowed on a 'forEach' step"],
      ['default', 'branch', "'default' is only allowed on a 'branch' step"],
    ];
    for (const [k, kind, msg] of needs) {
      if (s[k] !== undefined && s[kind] === undefined)
        ctx.report({ code: Codes.SCHEMA, message: `${name}: ${msg}`, path: where(k), key: true });
    }
  }
};

/** Ids are unique across the runbook: steps and parts share one namespace (goto targets). */
export const uniqueIdsRule: Rule = (ctx) => {
  const seen = new Map<string, { what: string; path: NodePath }>();
  const items: { id: string; what: string; path: NodePath }[] = [];
  for (const p of ctx.parts) if (p.id !== undefined) items.push({ id: p.id, what: 'part', path: [...p.path, 'id'] });
  for (const s of ctx.steps) if (s.id !== undefined) items.push({ id: s.id, what: 'step', path: [...s.path, 'id'] });
  // document order, so the later occurrence is the one reported
  items.sort(
    (a, b) =>
      ctx.loaded.locate(a.path).line - ctx.loaded.locate(b.path).line ||
      ctx.loaded.locate(a.path).column - ctx.loaded.locate(b.path).column,
  );
  for (const it of items) {
    const first = seen.get(it.id);
    if (first) {
      const at = ctx.loaded.locate(first.path);
      ctx.report({
        code: Codes.DUPLICATE_ID,
        message: `duplicate id '${it.id}': already used by the ${first.what} at line ${at.line} (steps and parts share one namespace)`,
        path: it.path,
      });
    } else seen.set(it.id, it);
  }
};

/** goto / next / default / onError.goto / branch targets name a step or part; call targets name a part. */
export const targetsRule: Rule = (ctx) => {
  const allIds = [...ctx.stepById.keys(), ...ctx.partById.keys()];
  const partIds = [...ctx.partById.keys()];
  const jump = (value: unknown, path: NodePath, field: string) => {
    if (typeof value !== 'string') return;
    if (ctx.stepById.has(value) || ctx.partById.has(value)) return;
    const suggestions = closest(value, allIds, 2);
    ctx.report({
      code: Codes.UNKNOWN_TARGET,
      message: `${field} target '${value}' is not a step or part id${didYouMean(suggestions)}`,
      path,
      suggestions,
    });
  };
  const call = (value: unknown, path: NodePath) => {
    if (typeof value !== 'string') return;
    if (ctx.partById.has(value)) return;
    if (ctx.stepById.has(value)) {
      ctx.report({
        code: Codes.UNKNOWN_TARGET,
        message: `call target '${value}' is a step; call runs a part (use goto to jump to a step)`,
        path,
      });
      return;
    }
    const suggestions = closest(value, partIds, 2);
    ctx.report({
      code: Codes.UNKNOWN_TARGET,
      message: `call target '${value}' is not a part id${didYouMean(suggestions)}`,
      path,
      suggestions,
    });
  };
  for (const info of ctx.steps) {
    const s = info.step;
    jump(s.goto, [...info.path, 'goto'], 'goto');
    jump(s.next, [...info.path, 'next'], 'next');
    if (s.branch !== undefined) jump(s.default, [...info.path, 'default'], 'default');
    if (isObject(s.onError)) jump(s.onError.goto, [...info.path, 'onError', 'goto'], 'onError.goto');
    call(s.call, [...info.path, 'call']);
    if (Array.isArray(s.branch)) {
      s.branch.forEach((c, i) => {
        if (!isObject(c)) return;
        jump(c.goto, [...info.path, 'branch', i, 'goto'], 'branch goto');
        call(c.call, [...info.path, 'branch', i, 'call']);
      });
    }
  }
};

/** Steps no path reaches from the first step (warning; one per unreachable stretch). */
export const unreachableRule: Rule = (ctx) => {
  const { graph } = ctx;
  if (!graph.entry) return;
  const reachable = graph.reachable([graph.entry]);
  const covered = new Set<string>();
  for (const [id, node] of graph.nodes) {
    if (reachable.has(id) || covered.has(id)) continue;
    const downstream = graph.reachable([id]);
    const more = [...downstream].filter((d) => d !== id && !reachable.has(d) && !covered.has(d));
    for (const d of downstream) covered.add(d);
    const info = ctx.steps.find((s) => s.partIndex === node.partIndex && s.stepIndex === node.stepIndex)!;
    ctx.report({
      code: Codes.UNREACHABLE,
      severity: 'warning',
      message: `step '${id}' can never be reached from the first step '${graph.entry}'${more.length ? ` (nor can ${more.length} step${more.length > 1 ? 's' : ''} after it)` : ''}`,
      path: [...info.path, 'id'],
    });
  }
};

/** Step ids whose output a condition (an `if` of a step or a branch case) reads. */
function stepsReadByConditions(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  const scan = (text: unknown) => {
    if (typeof text !== 'string') return;
    for (const m of text.matchAll(/steps\.([A-Za-z0-9_-]+)\.output/g)) out.add(m[1]);
    for (const m of text.matchAll(/steps\.\[?([A-Za-z0-9_-]+)\]?\.output/g)) out.add(m[1]);
  };
  for (const { step } of ctx.steps) {
    scan(step.if);
    if (Array.isArray(step.branch)) for (const c of step.branch) if (isObject(c)) scan(c.if);
  }
  return out;
}

/**
 * A cycle in the flow graph must have a conditional exit: some step in it has an `if`, is a
 * branch, has an onError goto, is an end, or is a manual ask whose answer a condition reads.
 */
export const unboundedLoopRule: Rule = (ctx) => {
  const read = stepsReadByConditions(ctx);
  const hasExit = (s: Step): boolean =>
    (s.if !== undefined && s.if !== true) ||
    s.branch !== undefined ||
    (isObject(s.onError) && s.onError.goto !== undefined) ||
    s.end !== undefined ||
    (isObject(s.manual) && isObject(s.manual.ask) && read.has(s.id));
  for (const comp of cycles(ctx.graph)) {
    if (comp.some((id) => hasExit(ctx.graph.nodes.get(id)!.step))) continue;
    const members = new Set(comp);
    const first = comp[0];
    // the jump that closes the loop: an edge back to its first step
    const back =
      ctx.graph.edges.find((e) => e.to === first && members.has(e.from) && e.from !== first) ??
      ctx.graph.edges.find((e) => e.to === first && e.from === first);
    const closer = back ? back.from : first;
    const node = ctx.graph.nodes.get(closer)!;
    const info = ctx.steps.find((s) => s.partIndex === node.partIndex && s.stepIndex === node.stepIndex)!;
    const field =
      ['goto', 'next', 'call', 'default'].find(
        (k) => (info.step as unknown as Record<string, unknown>)[k] !== undefined,
      ) ?? 'id';
    ctx.report({
      code: Codes.UNBOUNDED_LOOP,
      message: `steps ${comp.map((c) => `'${c}'`).join(' -> ')} form a loop with no conditional exit (add an 'if', a branch or an end; maxVisits only stops the run with an error)`,
      path: [...info.path, field],
    });
  }
};

export function stepInfoOf(ctx: RuleContext, id: string): StepInfo | undefined {
  return ctx.stepById.get(id);
}
