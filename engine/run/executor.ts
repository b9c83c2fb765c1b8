/**
 * The executor: the flow state machine. It walks steps, hands each to its stage (the action
 * pipeline in pipeline.ts, forEach in foreach.ts, manual, branch, set, call, goto, end), asks
 * the human, and emits events. State changes only through `reduce(event)`, so the journal of a
 * run is enough to resume it. How actions run (live, dry-run, simulated) is the run mode chosen
 * once in the constructor (modes.ts).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Codes, IrunError, serializeError, type SerializedError } from '../errors.js';
import type { RunbookDoc, Step } from '../model.js';
import { stepKind } from '../model.js';
import type { ActionContext, AwsSettings, EvidenceRef, EvidenceStore } from '../plugins/api.js';
import type { RegisteredAction } from '../plugins/registry.js';
import { evaluate, evaluateString, render, truthy } from '../template/index.js';
import { Redactor } from '../util/redact.js';
import { makeActionContext, MemoryEvidence } from './context.js';
import type { Frame, Listener, Outcome, RunEvent, StepEndEvent } from './events.js';
import { FlowIndex } from './flow.js';
import { runForEach, type ForEachHost } from './foreach.js';
import { coerceAnswer } from './human.js';
import { resolveInputs } from './inputs.js';
import { chooseMode } from './modes.js';
import { runAction } from './pipeline.js';
import { initialState, reduce, type RunState } from './state.js';
import type { ExecuteOptions, RunMode, RunResult, StepCall, StepLoc, StepOutcome } from './step.js';

export type { ExecuteOptions, RunResult, Simulator } from './step.js';
export { evaluateInput } from './pipeline.js';

export const DEFAULT_MAX_VISITS = 3;
export const MAX_CALL_DEPTH = 16;

/** Names assigned by `set:` steps anywhere in the runbook (declared vars). */
export function declaredVars(doc: RunbookDoc): string[] {
  const names = new Set(Object.keys(doc.vars ?? {}));
  for (const part of doc.parts)
    for (const step of part.steps) if (step.set) for (const k of Object.keys(step.set)) names.add(k);
  return [...names];
}

/** Where the flow goes after a step, and how the run ends if it does. */
interface Route {
  next: string | null;
  push?: Frame;
  pop: number;
  ended: string[];
  endRun?: { status: Outcome; message?: string };
  failRun?: boolean;
  /** The step fails after all (a call too deep). */
  error?: SerializedError;
}

export class Executor implements ForEachHost {
  readonly state: RunState;
  readonly options: ExecuteOptions;
  readonly mode: RunMode;
  readonly flow: FlowIndex;
  readonly scope: Record<string, unknown>;
  readonly now: () => Date;
  private readonly listeners: Listener[];
  private readonly redactor = new Redactor();
  private readonly shared = new Map<string, unknown>();
  private readonly changes: RunResult['changes'] = [];
  private readonly evidenceStores = new Map<string, EvidenceStore>();
  /** Set when a jump lands on the first step of the part it is in (a loop re-entering the part). */
  private enteringAgain = false;

  constructor(options: ExecuteOptions) {
    this.options = options;
    // forEach items each listen for a cancel of the run.
    if (options.signal) setMaxListeners(4096, options.signal);
    this.now = options.now ?? (() => new Date());
    this.listeners = options.listeners ?? [];
    this.mode = chooseMode(options);
    this.flow = new FlowIndex(options.doc);
    this.state = initialState(options.doc, declaredVars(options.doc));
    this.state.runbook = { id: options.doc.id, title: options.doc.title, file: options.file, sha256: options.sha256 };
    this.scope = {
      inputs: this.state.inputs,
      vars: this.state.vars,
      steps: this.state.steps,
      parts: this.state.parts,
      run: this.state.run,
    };
    for (const [name, spec] of Object.entries(options.doc.inputs ?? {})) {
      if (spec.secret && options.inputs && options.inputs[name] !== undefined) this.redactor.add(options.inputs[name]);
    }
  }

