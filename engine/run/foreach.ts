/**
 * forEach steps: an action per item (concurrently, after one approval of the whole change) or a
 * part per item (one at a time; the part's steps share the run's state through events).
 */
import { Codes, IrunError, type SerializedError } from '../errors.js';
import type { Step } from '../model.js';
import { stepKind } from '../model.js';
import type { PlannedChange } from '../plugins/api.js';
import type { RegisteredAction } from '../plugins/registry.js';
import { evaluate, evaluateString } from '../template/index.js';
import { approveItems } from './approval.js';
import type { RunEvent } from './events.js';
import type { FlowIndex } from './flow.js';
import { runAction } from './pipeline.js';
import type { StepLoc, StepOutcome, StepServices } from './step.js';

/** What forEach needs from the executor besides the stage services. */
export interface ForEachHost extends StepServices {
  readonly flow: FlowIndex;
  /** Run a non-action step (set, manual) with the given scope. */
  executeStep(
    loc: StepLoc,
    kind: string,
    reg: RegisteredAction | undefined,
    scope: Record<string, unknown>,
  ): Promise<StepOutcome>;
}

export async function runForEach(
  host: ForEachHost,
  loc: StepLoc,
  registered: RegisteredAction | undefined,
): Promise<StepOutcome> {
  const { step } = loc;
  const list = itemsOf(host, step);
  const done = host.state.items[step.id] ?? {};
  const results: unknown[] = new Array(list.length);
  for (const [k, v] of Object.entries(done)) results[Number(k)] = v;
  if (step.call) {
    // A part per item, one at a time (the part's steps share the run's state).
    const as = step.as ?? 'item';
    for (let i = 0; i < list.length; i++) {
      if (Object.hasOwn(done, i)) continue;
      const sub = await runPartForItem(host, step, i, { item: list[i], [as]: list[i], index: i });
      results[i] = sub;
      await host.emit({ type: 'item.end', step: step.id, index: i, output: sub });
    }
    return { status: 'completed', output: results };
  }
  if (!registered) throw new IrunError(Codes.RUNBOOK_INVALID, `forEach step '${step.id}' needs an action or a call`);
  return actionPerItem(host, step, registered, list, results, done);
}

function itemsOf(host: StepServices, step: Step): unknown[] {
  const ec = host.evalCtx();
  const list =
    typeof step.forEach === 'string'
      ? evaluateString(step.forEach, host.scope, ec)
      : evaluate(step.forEach, host.scope, ec);
  if (!Array.isArray(list)) {
    throw new IrunError(
      Codes.TEMPLATE_EVAL,
      `forEach of step '${step.id}' must evaluate to a list, got ${list === null ? 'null' : typeof list}`,
    );
  }
  return list;
}

function concurrencyOf(host: StepServices, step: Step): number {
  const raw =
    typeof step.concurrency === 'string'
      ? evaluateString(step.concurrency, host.scope, host.evalCtx())
      : (step.concurrency ?? 1);
  return Math.max(1, Math.min(1024, Number(raw) || 1));
}

async function actionPerItem(
  host: ForEachHost,
  step: Step,
  action: RegisteredAction,
  list: unknown[],
  results: unknown[],
  done: Record<number, unknown>,
): Promise<StepOutcome> {
  const selection = await approveItems(host, { step, action, scope: host.scope, input: undefined, attempt: 1 }, list);
  if ('outcome' in selection) return selection.outcome;
  const as = step.as ?? 'item';
  const mutate = action.def.effect === 'mutate';
  const errors: SerializedError[] = [];
  const plans: (PlannedChange | undefined)[] = [];
  let nextIndex = 0;
  let failed = false;
  const worker = async () => {
    while (!failed) {
      const i = nextIndex++;
      if (i >= list.length) return;
      if (Object.hasOwn(done, i) || !selection.run(i)) continue;
      const scope = { ...host.scope, item: list[i], [as]: list[i] };
      const out = await runAction(host, { step, action, scope, item: { index: i, value: list[i] } });
      if (out.status === 'failed') {
        errors.push({ ...out.error!, message: `item ${i}: ${out.error!.message}` });
        if ((step.onError ?? 'fail') === 'fail') failed = true;
        results[i] = null;
        await host.emit({ type: 'item.end', step: step.id, index: i, error: out.error });
        continue;
      }
      if (out.plan) plans[i] = out.plan;
      results[i] = out.outputs ?? out.output ?? null;
      await host.emit(...itemEnd(step, i, results[i], mutate, out));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrencyOf(host, step), list.length) }, worker));
  return forEachOutcome(host, action, list, results, errors, plans);
}

