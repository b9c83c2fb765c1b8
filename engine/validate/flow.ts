/**
 * The flow graph of a runbook: one node per step, one edge per way control can move on.
 *
 * Flow semantics: steps run in order; the last step of a part falls through to
 * the first step of the next part, unless the part was entered by `call`, in which case it returns
 * to the caller's successor. `next` overrides the successor of a step that ran (a skipped step —
 * `if` false — moves on in document order); `goto`/`branch` jump; `end` stops; `call` enters
 * the part's first step and comes back. Targets that name nothing are left out (the validator
 * reports them). Used by the validator (reachability, loops, ref-before-run) and `irun graph`.
 */
import type { Part, RunbookDoc, Step } from '../model.js';

export type EdgeLabel = 'next' | 'if-false' | 'goto' | `branch:${string}` | 'call' | 'return' | 'error';

export interface FlowEdge {
  from: string;
  to: string;
  label: EdgeLabel;
}

export interface FlowNode {
  id: string;
  step: Step;
  partId: string;
  partIndex: number;
  stepIndex: number;
}

export interface FlowGraph {
  /** Steps by id, in document order (the first occurrence of a duplicated id wins). */
  nodes: Map<string, FlowNode>;
  edges: FlowEdge[];
  /** The first step of the first part. */
  entry?: string;
  /** First step of each part, by part id. */
  partEntry: Map<string, string>;
  /** Parts entered by `call` (from a step or a branch case), with the calling step ids. */
  callers: Map<string, string[]>;
  /**
   * One edge per call that can return, from the calling step straight to where it returns to
   * (label 'return'). Not part of `edges`: loop analysis uses them instead of the call/return
   * pairs, which would join two callers of the same part into a loop that cannot happen.
   */
  callSummaries: FlowEdge[];
  successors(id: string): FlowEdge[];
  predecessors(id: string): FlowEdge[];
  /** Every step reachable from `from` (including the starting steps themselves). */
  reachable(from: string[]): Set<string>;
}