  /** Emit events: reduce state with the raw event, hand listeners a redacted copy. */
  async emit(...events: RunEvent[]): Promise<void> {
    for (const e of events) reduce(this.state, e);
    if (this.listeners.length === 0) return;
    // Values of secret inputs, and anything shaped like AWS secrets, never reach a listener.
    const out = events.map((e) => this.redactor.redact(e));
    for (const l of this.listeners) {
      if (out.length === 1) await l(out[0]);
      else {
        // Listeners that write (the journal) receive a batch marker through `batch` to write once.
        const batchAware = l as Listener & { batch?: (events: RunEvent[]) => void | Promise<void> };
        if (batchAware.batch) await batchAware.batch(out);
        else for (const e of out) await l(e);
      }
    }
  }

  evalCtx() {
    return { now: this.now };
  }

  /** Run from the start, or continue a resumed run. */
  async run(): Promise<RunResult> {
    try {
      if (this.options.history && this.options.history.length > 0) await this.replay(this.options.history);
      else await this.start();
      await this.loop();
    } catch (err) {
      if (this.state.status !== 'running') throw err;
      await this.emit({
        type: 'run.end',
        status: 'failed',
        outcome: 'failed',
        error: serializeError(err),
        message: (err as Error).message,
        endedAt: this.now().toISOString(),
      });
    }
    return this.result();
  }

  private async start(): Promise<void> {
    const o = this.options;
    const inputs = await resolveInputs(o.doc, o.inputs ?? {}, {
      now: this.now,
      run: this.state.run as unknown as Record<string, unknown>,
    });
    for (const [name, spec] of Object.entries(o.doc.inputs ?? {})) if (spec.secret) this.redactor.add(inputs[name]);
    const runId = o.runId ?? defaultRunId(this.now());
    // Runbook-level vars may be templates over the inputs.
    const vars = o.doc.vars
      ? (evaluate(o.doc.vars, { inputs, run: { ...this.state.run, id: runId } }, this.evalCtx()) as Record<
          string,
          unknown
        >)
      : undefined;
    await this.emit({
      type: 'run.start',
      ...(vars ? { vars } : {}),
      runId,
      runbook: this.state.runbook,
      inputs,
      actor: o.actor ?? 'unknown',
      dryRun: this.mode.dryRun,
      simulated: this.mode.name === 'simulate',
      startedAt: this.now().toISOString(),
      ...(o.aws ? { aws: { ...o.aws } } : {}),
    });
  }

  private result(): RunResult {
    const s = this.state;
    return {
      runId: s.run.id,
      status: s.status,
      outcome: s.outcome,
      message: s.message,
      error: s.error,
      waiting: s.waiting,
      state: s,
      changes: this.changes,
    };
  }

  private async replay(history: RunEvent[]): Promise<void> {
    for (const e of history) {
      reduce(this.state, e);
      if (e.type === 'step.end' && e.plan)
        this.changes.push({
          step: e.step,
          action: this.flow.steps.get(e.step)?.step.action ?? '',
          status: e.status,
          plan: e.plan,
        });
    }
    const s = this.state;
    const retry = s.status === 'failed' && s.failedStep ? s.failedStep : undefined;
    if (s.status === 'completed' || s.status === 'aborted' || (s.status === 'failed' && !retry)) {
      throw new IrunError(
        'IRUN_RUN_ENDED',
        `run ${s.run.id} has already ended (${s.status}${s.error ? `: ${s.error.message}` : ''}); nothing to resume`,
        { exit: 1 },
      );
    }
    // Secrets are redacted in the journal: take them again from this session's inputs.
    for (const [name, spec] of Object.entries(this.options.doc.inputs ?? {})) {
      if (
        this.options.inputs &&
        this.options.inputs[name] !== undefined &&
        (spec.secret || s.inputs[name] === '[REDACTED]')
      ) {
        s.inputs[name] = this.options.inputs[name];
        this.redactor.add(this.options.inputs[name]);
      }
    }
    const interrupted = s.inFlight ?? undefined;
    const waitingStep = s.waiting?.step;
    await this.emit({
      type: 'run.resume',
      actor: this.options.actor ?? 'unknown',
      at: this.now().toISOString(),
      ...(interrupted ? { interrupted } : {}),
      ...(waitingStep ? { waitingStep } : {}),
      ...(retry ? { retry } : {}),
    });
  }

