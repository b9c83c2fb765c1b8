/**
 * The approval stage: whether a step needs a human's approval, and asking for it. A decision is
 * recorded as an `approval` event; no decision (non-interactive, nothing given) pauses the run.
 */
import type { PlannedChange } from '../plugins/api.js';
import type { StepCall, StepOutcome, StepServices } from './step.js';

/** A step needs approval when it changes something (unless `approve: auto`) or asks for it. */
export function approvalRequired(svc: StepServices, call: Pick<StepCall, 'step' | 'action' | 'item'>): boolean {
  if (!svc.mode.asksApproval || call.item) return false;
  const { approve } = call.step;
  return approve === 'required' || (call.action.def.effect === 'mutate' && approve !== 'auto');
}

/** Returns an outcome when the step must not run now (waiting or declined), else undefined. */
export async function askApproval(
  svc: StepServices,
  call: Pick<StepCall, 'step' | 'action' | 'input'>,
  plan: PlannedChange,
): Promise<StepOutcome | undefined> {
  const { step, action } = call;
  const decision = await svc.options.human.approve({ step, action: action.id, input: call.input, plan });
  if (!decision) {
    return { status: 'waiting', wait: { reason: 'approval', message: `approve ${action.id}: ${plan.summary}`, plan } };
  }
  await svc.emit({
    type: 'approval',
    step: step.id,
    approved: decision.approved,
    actor: decision.actor,
    at: svc.now().toISOString(),
    source: decision.source,
    plan,
  });
  if (!decision.approved) return { status: 'skipped', reason: 'declined', plan };
  return undefined;
}

/** The items of a forEach change that may run. */
export type ItemSelection = { outcome: StepOutcome } | { run: (index: number) => boolean };

/**
 * Approval of a mutating forEach: today one decision covers every item, shown as a count.
 * Per-item approval (a preview for each item, approving a subset) belongs here: return a
 * selection that runs only the approved indices.
 */
export async function approveItems(svc: StepServices, call: StepCall, list: unknown[]): Promise<ItemSelection> {
  const needed = svc.mode.asksApproval && call.action.def.effect === 'mutate' && call.step.approve !== 'auto';
  if (!needed) return { run: () => true };
  const plan: PlannedChange = {
    summary: `${call.action.id} for each of ${list.length} item(s)`,
    details: { count: list.length },
  };
  const outcome = await askApproval(svc, { ...call, input: { items: list.length } }, plan);
  return outcome ? { outcome } : { run: () => true };
}