const asArray = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Build the graph. Tolerates documents that failed schema validation (wrong shapes are skipped). */
export function buildFlowGraph(doc: RunbookDoc | undefined): FlowGraph {
  const parts = asArray<Part>(doc?.parts);
  const nodes = new Map<string, FlowNode>();
  const partEntry = new Map<string, string>();
  const partSteps: { part: Part; ids: string[] }[] = [];

  // partIndex is the index in the document (rules and reporters map nodes back to parts[i]):
  // an entry that is not a part keeps its place, as a part without steps.
  parts.forEach((part, partIndex) => {
    if (!part || typeof part !== 'object') {
      partSteps.push({ part: {} as Part, ids: [] });
      return;
    }
    const ids: string[] = [];
    asArray<Step>(part.steps).forEach((step, stepIndex) => {
      if (!step || typeof step !== 'object' || typeof step.id !== 'string') return;
      ids.push(step.id);
      if (!nodes.has(step.id)) nodes.set(step.id, { id: step.id, step, partId: String(part.id), partIndex, stepIndex });
    });
    partSteps.push({ part, ids });
    if (typeof part.id === 'string' && ids.length && !partEntry.has(part.id)) partEntry.set(part.id, ids[0]);
  });

  /** A target (step id or part id) as a step id. Steps win over parts on a clash (reported elsewhere). */
  const resolve = (t: unknown): string | undefined => {
    const s = asString(t);
    if (s === undefined) return undefined;
    return nodes.has(s) ? s : partEntry.get(s);
  };
  const partOfTarget = (t: unknown): string | undefined => {
    const s = asString(t);
    return s !== undefined && partEntry.has(s) ? s : undefined;
  };

  const callers = new Map<string, string[]>();
  const addCaller = (part: string, step: string) => {
    const list = callers.get(part) ?? [];
    if (!list.includes(step)) list.push(step);
    callers.set(part, list);
  };

  // In-order successor of each step: the next step of its part, or "the end of the part".
  const inOrder = new Map<string, string | null>();
  partSteps.forEach(({ ids }) => ids.forEach((id, i) => inOrder.set(id, i + 1 < ids.length ? ids[i + 1] : null)));
  const partIndexOf = (id: string) => nodes.get(id)!.partIndex;

  // Which parts can be entered other than by call: the first part, parts (or their steps) that
  // are a jump target, and parts fallen into from such a part.
  const jumpedInto = new Set<number>();
  for (const node of nodes.values()) {
    const s = node.step;
    const targets: unknown[] = [
      s.goto,
      s.next,
      s.default,
      typeof s.onError === 'object' && s.onError ? s.onError.goto : undefined,
    ];
    for (const c of asArray<{ goto?: unknown }>(s.branch)) if (c && typeof c === 'object') targets.push(c.goto);
    for (const t of targets) {
      const to = resolve(t);
      if (to && partIndexOf(to) !== node.partIndex) jumpedInto.add(partIndexOf(to));
    }
  }

  const edges: FlowEdge[] = [];
  const add = (from: string, to: string | undefined, label: EdgeLabel) => {
    if (to === undefined) return;
    if (!edges.some((e) => e.from === from && e.to === to && e.label === label)) edges.push({ from, to, label });
  };

  const canFallOff = (id: string): boolean => {
    const s = nodes.get(id)!.step;
    if (s.if !== undefined && s.if !== true) return true;
    return (
      s.end === undefined &&
      s.goto === undefined &&
      s.next === undefined &&
      !(Array.isArray(s.branch) && s.default !== undefined)
    );
  };
  const enteredOpen = new Set<number>();
  partSteps.forEach(({ ids }, i) => {
    if (ids.length === 0) return;
    if (i === 0 || jumpedInto.has(i)) enteredOpen.add(i);
    else {
      // fall-through from the previous non-empty part
      let j = i - 1;
      while (j >= 0 && partSteps[j].ids.length === 0) j--;
      if (j >= 0 && enteredOpen.has(j) && canFallOff(partSteps[j].ids.at(-1)!)) enteredOpen.add(i);
    }
  });
  const firstStepAfterPart = (partIndex: number): string | undefined => {
    for (let j = partIndex + 1; j < partSteps.length; j++) if (partSteps[j].ids.length) return partSteps[j].ids[0];
    return undefined;
  };

  // Where control goes when a step "moves on in order" (after it, or when it is skipped).
  const returnSites = new Map<string, Set<string>>(); // part id -> steps control returns to
  const callerSites = new Map<string, { part: string; sites: Set<string> }[]>(); // caller -> its return sites
  const onward = (id: string, label: EdgeLabel, pending: { from: string; label: EdgeLabel }[]) => {
    const after = inOrder.get(id);
    if (after) return add(id, after, label);
    const node = nodes.get(id)!;
    if (enteredOpen.has(node.partIndex)) add(id, firstStepAfterPart(node.partIndex), label);
    pending.push({ from: id, label });
  };

  const fallOffs: { from: string; label: EdgeLabel }[] = []; // steps that can leave their part at its end
  for (const node of nodes.values()) {
    const s = node.step;
    const id = node.id;
    if (s.if !== undefined && s.if !== true) onward(id, 'if-false', fallOffs);
    if (typeof s.onError === 'object' && s.onError) add(id, resolve(s.onError.goto), 'error');

    // Where the step goes after it ran (and after a call it made returned).
    const afterRun = (label: EdgeLabel) => {
      if (s.next !== undefined) add(id, resolve(s.next), label);
      else onward(id, label, fallOffs);
    };
    const callPart = (part: unknown, label: EdgeLabel) => {
      const p = partOfTarget(part);
      if (!p) return;
      add(id, partEntry.get(p), label);
      addCaller(p, id);
      const sites = new Set<string>();
      if (s.next !== undefined) {
        const to = resolve(s.next);
        if (to) sites.add(to);
      } else {
        const after = inOrder.get(id);
        if (after) sites.add(after);
        else {
          const nxt = enteredOpen.has(node.partIndex) ? firstStepAfterPart(node.partIndex) : undefined;
          if (nxt) sites.add(nxt);
          // returning from the last step of a called part: the caller's caller (approximated below)
          sites.add(`@end:${id}`);
        }
      }
      returnSites.set(p, new Set([...(returnSites.get(p) ?? []), ...sites]));
      callerSites.set(id, [...(callerSites.get(id) ?? []), { part: p, sites }]);
    };

    if (s.end !== undefined && s.forEach === undefined) continue;
    if (s.goto !== undefined && s.forEach === undefined) {
      add(id, resolve(s.goto), 'goto');
      continue;
    }
    if (Array.isArray(s.branch)) {
      for (const c of s.branch as unknown[]) {
        if (!c || typeof c !== 'object') continue;
        const bc = c as { if?: unknown; goto?: unknown; call?: unknown };
        const label: EdgeLabel = `branch:${String(bc.if)}`;
        if (bc.goto !== undefined) add(id, resolve(bc.goto), label);
        else if (bc.call !== undefined) {
          callPart(bc.call, label);
        }
      }
      if (s.default !== undefined) add(id, resolve(s.default), 'branch:default');
      else afterRun('next');
      continue;
    }
    if (s.call !== undefined) {
      callPart(s.call, 'call');
      if (!partOfTarget(s.call)) afterRun('next');
      continue;
    }
    afterRun('next');
  }

  // Returns: every step that can leave a called part at its end goes back to each return site.
  const stepsLeaving = new Map<string, string[]>(); // part id -> steps leaving it at its end
  for (const f of fallOffs) {
    const p = nodes.get(f.from)!.partId;
    const list = stepsLeaving.get(p) ?? [];
    list.push(f.from);
    stepsLeaving.set(p, list);
  }
  const expandSites = (sites: Iterable<string>, seen: Set<string>): Set<string> => {
    const out = new Set<string>();
    for (const site of sites) {
      if (!site.startsWith('@end:')) out.add(site);
      else {
        // the caller was the last step of a part that was itself called: return further up
        const caller = site.slice(5);
        for (const s of resolveSites(nodes.get(caller)!.partId, seen)) out.add(s);
      }
    }
    return out;
  };
  function resolveSites(part: string, seen: Set<string>): Set<string> {
    if (seen.has(part)) return new Set();
    seen.add(part);
    return expandSites(returnSites.get(part) ?? [], seen);
  }
  for (const [part, leaving] of stepsLeaving) {
    if (!callers.has(part)) continue;
    const sites = resolveSites(part, new Set());
    for (const from of leaving) for (const to of sites) add(from, to, 'return');
  }
  const callSummaries: FlowEdge[] = [];
  for (const [caller, calls] of callerSites) {
    for (const { part, sites } of calls) {
      if (!stepsLeaving.has(part)) continue; // the part never returns
      for (const to of expandSites(sites, new Set([nodes.get(caller)!.partId]))) {
        if (!callSummaries.some((e) => e.from === caller && e.to === to))
          callSummaries.push({ from: caller, to, label: 'return' });
      }
    }
  }

  const succ = new Map<string, FlowEdge[]>();
  const pred = new Map<string, FlowEdge[]>();
  for (const e of edges) {
    (succ.get(e.from) ?? succ.set(e.from, []).get(e.from)!).push(e);
    (pred.get(e.to) ?? pred.set(e.to, []).get(e.to)!).push(e);
  }
  const entry = partSteps.find((p) => p.ids.length)?.ids[0];
  return {
    nodes,
    edges,
    entry,
    partEntry,
    callers,
    callSummaries,
    successors: (id) => succ.get(id) ?? [],
    predecessors: (id) => pred.get(id) ?? [],
    reachable(from) {
      const seen = new Set<string>();
      const stack = from.filter((f) => nodes.has(f));
      while (stack.length) {
        const id = stack.pop()!;
        if (seen.has(id)) continue;
        seen.add(id);
        for (const e of succ.get(id) ?? []) if (!seen.has(e.to)) stack.push(e.to);
      }
      return seen;
    },
  };
}

/** Strongly connected components with a cycle (more than one step, or a step that loops to itself). */
export function cycles(graph: FlowGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  const order = [...graph.nodes.keys()];
  const succs = new Map<string, string[]>();
  for (const e of [...graph.edges.filter((x) => x.label !== 'return'), ...graph.callSummaries]) {
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from)!).push(e.to);
  }
  const next = (id: string) => succs.get(id) ?? [];
  const strong = (v: string) => {
    // iterative Tarjan, to stay safe on long runbooks
    const work: { v: string; i: number }[] = [{ v, i: 0 }];
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    while (work.length) {
      const top = work[work.length - 1];
      const outs = next(top.v);
      if (top.i < outs.length) {
        const w = outs[top.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        const selfLoop = comp.length === 1 && next(comp[0]).includes(comp[0]);
        if (comp.length > 1 || selfLoop) out.push(comp.sort((a, b) => order.indexOf(a) - order.indexOf(b)));
      }
    }
  };
  for (const v of order) if (!index.has(v)) strong(v);
  return out;
}