  private async loop(): Promise<void> {
    while (this.state.status === 'running') {
      const cursor = this.state.cursor;
      if (this.options.signal?.aborted) {
        await this.cancelled(cursor);
        return;
      }
      if (cursor === null) {
        await this.endParts();
        await this.emit({
          type: 'run.end',
          status: 'completed',
          outcome: 'completed',
          endedAt: this.now().toISOString(),
        });
        return;
      }
      const loc = this.flow.steps.get(cursor);
      if (!loc) throw new IrunError(Codes.UNKNOWN_TARGET, `flow reached unknown step '${cursor}'`);
      // A part starts when the flow enters it while it is not running (first time, or again
      // after it completed), or when a jump lands on its first step from inside it (a loop).
      if (this.state.parts[loc.part.id].status !== 'running' || this.enteringAgain) {
        await this.emit({ type: 'part.start', part: loc.part.id });
      }
      this.enteringAgain = false;
      await this.step(loc);
    }
  }

  private async cancelled(step: string | null): Promise<void> {
    await this.emit({
      type: 'run.end',
      status: 'failed',
      outcome: 'failed',
      ...(step ? { step } : {}),
      error: { code: Codes.ABORTED, message: 'cancelled by the user' },
      message: `cancelled by the user${step ? ` at step '${step}'` : ''}; irun resume continues from there`,
      endedAt: this.now().toISOString(),
    });
  }

  /** At the end of a run, every part still running ends. */
  private async endParts(): Promise<void> {
    for (const [id, p] of Object.entries(this.state.parts))
      if (p.status === 'running') await this.emit({ type: 'part.end', part: id });
  }

  private async step(loc: StepLoc): Promise<void> {
    const { step } = loc;
    const visit = this.state.steps[step.id].visits + 1;
    const max = step.maxVisits ?? DEFAULT_MAX_VISITS;
    if (visit > max) {
      throw new IrunError(
        Codes.MAX_VISITS,
        `step '${step.id}' was reached ${visit} times (maxVisits ${max}): the flow loops; raise maxVisits if this is intended`,
        { details: { step: step.id, maxVisits: max } },
      );
    }
    const kind = stepKind(step) ?? 'unknown';
    const registered = step.action ? await this.options.registry.require(step.action) : undefined;
    const started = Date.now();
    await this.emit({
      type: 'step.start',
      step: step.id,
      part: loc.part.id,
      kind,
      visit,
      ...(step.ref ? { ref: step.ref } : {}),
      ...(step.title ? { title: step.title } : {}),
      ...(step.action ? { action: step.action, effect: registered?.def.effect } : {}),
    });
    let out: StepOutcome;
    try {
      if (step.if !== undefined && !this.condition(step.if)) out = { status: 'skipped', reason: 'condition false' };
      else out = await this.executeStep(loc, kind, registered, this.scope);
    } catch (err) {
      out = { status: 'failed', error: serializeError(err) };
    }
    if (this.options.signal?.aborted) {
      // Ctrl-C: the step did not finish; `irun resume` runs it again (a change needs approval again).
      await this.cancelled(step.id);
      return;
    }
    if (out.wait) {
      const { reason, message, plan } = out.wait;
      await this.emit({ type: 'run.waiting', step: step.id, reason, message, ...(plan ? { plan } : {}) });
      return;
    }
    const route = this.route(loc, out);
    if (route.error) out = { status: 'failed', error: route.error };
    await this.endStep(loc, registered, out, route, Date.now() - started);
  }

  /** Where the flow goes after a step: onError, end, call, jump, or the successor. */
  private route(loc: StepLoc, out: StepOutcome): Route {
    const { step } = loc;
    const frames = this.state.callStack;
    if (out.status === 'failed') {
      const onError = step.onError ?? 'fail';
      if (onError === 'continue') return this.flow.successor(loc, frames);
      if (typeof onError === 'object' && onError.goto) return { ...this.flow.jump(loc, onError.goto), pop: 0 };
      return { next: null, pop: 0, ended: [], failRun: true };
    }
    if (out.end) return { next: null, pop: 0, ended: [], endRun: out.end };
    if (out.call) {
      if (this.state.callStack.length + 1 > MAX_CALL_DEPTH) {
        const err = new IrunError(
          Codes.CALL_DEPTH,
          `call stack deeper than ${MAX_CALL_DEPTH} at step '${step.id}' (calling part '${out.call}')`,
        );
        return { next: null, pop: 0, ended: [], failRun: true, error: serializeError(err) };
      }
      const target = this.flow.parts.get(out.call);
      if (!target) throw new IrunError(Codes.UNKNOWN_TARGET, `step '${step.id}' calls unknown part '${out.call}'`);
      const first = target.part.steps[0]?.id ?? null;
      if (first === null) return this.flow.successor(loc, frames);
      return { next: first, push: { part: out.call, caller: step.id }, pop: 0, ended: [] };
    }
    if (out.jump) return { ...this.flow.jump(loc, out.jump), pop: 0 };
    // `next` applies after the step ran; a step skipped by its `if` continues in order.
    return this.flow.successor(loc, frames, 0, out.status !== 'skipped');
  }