/** The evidence and item.end events of one item (undo needs input, before-state and evidence). */
function itemEnd(step: Step, index: number, value: unknown, mutate: boolean, out: StepOutcome): RunEvent[] {
  const undoInfo =
    mutate && out.reversible !== undefined
      ? {
          input: out.input,
          before: out.before,
          reversible: out.reversible,
          ...(out.evidence?.length ? { evidence: out.evidence } : {}),
        }
      : {};
  const evidence: RunEvent[] = (out.evidence ?? []).map((ref) => ({ type: 'evidence', step: step.id, ref }));
  return [...evidence, { type: 'item.end', step: step.id, index, output: value, ...undoInfo }];
}

function forEachOutcome(
  host: StepServices,
  action: RegisteredAction,
  list: unknown[],
  results: unknown[],
  errors: SerializedError[],
  plans: (PlannedChange | undefined)[],
): StepOutcome {
  if (errors.length) {
    const message = `${errors.length} of ${list.length} item(s) failed; first: ${errors[0].message}`;
    return { status: 'failed', output: results, error: { code: errors[0].code, message } };
  }
  const mutate = action.def.effect === 'mutate';
  if (mutate && host.mode.dryRun) {
    const changing = plans.filter((p): p is PlannedChange => !!p && !p.noop);
    const shown = changing.length
      ? changing
          .slice(0, 3)
          .map((p) => p.summary)
          .join('; ') + (changing.length > 3 ? '; …' : '')
      : 'no change';
    return {
      status: 'planned',
      output: results,
      plan: {
        summary: `${action.id} for ${list.length} item(s): ${shown}`,
        noop: changing.length === 0,
        details: plans,
      },
    };
  }
  return {
    status: 'completed',
    output: results,
    ...(mutate ? { plan: { summary: `${action.id} for each of ${list.length} item(s)` } } : {}),
  };
}

/** Run every step of a part for one item (forEach + call); returns the part's outputs by step id. */
async function runPartForItem(
  host: ForEachHost,
  forEach: Step,
  index: number,
  extra: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const partId = forEach.call!;
  const target = host.flow.parts.get(partId);
  if (!target) throw new IrunError(Codes.UNKNOWN_TARGET, `forEach calls unknown part '${partId}'`);
  const scope = { ...host.scope, ...extra };
  const out: Record<string, unknown> = {};
  for (const step of target.part.steps) {
    const kind = stepKind(step);
    const reg = step.action ? await host.options.registry.require(step.action) : undefined;
    if (step.if !== undefined && !host.condition(step.if, scope)) continue;
    checkItemStep(partId, step, kind, reg);
    const r =
      kind === 'action'
        ? await runAction(host, { step, action: reg!, scope, item: { index, value: extra.item } })
        : await host.executeStep(host.flow.steps.get(step.id)!, kind!, reg, scope);
    await host.emit({
      type: 'log',
      step: step.id,
      level: r.status === 'failed' ? 'warn' : 'debug',
      message: `item ${index}: ${step.id} ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}`,
    });
    if (r.status === 'failed') {
      // The step's own onError: continue goes on with the part's next step for this item.
      if (step.onError === 'continue') {
        out[step.id] = null;
        continue;
      }
      throw new IrunError((r.error?.code ?? Codes.ACTION_FAILED) as `IRUN_${string}`, r.error?.message ?? 'failed');
    }
    if (r.wait)
      throw new IrunError(
        Codes.NO_ANSWER,
        `step '${step.id}' inside a forEach needs an answer; give it in the answers file`,
      );
    await host.emit({
      type: 'item.step',
      forEach: forEach.id,
      index,
      step: step.id,
      status: r.status,
      output: r.output ?? null,
      ...(r.outputs ? { outputs: r.outputs } : {}),
      ...(r.vars ? { vars: r.vars } : {}),
    });
    out[step.id] = r.outputs ?? r.output ?? null;
  }
  return out;
}

function checkItemStep(partId: string, step: Step, kind: string | undefined, reg: RegisteredAction | undefined): void {
  if (kind !== 'action' && kind !== 'set' && kind !== 'manual') {
    throw new IrunError(
      Codes.RUNBOOK_INVALID,
      `part '${partId}' is run per forEach item and may hold only action, set and manual steps (step '${step.id}' is ${kind})`,
    );
  }
  if (reg?.def.effect === 'mutate') {
    // A change inside a per-item part would escape the per-step approval and the undo record.
    throw new IrunError(
      Codes.RUNBOOK_INVALID,
      `step '${step.id}' (${reg.id}) changes AWS state inside part '${partId}', which runs per forEach item: use forEach over the action itself, so that the change is approved and recorded for undo`,
    );
  }
}
