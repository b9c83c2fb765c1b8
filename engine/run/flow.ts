/**
 * Navigation of the flow: where the run goes after a step (its `next`, the next step of its
 * part, a return from a called part, the next part) and what a jump lands on. Pure functions of
 * the runbook and the call stack.
 */
import { Codes, IrunError } from '../errors.js';
import type { Part, RunbookDoc } from '../model.js';
import type { Frame } from './events.js';
import type { StepLoc } from './step.js';

export class FlowIndex {
  readonly steps = new Map<string, StepLoc>();
  readonly parts = new Map<string, { part: Part; index: number }>();

  constructor(readonly doc: RunbookDoc) {
    doc.parts.forEach((part, partIndex) => {
      this.parts.set(part.id, { part, index: partIndex });
      part.steps.forEach((step, index) => this.steps.set(step.id, { step, part, index, partIndex }));
    });
  }

  /** First step of a part, or the step itself. */
  resolveTarget(target: string): string | null {
    if (this.steps.has(target)) return target;
    const p = this.parts.get(target);
    if (p) return p.part.steps[0]?.id ?? null;
    throw new IrunError(Codes.UNKNOWN_TARGET, `unknown goto target '${target}'`);
  }

  jump(loc: StepLoc, target: string): { next: string | null; ended: string[] } {
    const next = this.resolveTarget(target);
    const to = next ? this.steps.get(next) : undefined;
    const ended = !to || to.part.id !== loc.part.id ? [loc.part.id] : [];
    return { next, ended };
  }

  /**
   * The step after `loc`: its `next`, the next step of its part, or at the end of the part a
   * return to the caller (when the part was called) or the first step of the next part.
   */
  successor(
    loc: StepLoc,
    frames: Frame[],
    popped = 0,
    useNext = true,
  ): { next: string | null; pop: number; ended: string[] } {
    if (loc.step.next && useNext) {
      const { next, ended } = this.jump(loc, loc.step.next);
      return { next, pop: popped, ended };
    }
    if (loc.index < loc.part.steps.length - 1)
      return { next: loc.part.steps[loc.index + 1].id, pop: popped, ended: [] };
    // End of the part.
    const top = frames[frames.length - 1 - popped];
    if (top && top.part === loc.part.id) {
      const caller = this.steps.get(top.caller);
      if (!caller) throw new IrunError(Codes.INTERNAL, `call frame names unknown step '${top.caller}'`);
      const r = this.successor(caller, frames, popped + 1);
      return { next: r.next, pop: r.pop, ended: [loc.part.id, ...r.ended.filter((p) => p !== loc.part.id)] };
    }
    for (let i = loc.partIndex + 1; i < this.doc.parts.length; i++) {
      const first = this.doc.parts[i].steps[0];
      if (first) return { next: first.id, pop: popped, ended: [loc.part.id] };
    }
    return { next: null, pop: popped, ended: [loc.part.id] };
  }
}