  private async endStep(
    loc: StepLoc,
    registered: RegisteredAction | undefined,
    out: StepOutcome,
    route: Route,
    durationMs: number,
  ): Promise<void> {
    const { step } = loc;
    const { next, push, pop, ended } = route;
    const end: StepEndEvent = {
      type: 'step.end',
      step: step.id,
      status: out.status,
      durationMs,
      next,
      ...(out.output !== undefined ? { output: out.output } : {}),
      ...(out.outputs ? { outputs: out.outputs } : {}),
      ...(out.error ? { error: out.error } : {}),
      ...(push ? { push } : {}),
      ...(pop ? { pop } : {}),
      ...(out.vars ? { vars: out.vars } : {}),
      ...(out.reason ? { reason: out.reason } : {}),
      ...(out.input !== undefined ? { input: out.input } : {}),
      ...(out.before !== undefined ? { before: out.before } : {}),
      ...(out.plan ? { plan: out.plan } : {}),
      ...(out.evidence?.length ? { evidence: out.evidence } : {}),
      ...(out.reversible !== undefined ? { reversible: out.reversible } : {}),
      ...(out.attempts && out.attempts > 1 ? { attempts: out.attempts } : {}),
    };
    const evidenceEvents: RunEvent[] = (out.evidence ?? []).map((ref) => ({ type: 'evidence', step: step.id, ref }));
    // Evidence lines and step.end are written together: after a crash either both are in the
    // journal or neither is.
    await this.emit(...evidenceEvents, end);
    if (out.plan && registered?.def.effect === 'mutate')
      this.changes.push({ step: step.id, action: step.action!, status: out.status, plan: out.plan });
    for (const p of ended) await this.emit({ type: 'part.end', part: p });
    if (next !== null) {
      const target = this.flow.steps.get(next);
      if (target && target.index === 0 && target.part.id === loc.part.id && !push) this.enteringAgain = true;
    }
    if (route.failRun) {
      const err = out.error!;
      await this.emit({
        type: 'run.end',
        status: 'failed',
        outcome: 'failed',
        step: step.id,
        error: err,
        message: `step '${step.id}' failed: ${err.message}`,
        endedAt: this.now().toISOString(),
      });
    } else if (route.endRun) {
      const { status, message } = route.endRun;
      await this.endParts();
      await this.emit({
        type: 'run.end',
        status: status === 'aborted' ? 'aborted' : 'completed',
        outcome: status,
        ...(message ? { message } : {}),
        endedAt: this.now().toISOString(),
      });
    }
  }

  condition(expr: string | boolean, scope: Record<string, unknown> = this.scope): boolean {
    if (typeof expr === 'boolean') return expr;
    return truthy(evaluateString(expr, scope, this.evalCtx()));
  }

  /** The stage for a step's kind. */
  async executeStep(
    loc: StepLoc,
    kind: string,
    registered: RegisteredAction | undefined,
    scope: Record<string, unknown>,
  ): Promise<StepOutcome> {
    const { step } = loc;
    switch (kind) {
      case 'forEach':
        return runForEach(this, loc, registered);
      case 'action':
        return runAction(this, { step, action: registered!, scope });
      case 'manual':
        return this.manual(loc, scope);
      case 'call':
        return { status: 'completed', call: step.call! };
      case 'goto':
        return { status: 'completed', jump: step.goto! };
      case 'branch':
        return this.branch(step, scope);
      case 'set': {
        const vars = evaluate(step.set!, scope, this.evalCtx()) as Record<string, unknown>;
        return { status: 'completed', vars, output: vars };
      }
      case 'end': {
        const message = step.end!.message ? render(step.end!.message, scope, this.evalCtx()) : undefined;
        return {
          status: 'completed',
          end: { status: step.end!.status, message },
          output: { status: step.end!.status, message },
        };
      }
      default:
        throw new IrunError(
          Codes.RUNBOOK_INVALID,
          `step '${step.id}' has no kind (action, manual, call, goto, branch, set, end or forEach)`,
        );
    }
  }

