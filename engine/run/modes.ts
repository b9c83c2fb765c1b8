/**
 * Run modes, chosen once per run: how a read action runs and how a mutating action runs.
 *
 * - live:     reads run; a change is captured (before-state saved as evidence), previewed,
 *             approved, then made.
 * - dryRun:   reads run; a change is captured and previewed and recorded as `planned`; nothing
 *             is changed.
 * - simulate: the scenario answers every call and nothing reaches AWS; a change is approved like
 *             a live one, or, with dry-run, recorded as planned and not simulated as done.
 */
import type { PlannedChange } from '../plugins/api.js';
import { approvalRequired, askApproval } from './approval.js';
import { finishOutput } from './pipeline.js';
import type { Attempt, ExecuteOptions, RunMode, Simulator, StepOutcome } from './step.js';

export function chooseMode(o: Pick<ExecuteOptions, 'simulator' | 'dryRun'>): RunMode {
  if (o.simulator) return new SimulateMode(o.simulator, !!o.dryRun);
  return o.dryRun ? new DryRunMode() : new LiveMode();
}

/** Capture stage: the before-state of a change, saved once as evidence. */
async function capture(a: Attempt): Promise<unknown> {
  const { step, action, input } = a.call;
  if (!action.def.capture) return undefined;
  const before = await a.guard(action.def.capture(a.ctx, input));
  await a.ctx.evidence.save(`${step.id}-before`, before ?? null);
  return before;
}

async function preview(a: Attempt, before: unknown, fallback: string): Promise<PlannedChange> {
  const { action, input } = a.call;
  return action.def.preview
    ? await a.guard(action.def.preview(a.ctx, input, before))
    : { summary: `${fallback} ${action.id}`, details: input };
}

/** Approval before a step runs; an outcome means it does not run now (waiting or declined). */
async function approveIfRequired(a: Attempt, plan: () => Promise<PlannedChange>): Promise<StepOutcome | undefined> {
  if (!approvalRequired(a.svc, a.call)) return undefined;
  return askApproval(a.svc, a.call, await plan());
}

/** A change that dry-run records instead of making. */
function planned(a: Attempt, plan: PlannedChange, before?: unknown): StepOutcome {
  return { status: 'planned', plan, ...(before !== undefined ? { before } : {}), evidence: a.saved };
}

export class LiveMode implements RunMode {
  readonly name: RunMode['name'] = 'live';
  readonly dryRun: boolean = false;
  readonly asksApproval: boolean = true;

  async read(a: Attempt): Promise<StepOutcome> {
    const waitOrDecline = await approveIfRequired(a, () => preview(a, undefined, 'run'));
    if (waitOrDecline) return waitOrDecline;
    return finishOutput(a, await a.guard(a.call.action.def.run(a.ctx, a.call.input, undefined)));
  }

  async mutate(a: Attempt): Promise<StepOutcome> {
    const { action, input } = a.call;
    const before = await capture(a);
    const waitOrDecline = await approveIfRequired(a, () => preview(a, before, 'run'));
    if (waitOrDecline) return { ...waitOrDecline, before, evidence: a.saved };
    const output = await a.guard(action.def.run(a.ctx, input, before));
    const reversible = action.def.reversible
      ? action.def.reversible(input, before, output)
      : action.def.undo
        ? true
        : `action ${action.id} has no undo`;
    return finishOutput(a, output, {
      ...(before !== undefined ? { before } : {}),
      plan: { summary: `ran ${action.id}` },
      reversible,
    });
  }
}

export class DryRunMode extends LiveMode {
  override readonly name: RunMode['name'] = 'dryRun';
  override readonly dryRun = true;
  override readonly asksApproval = false;

  override async mutate(a: Attempt): Promise<StepOutcome> {
    const before = await capture(a);
    return planned(a, await preview(a, before, 'would run'), before);
  }
}

export class SimulateMode implements RunMode {
  readonly name: RunMode['name'] = 'simulate';
  readonly asksApproval: boolean;
  constructor(
    private readonly simulator: Simulator,
    readonly dryRun: boolean,
  ) {
    this.asksApproval = !dryRun;
  }

  private ask(a: Attempt): Promise<unknown> {
    const { step, action, input, item } = a.call;
    const effect = action.def.effect;
    return a.guard(
      this.simulator.call({
        step,
        action: action.id,
        effect,
        input,
        ...(item ? { item: item.value } : {}),
        ...(action.def.local ? { runLocal: () => action.def.run(a.ctx, input, undefined) } : {}),
      }),
    );
  }

  private simulatedPlan(a: Attempt): Promise<PlannedChange> {
    const { action, input } = a.call;
    return Promise.resolve({ summary: `${action.def.title ?? action.id} (simulated)`, details: input });
  }

  async read(a: Attempt): Promise<StepOutcome> {
    const waitOrDecline = await approveIfRequired(a, () => this.simulatedPlan(a));
    if (waitOrDecline) return waitOrDecline;
    return finishOutput(a, await this.ask(a));
  }

  async mutate(a: Attempt): Promise<StepOutcome> {
    // With dry-run the change is planned (nothing to capture or preview without AWS).
    if (this.dryRun) return planned(a, { summary: `would run ${a.call.action.id}`, details: a.call.input });
    const waitOrDecline = await approveIfRequired(a, () => this.simulatedPlan(a));
    if (waitOrDecline) return waitOrDecline;
    return finishOutput(a, await this.ask(a), { plan: { summary: `${a.call.action.id} (simulated)` } });
  }
}