  private branch(step: Step, scope: Record<string, unknown>): StepOutcome {
    const cases = step.branch!;
    const fallback = step.default;
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      if (c.if === undefined || this.condition(c.if, scope)) {
        const output = { case: i, ...(c.goto ? { goto: c.goto } : {}), ...(c.call ? { call: c.call } : {}) };
        return c.call ? { status: 'completed', call: c.call, output } : { status: 'completed', jump: c.goto!, output };
      }
    }
    if (fallback) return { status: 'completed', jump: fallback, output: { case: 'default', goto: fallback } };
    return { status: 'completed', output: { case: null } };
  }

  private async manual(loc: StepLoc, scope: Record<string, unknown>): Promise<StepOutcome> {
    const { step, part } = loc;
    const m = step.manual!;
    const ec = this.evalCtx();
    const instructions = m.instructions ? render(m.instructions, scope, ec) : '';
    const checklist = (m.checklist ?? []).map((c) => render(c, scope, ec));
    const ask = m.ask
      ? {
          ...m.ask,
          ...(m.ask.message ? { message: render(m.ask.message, scope, ec) } : {}),
          ...(m.ask.default !== undefined ? { default: evaluate(m.ask.default, scope, ec) } : {}),
        }
      : undefined;
    // An answer recorded before a pause (resume with --answer) is used as is.
    let value: unknown;
    if (Object.hasOwn(this.state.answers, step.id) && this.state.steps[step.id].status === 'waiting') {
      value = this.state.answers[step.id];
    } else {
      const answer = await this.options.human.answer({ step, part, instructions, checklist, ...(ask ? { ask } : {}) });
      if (answer === undefined) {
        return {
          status: 'waiting',
          wait: { reason: 'answer', message: ask?.message ?? step.title ?? `manual step '${step.id}'` },
        };
      }
      value = coerceAnswer(step, answer.value);
      await this.emit({
        type: 'answer',
        step: step.id,
        value,
        actor: answer.actor,
        at: this.now().toISOString(),
        source: answer.source,
        ...(answer.checklist ? { checklist: answer.checklist } : {}),
      });
    }
    const outputs = step.outputs
      ? (evaluate(step.outputs, { ...scope, result: value }, ec) as Record<string, unknown>)
      : undefined;
    return { status: 'completed', output: value, ...(outputs ? { outputs } : {}) };
  }

  private awsFor(step: Step): AwsSettings {
    const { doc, aws } = this.options;
    const fromDoc = doc.aws ? (evaluate(doc.aws, this.scope, this.evalCtx()) as AwsSettings) : {};
    const fromStep = step.aws ? (evaluate(step.aws, this.scope, this.evalCtx()) as AwsSettings) : {};
    const merged: AwsSettings = { ...(aws ?? {}) };
    for (const src of [fromDoc, fromStep])
      for (const [k, v] of Object.entries(src))
        if (v !== null && v !== undefined && v !== '') (merged as Record<string, unknown>)[k] = v;
    return merged;
  }

  private evidenceFor(stepId: string): EvidenceStore {
    let s = this.evidenceStores.get(stepId);
    if (!s) {
      s = this.options.evidenceFor ? this.options.evidenceFor(stepId) : new MemoryEvidence(stepId);
      this.evidenceStores.set(stepId, s);
    }
    return s;
  }

  actionContext(call: StepCall, signal: AbortSignal, saved: EvidenceRef[]): ActionContext {
    const { step, action } = call;
    return makeActionContext({
      runId: this.state.run.id,
      stepId: step.id,
      action: action.id,
      dryRun: this.mode.dryRun,
      signal,
      aws: this.awsFor(step),
      shared: this.shared,
      version: this.options.version ?? '0.0.0',
      now: this.now,
      evidence: this.evidenceFor(step.id),
      redactor: this.redactor,
      saved,
      emit: (e) => void this.emit(e),
    });
  }
}

/** Run ids sort by time and are safe as folder names: 20261130T214900Z-1a2b3c. */
export function defaultRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 6)}`;
}

export async function execute(options: ExecuteOptions): Promise<RunResult> {
  return new Executor(options).run();
}
