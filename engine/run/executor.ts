/**
 * The executor: the flow state machine of DESIGN.md §2. It walks steps, evaluates templates,
 * calls actions (or the simulator), asks the human, and emits events. State changes only through
 * `reduce(event)`, so the journal of a run is enough to resume it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Codes, IrunError, serializeError, type SerializedError } from '../errors.js';
import type { Part, RunbookDoc, Step } from '../model.js';
import { stepKind } from '../model.js';
import type { ActionContext, AwsSettings, EvidenceRef, EvidenceStore, PlannedChange } from '../plugins/api.js';
import type { RegisteredAction, Registry } from '../plugins/registry.js';
import { evaluate, evaluateString, hasTemplate, render, truthy } from '../template/index.js';
import { parseDuration } from '../util/duration.js';
import { Redactor } from '../util/redact.js';
import type { Frame, Listener, Outcome, RunEvent, RunStatus, StepEndEvent } from './events.js';
import { coerceAnswer, type Human } from './human.js';
import { resolveInputs } from './inputs.js';
import { initialState, reduce, type RunState } from './state.js';

export const DEFAULT_MAX_VISITS = 3;
export const MAX_CALL_DEPTH = 16;

/** Answers actions in simulation (tabletop) mode instead of calling them. */
export interface Simulator {
  call(request: {
    step: Step;
    action: string;
    effect: 'read' | 'mutate';
    input: unknown;
    item?: unknown;
  }): Promise<unknown>;
}

export interface ExecuteOptions {
  doc: RunbookDoc;
  file: string;
  sha256: string;
  registry: Registry;
  human: Human;
  /** Raw inputs (strings from the command line are coerced by the declared type). */
  inputs?: Record<string, unknown>;
  simulator?: Simulator;
  dryRun?: boolean;
  actor?: string;
  runId?: string;
  /** AWS settings from the command line; the runbook's `aws:` and each step's `aws:` refine them. */
  aws?: AwsSettings;
  listeners?: Listener[];
  /** Evidence store for a step (the run store gives one writing files; default: in memory). */
  evidenceFor?: (stepId: string) => EvidenceStore;
  now?: () => Date;
  version?: string;
  /** Events of an earlier session of this run (resume). */
  history?: RunEvent[];
  /** Cancels the run (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  outcome?: Outcome;
  message?: string;
  error?: SerializedError;
  waiting?: RunState['waiting'];
  state: RunState;
  /** Every change made (or planned, under dry-run), in order. */
  changes: { step: string; action: string; status: string; plan?: PlannedChange }[];
}

interface StepLoc {
  step: Step;
  part: Part;
  index: number;
  partIndex: number;
}

/** What executing one step decided. */
interface Outcome1 {
  status: StepEndEvent['status'];
  input?: unknown;
  output?: unknown;
  outputs?: Record<string, unknown>;
  error?: SerializedError;
  jump?: string;
  call?: string;
  end?: { status: Outcome; message?: string };
  vars?: Record<string, unknown>;
  reason?: string;
  before?: unknown;
  plan?: PlannedChange;
  evidence?: EvidenceRef[];
  reversible?: true | string;
  attempts?: number;
  /** Pause the run here. */
  wait?: { reason: 'answer' | 'approval'; message: string; plan?: PlannedChange };
}

/** Names assigned by `set:` steps anywhere in the runbook (declared vars). */
export function declaredVars(doc: RunbookDoc): string[] {
  const names = new Set(Object.keys(doc.vars ?? {}));
  for (const part of doc.parts)
    for (const step of part.steps) if (step.set) for (const k of Object.keys(step.set)) names.add(k);
  return [...names];
}

class MemoryEvidence implements EvidenceStore {
  private readonly files = new Map<string, string>();
  private n = 0;
  constructor(private readonly stepId: string) {}
  async save(name: string, data: unknown): Promise<EvidenceRef> {
    const text = typeof data === 'string' ? data : JSON.stringify(data, null, 2);
    const file = `evidence/${this.stepId}-${++this.n}-${name}.json`;
    this.files.set(file, text);
    return { name, file, sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
  }
  async read(file: string): Promise<string> {
    const t = this.files.get(file);
    if (t === undefined) throw new IrunError(Codes.INTERNAL, `no evidence file ${file}`);
    return t;
  }
}

export class Executor {
  readonly state: RunState;
  private readonly o: ExecuteOptions;
  private readonly steps = new Map<string, StepLoc>();
  private readonly parts = new Map<string, { part: Part; index: number }>();
  private readonly listeners: Listener[];
  private readonly redactor = new Redactor();
  private readonly shared = new Map<string, unknown>();
  private readonly now: () => Date;
  private readonly scope: Record<string, unknown>;
  private readonly changes: RunResult['changes'] = [];
  private evidenceStores = new Map<string, EvidenceStore>();

  constructor(options: ExecuteOptions) {
    this.o = options;
    // forEach items each listen for a cancel of the run.
    if (options.signal) setMaxListeners(4096, options.signal);
    this.now = options.now ?? (() => new Date());
    this.listeners = options.listeners ?? [];
    options.doc.parts.forEach((part, partIndex) => {
      this.parts.set(part.id, { part, index: partIndex });
      part.steps.forEach((step, index) => this.steps.set(step.id, { step, part, index, partIndex }));
    });
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
  private async emit(...events: RunEvent[]): Promise<void> {
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

  private evalCtx() {
    return { now: this.now };
  }

  /** Run from the start, or continue a resumed run. */
  async run(): Promise<RunResult> {
    const o = this.o;
    try {
      if (o.history && o.history.length > 0) {
        await this.replay(o.history);
      } else {
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
          dryRun: !!o.dryRun,
          simulated: !!o.simulator,
          startedAt: this.now().toISOString(),
          ...(o.aws ? { aws: { ...o.aws } } : {}),
        });
      }
      await this.loop();
    } catch (err) {
      if (this.state.status === 'running') {
        await this.emit({
          type: 'run.end',
          status: 'failed',
          outcome: 'failed',
          error: serializeError(err),
          message: (err as Error).message,
          endedAt: this.now().toISOString(),
        });
      } else {
        throw err;
      }
    }
    return this.result();
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
          action: this.steps.get(e.step)?.step.action ?? '',
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
    for (const [name, spec] of Object.entries(this.o.doc.inputs ?? {})) {
      if (this.o.inputs && this.o.inputs[name] !== undefined && (spec.secret || s.inputs[name] === '[REDACTED]')) {
        s.inputs[name] = this.o.inputs[name];
        this.redactor.add(this.o.inputs[name]);
      }
    }
    const interrupted = s.inFlight ?? undefined;
    const waitingStep = s.waiting?.step;
    await this.emit({
      type: 'run.resume',
      actor: this.o.actor ?? 'unknown',
      at: this.now().toISOString(),
      ...(interrupted ? { interrupted } : {}),
      ...(waitingStep ? { waitingStep } : {}),
      ...(retry ? { retry } : {}),
    });
  }

  private async loop(): Promise<void> {
    while (this.state.status === 'running') {
      const cursor = this.state.cursor;
      if (this.o.signal?.aborted) {
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
      const loc = this.steps.get(cursor);
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

  /** Set when a jump lands on the first step of the part it is in (a loop re-entering the part). */
  private enteringAgain = false;

  private async step(loc: StepLoc): Promise<void> {
    const { step } = loc;
    const rec = this.state.steps[step.id];
    const visit = rec.visits + 1;
    const max = step.maxVisits ?? DEFAULT_MAX_VISITS;
    if (visit > max) {
      throw new IrunError(
        Codes.MAX_VISITS,
        `step '${step.id}' was reached ${visit} times (maxVisits ${max}): the flow loops; raise maxVisits if this is intended`,
        {
          details: { step: step.id, maxVisits: max },
        },
      );
    }
    const kind = stepKind(step) ?? 'unknown';
    let registered: RegisteredAction | undefined;
    if (step.action) registered = await this.o.registry.require(step.action);
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

    let out: Outcome1;
    try {
      if (step.if !== undefined && !this.condition(step.if)) {
        out = { status: 'skipped', reason: 'condition false' };
      } else {
        out = await this.execute(loc, kind, registered);
      }
    } catch (err) {
      out = { status: 'failed', error: serializeError(err) };
    }

    if (this.o.signal?.aborted) {
      // Ctrl-C: the step did not finish; `irun resume` runs it again (a change needs approval again).
      await this.cancelled(step.id);
      return;
    }
    if (out.wait) {
      await this.emit({
        type: 'run.waiting',
        step: step.id,
        reason: out.wait.reason,
        message: out.wait.message,
        ...(out.wait.plan ? { plan: out.wait.plan } : {}),
      });
      return;
    }

    // Where next.
    let next: string | null;
    let push: Frame | undefined;
    let pop = 0;
    let ended: string[] = [];
    let endRun: { status: Outcome; message?: string } | undefined;
    let failRun = false;
    if (out.status === 'failed') {
      const onError = step.onError ?? 'fail';
      if (onError === 'continue') ({ next, pop, ended } = this.successor(loc));
      else if (typeof onError === 'object' && onError.goto) ({ next, ended } = this.jump(loc, onError.goto));
      else {
        next = null;
        failRun = true;
      }
    } else if (out.end) {
      next = null;
      endRun = out.end;
    } else if (out.call) {
      if (this.state.callStack.length + 1 > MAX_CALL_DEPTH) {
        out = {
          status: 'failed',
          error: serializeError(
            new IrunError(
              Codes.CALL_DEPTH,
              `call stack deeper than ${MAX_CALL_DEPTH} at step '${step.id}' (calling part '${out.call}')`,
            ),
          ),
        };
        next = null;
        failRun = true;
      } else {
        const target = this.parts.get(out.call);
        if (!target) throw new IrunError(Codes.UNKNOWN_TARGET, `step '${step.id}' calls unknown part '${out.call}'`);
        push = { part: out.call, caller: step.id };
        next = target.part.steps[0]?.id ?? null;
        if (next === null) {
          push = undefined;
          ({ next, pop, ended } = this.successor(loc));
        }
      }
    } else if (out.jump) {
      ({ next, ended } = this.jump(loc, out.jump));
    } else {
      // `next` applies after the step ran; a step skipped by its `if` continues in order.
      ({ next, pop, ended } = this.successor(loc, this.state.callStack, 0, out.status !== 'skipped'));
    }

    const end: StepEndEvent = {
      type: 'step.end',
      step: step.id,
      status: out.status,
      durationMs: Date.now() - started,
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
      const target = this.steps.get(next);
      if (target && target.index === 0 && target.part.id === loc.part.id && !push) this.enteringAgain = true;
    }

    if (failRun) {
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
    } else if (endRun) {
      await this.endParts();
      await this.emit({
        type: 'run.end',
        status: endRun.status === 'aborted' ? 'aborted' : 'completed',
        outcome: endRun.status,
        ...(endRun.message ? { message: endRun.message } : {}),
        endedAt: this.now().toISOString(),
      });
    }
  }

  private condition(expr: string | boolean): boolean {
    if (typeof expr === 'boolean') return expr;
    return truthy(evaluateString(expr, this.scope, this.evalCtx()));
  }

  /** First step of a part, or the step itself. */
  private resolveTarget(target: string): string | null {
    if (this.steps.has(target)) return target;
    const p = this.parts.get(target);
    if (p) return p.part.steps[0]?.id ?? null;
    throw new IrunError(Codes.UNKNOWN_TARGET, `unknown goto target '${target}'`);
  }

  private jump(loc: StepLoc, target: string): { next: string | null; ended: string[] } {
    const next = this.resolveTarget(target);
    const to = next ? this.steps.get(next) : undefined;
    const ended = !to || to.part.id !== loc.part.id ? [loc.part.id] : [];
    return { next, ended };
  }

  /**
   * The step after `loc`: its `next`, the next step of its part, or at the end of the part a
   * return to the caller (when the part was called) or the first step of the next part.
   */
  private successor(
    loc: StepLoc,
    frames: Frame[] = this.state.callStack,
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
    for (let i = loc.partIndex + 1; i < this.o.doc.parts.length; i++) {
      const first = this.o.doc.parts[i].steps[0];
      if (first) return { next: first.id, pop: popped, ended: [loc.part.id] };
    }
    return { next: null, pop: popped, ended: [loc.part.id] };
  }

  private async execute(loc: StepLoc, kind: string, registered: RegisteredAction | undefined): Promise<Outcome1> {
    const { step } = loc;
    switch (kind) {
      case 'forEach':
        return this.forEach(loc, registered);
      case 'action':
        return this.withRetry(step, (attempt) => this.action(step, registered!, this.scope, attempt));
      case 'manual':
        return this.manual(loc);
      case 'call':
        return { status: 'completed', call: step.call! };
      case 'goto':
        return { status: 'completed', jump: step.goto! };
      case 'branch':
        return this.branch(step);
      case 'set': {
        const vars = evaluate(step.set!, this.scope, this.evalCtx()) as Record<string, unknown>;
        return { status: 'completed', vars, output: vars };
      }
      case 'end': {
        const message = step.end!.message ? render(step.end!.message, this.scope, this.evalCtx()) : undefined;
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

  private branch(step: Step): Outcome1 {
    const cases = step.branch!;
    const fallback = step.default;
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      if (c.if === undefined || this.condition(c.if)) {
        const output = { case: i, ...(c.goto ? { goto: c.goto } : {}), ...(c.call ? { call: c.call } : {}) };
        return c.call ? { status: 'completed', call: c.call, output } : { status: 'completed', jump: c.goto!, output };
      }
    }
    if (fallback) return { status: 'completed', jump: fallback, output: { case: 'default', goto: fallback } };
    return { status: 'completed', output: { case: null } };
  }

  private async manual(loc: StepLoc): Promise<Outcome1> {
    const { step, part } = loc;
    const m = step.manual!;
    const ec = this.evalCtx();
    const instructions = m.instructions ? render(m.instructions, this.scope, ec) : '';
    const checklist = (m.checklist ?? []).map((c) => render(c, this.scope, ec));
    const ask = m.ask
      ? {
          ...m.ask,
          ...(m.ask.message ? { message: render(m.ask.message, this.scope, ec) } : {}),
          ...(m.ask.default !== undefined ? { default: evaluate(m.ask.default, this.scope, ec) } : {}),
        }
      : undefined;
    // An answer recorded before a pause (resume with --answer) is used as is.
    let value: unknown;
    if (Object.hasOwn(this.state.answers, step.id) && this.state.steps[step.id].status === 'waiting') {
      value = this.state.answers[step.id];
    } else {
      const answer = await this.o.human.answer({ step, part, instructions, checklist, ...(ask ? { ask } : {}) });
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
      ? (evaluate(step.outputs, { ...this.scope, result: value }, ec) as Record<string, unknown>)
      : undefined;
    return { status: 'completed', output: value, ...(outputs ? { outputs } : {}) };
  }

  private async withRetry(step: Step, fn: (attempt: number) => Promise<Outcome1>): Promise<Outcome1> {
    const attempts = Math.max(1, step.retry?.attempts ?? 1);
    const base = parseDuration(step.retry?.delay, `step '${step.id}' retry.delay`) ?? 1000;
    const backoff = step.retry?.backoff ?? 'exponential';
    for (let attempt = 1; ; attempt++) {
      const out = await fn(attempt);
      if (out.status !== 'failed' || attempt >= attempts || out.error?.code === Codes.ACTION_INPUT)
        return { ...out, attempts: attempt };
      const factor =
        backoff === 'fixed' ? 1 : backoff === 'exponential' ? 2 ** (attempt - 1) : Number(backoff) ** (attempt - 1);
      const delayMs = Math.round(base * factor);
      await this.emit({ type: 'step.retry', step: step.id, attempt, delayMs, error: out.error! });
      await sleep(delayMs, this.o.signal);
    }
  }

  private awsFor(step: Step): AwsSettings {
    const fromDoc = this.o.doc.aws ? (evaluate(this.o.doc.aws, this.scope, this.evalCtx()) as AwsSettings) : {};
    const fromStep = step.aws ? (evaluate(step.aws, this.scope, this.evalCtx()) as AwsSettings) : {};
    const merged: AwsSettings = { ...(this.o.aws ?? {}) };
    for (const src of [fromDoc, fromStep])
      for (const [k, v] of Object.entries(src))
        if (v !== null && v !== undefined && v !== '') (merged as Record<string, unknown>)[k] = v;
    return merged;
  }

  private evidenceFor(stepId: string): EvidenceStore {
    let s = this.evidenceStores.get(stepId);
    if (!s) {
      s = this.o.evidenceFor ? this.o.evidenceFor(stepId) : new MemoryEvidence(stepId);
      this.evidenceStores.set(stepId, s);
    }
    return s;
  }

  private makeContext(step: Step, action: string, signal: AbortSignal, saved: EvidenceRef[]): ActionContext {
    const store = this.evidenceFor(step.id);
    const redactor = this.redactor;
    const emit = (e: RunEvent) => {
      void this.emit(e);
    };
    return {
      runId: this.state.run.id,
      stepId: step.id,
      action,
      dryRun: !!this.o.dryRun,
      signal,
      aws: this.awsFor(step),
      shared: this.shared,
      version: this.o.version ?? '0.0.0',
      now: this.now,
      evidence: {
        save: async (name, data, options) => {
          const ref = await store.save(name, redactor.size ? redactor.redact(data) : data, options);
          saved.push(ref);
          return ref;
        },
        read: (file) => store.read(file),
      },
      log: {
        debug: (message, data) =>
          emit({ type: 'log', step: step.id, level: 'debug', message, ...(data ? { data } : {}) }),
        info: (message, data) =>
          emit({ type: 'log', step: step.id, level: 'info', message, ...(data ? { data } : {}) }),
        warn: (message, data) =>
          emit({ type: 'log', step: step.id, level: 'warn', message, ...(data ? { data } : {}) }),
      },
      progress: (progress) => emit({ type: 'progress', step: step.id, progress }),
      sleep: (ms) => sleep(ms, signal),
    };
  }

  /** One attempt of an action step (or of one forEach item when `item` scope is given). */
  private async action(
    step: Step,
    reg: RegisteredAction,
    scope: Record<string, unknown>,
    attempt: number,
    inForEach = false,
  ): Promise<Outcome1> {
    let input: unknown;
    try {
      input = evaluateInput(step.with ?? {}, scope, this.evalCtx());
    } catch (err) {
      return { status: 'failed', error: serializeError(err) };
    }
    const out = await this.actionWith(step, reg, scope, input, attempt, inForEach);
    return { ...out, input };
  }

  private async actionWith(
    step: Step,
    reg: RegisteredAction,
    scope: Record<string, unknown>,
    input: unknown,
    attempt: number,
    inForEach: boolean,
  ): Promise<Outcome1> {
    const check = reg.validateInput(input);
    if (!check.ok) {
      return {
        status: 'failed',
        error: serializeError(
          new IrunError(Codes.ACTION_INPUT, `input of '${reg.id}' at step '${step.id}' is invalid: ${check.message}`),
        ),
      };
    }
    const effect = reg.def.effect;
    const mutate = effect === 'mutate';
    const needsApproval =
      !this.o.dryRun && !inForEach && (step.approve === 'required' || (mutate && step.approve !== 'auto'));
    const timeoutMs = parseDuration(step.timeout, `step '${step.id}' timeout`);
    const controller = new AbortController();
    // Every SDK request of the step listens on this signal (bulk actions have many in flight).
    // A finite limit: Node 20 getMaxListeners() throws on a signal whose limit is 0.
    setMaxListeners(4096, controller.signal);
    const parentAbort = () => controller.abort(new IrunError(Codes.ABORTED, 'run cancelled'));
    this.o.signal?.addEventListener('abort', parentAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const e = new IrunError(Codes.TIMEOUT, `step '${step.id}' timed out after ${step.timeout}`);
          controller.abort(e);
          reject(e);
        }, timeoutMs);
      }
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    timedOut.catch(() => undefined);
    const saved: EvidenceRef[] = [];
    const ctx = this.makeContext(step, reg.id, controller.signal, saved);
    const guarded = <T>(p: Promise<T>) => Promise.race([p, timedOut]);
    try {
      // Simulation: the scenario answers; nothing reaches AWS.
      if (this.o.simulator) {
        if (needsApproval) {
          const plan: PlannedChange = { summary: `${reg.def.title ?? reg.id} (simulated)`, details: input };
          const decision = await this.approval(step, reg, input, plan, attempt);
          if (decision) return decision;
        }
        const output = await guarded(
          this.o.simulator.call({ step, action: reg.id, effect, input, ...(inForEach ? { item: scope.item } : {}) }),
        );
        return await this.finishAction(
          step,
          reg,
          scope,
          input,
          output,
          saved,
          undefined,
          mutate ? { summary: `${reg.id} (simulated)` } : undefined,
        );
      }
      let before: unknown;
      if (mutate && reg.def.capture) {
        before = await guarded(reg.def.capture(ctx, input));
        await ctx.evidence.save(`${step.id}-before`, before ?? null);
      }
      if (mutate && this.o.dryRun) {
        const plan = reg.def.preview
          ? await guarded(reg.def.preview(ctx, input, before))
          : { summary: `would run ${reg.id}`, details: input };
        return { status: 'planned', plan, before, evidence: saved };
      }
      if (needsApproval) {
        const plan = reg.def.preview
          ? await guarded(reg.def.preview(ctx, input, before))
          : { summary: `run ${reg.id}`, details: input };
        const decision = await this.approval(step, reg, input, plan, attempt);
        if (decision) return { ...decision, before, evidence: saved };
      }
      const output = await guarded(reg.def.run(ctx, input, before));
      let reversible: true | string | undefined;
      if (mutate)
        reversible = reg.def.reversible
          ? reg.def.reversible(input, before, output)
          : reg.def.undo
            ? true
            : `action ${reg.id} has no undo`;
      const plan = mutate ? { summary: `ran ${reg.id}` } : undefined;
      const done = await this.finishAction(step, reg, scope, input, output, saved, before, plan);
      return { ...done, ...(reversible !== undefined ? { reversible } : {}) };
    } catch (err) {
      return { status: 'failed', error: serializeError(err), evidence: saved };
    } finally {
      if (timer) clearTimeout(timer);
      this.o.signal?.removeEventListener('abort', parentAbort);
    }
  }

  /** Returns an outcome when the step must not run now (waiting or declined), else undefined. */
  private async approval(
    step: Step,
    reg: RegisteredAction,
    input: unknown,
    plan: PlannedChange,
    _attempt: number,
  ): Promise<Outcome1 | undefined> {
    const decision = await this.o.human.approve({ step, action: reg.id, input, plan });
    if (!decision) {
      return { status: 'waiting', wait: { reason: 'approval', message: `approve ${reg.id}: ${plan.summary}`, plan } };
    }
    await this.emit({
      type: 'approval',
      step: step.id,
      approved: decision.approved,
      actor: decision.actor,
      at: this.now().toISOString(),
      source: decision.source,
      plan,
    });
    if (!decision.approved) return { status: 'skipped', reason: 'declined', plan };
    return undefined;
  }

  private async finishAction(
    step: Step,
    reg: RegisteredAction,
    scope: Record<string, unknown>,
    _input: unknown,
    output: unknown,
    saved: EvidenceRef[],
    before: unknown,
    plan?: PlannedChange,
  ): Promise<Outcome1> {
    const normalized = output === undefined ? null : output;
    const check = reg.validateOutput(normalized);
    if (!check.ok) {
      throw new IrunError(
        Codes.ACTION_OUTPUT,
        `output of '${reg.id}' at step '${step.id}' does not match its schema: ${check.message}`,
      );
    }
    const outputs = step.outputs
      ? (evaluate(step.outputs, { ...scope, result: normalized }, this.evalCtx()) as Record<string, unknown>)
      : undefined;
    return {
      status: 'completed',
      output: normalized,
      ...(outputs ? { outputs } : {}),
      ...(before !== undefined ? { before } : {}),
      ...(plan ? { plan } : {}),
      evidence: saved,
    };
  }

  private async forEach(loc: StepLoc, registered: RegisteredAction | undefined): Promise<Outcome1> {
    const { step } = loc;
    const ec = this.evalCtx();
    const list =
      typeof step.forEach === 'string'
        ? evaluateString(step.forEach, this.scope, ec)
        : evaluate(step.forEach, this.scope, ec);
    if (!Array.isArray(list)) {
      throw new IrunError(
        Codes.TEMPLATE_EVAL,
        `forEach of step '${step.id}' must evaluate to a list, got ${list === null ? 'null' : typeof list}`,
      );
    }
    const concurrency = Math.max(
      1,
      Math.min(
        1024,
        Number(
          typeof step.concurrency === 'string'
            ? evaluateString(step.concurrency, this.scope, ec)
            : (step.concurrency ?? 1),
        ) || 1,
      ),
    );
    const as = step.as ?? 'item';
    const done = this.state.items[step.id] ?? {};
    const results: unknown[] = new Array(list.length);
    for (const [k, v] of Object.entries(done)) results[Number(k)] = v;

    if (step.call) {
      // A part per item, one at a time (the part's steps share the run's state).
      for (let i = 0; i < list.length; i++) {
        if (Object.hasOwn(done, i)) continue;
        const sub = await this.runPartForItem(step.call, { item: list[i], [as]: list[i], index: i });
        results[i] = sub;
        await this.emit({ type: 'item.end', step: step.id, index: i, output: sub });
      }
      return { status: 'completed', output: results };
    }

    if (!registered) throw new IrunError(Codes.RUNBOOK_INVALID, `forEach step '${step.id}' needs an action or a call`);
    // One approval covers every item of a mutating forEach.
    const mutate = registered.def.effect === 'mutate';
    if (!this.o.dryRun && mutate && step.approve !== 'auto') {
      const plan: PlannedChange = {
        summary: `${registered.id} for each of ${list.length} item(s)`,
        details: { count: list.length },
      };
      const decision = await this.approval(step, registered, { items: list.length }, plan, 1);
      if (decision) return decision;
    }
    const errors: SerializedError[] = [];
    const plans: (PlannedChange | undefined)[] = [];
    let nextIndex = 0;
    let failed = false;
    const worker = async () => {
      while (!failed) {
        const i = nextIndex++;
        if (i >= list.length) return;
        if (Object.hasOwn(done, i)) continue;
        const itemScope = { ...this.scope, item: list[i], [as]: list[i] };
        const out = await this.withRetry(step, (attempt) => this.action(step, registered, itemScope, attempt, true));
        if (out.status === 'failed') {
          errors.push({ ...out.error!, message: `item ${i}: ${out.error!.message}` });
          if ((step.onError ?? 'fail') === 'fail') failed = true;
          results[i] = null;
          await this.emit({ type: 'item.end', step: step.id, index: i, error: out.error });
        } else {
          if (out.plan) plans[i] = out.plan;
          const value = out.outputs ?? out.output ?? null;
          results[i] = value;
          const undoInfo =
            mutate && out.reversible !== undefined
              ? {
                  input: out.input,
                  before: out.before,
                  reversible: out.reversible,
                  ...(out.evidence?.length ? { evidence: out.evidence } : {}),
                }
              : {};
          const evidenceEvents: RunEvent[] = (out.evidence ?? []).map((ref) => ({
            type: 'evidence',
            step: step.id,
            ref,
          }));
          await this.emit(...evidenceEvents, { type: 'item.end', step: step.id, index: i, output: value, ...undoInfo });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
    if (errors.length) {
      return {
        status: 'failed',
        output: results,
        error: {
          code: errors[0].code,
          message: `${errors.length} of ${list.length} item(s) failed; first: ${errors[0].message}`,
        },
      };
    }
    if (mutate && this.o.dryRun) {
      const changing = plans.filter((p) => p && !p.noop);
      return {
        status: 'planned',
        output: results,
        plan: {
          summary: `${registered.id} for ${list.length} item(s): ${
            changing.length
              ? changing
                  .slice(0, 3)
                  .map((p) => p!.summary)
                  .join('; ') + (changing.length > 3 ? '; …' : '')
              : 'no change'
          }`,
          noop: changing.length === 0,
          details: plans,
        },
      };
    }
    return {
      status: 'completed',
      output: results,
      ...(mutate ? { plan: { summary: `${registered.id} for each of ${list.length} item(s)` } } : {}),
    };
  }

  /** Run every step of a part with extra scope (forEach + call); returns the part's outputs by step id. */
  private async runPartForItem(partId: string, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
    const target = this.parts.get(partId);
    if (!target) throw new IrunError(Codes.UNKNOWN_TARGET, `forEach calls unknown part '${partId}'`);
    const saved = { ...this.scope };
    Object.assign(this.scope, extra);
    try {
      const out: Record<string, unknown> = {};
      for (const step of target.part.steps) {
        const kind = stepKind(step);
        const reg = step.action ? await this.o.registry.require(step.action) : undefined;
        if (step.if !== undefined && !this.condition(step.if)) continue;
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
        const loc = this.steps.get(step.id)!;
        const r =
          kind === 'action'
            ? await this.withRetry(step, (a) => this.action(step, reg!, this.scope, a, true))
            : await this.execute(loc, kind!, reg);
        const index = extra.index as number;
        await this.emit({
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
        if (r.vars) Object.assign(this.state.vars, r.vars);
        const rec = this.state.steps[step.id];
        rec.output = r.output ?? null;
        rec.outputs = r.outputs ?? null;
        rec.status = r.status;
        out[step.id] = r.outputs ?? r.output ?? null;
      }
      return out;
    } finally {
      for (const k of Object.keys(extra)) delete this.scope[k];
      Object.assign(this.scope, saved);
    }
  }
}

/**
 * Evaluate an action's `with:`. A field whose template evaluates to null is left out, so an
 * optional input that was not given (`{{ inputs.kmsKeyArn }}`) means "not set", not null; so is
 * a map of such fields that ends up empty.
 */
export function evaluateInput(spec: unknown, scope: Record<string, unknown>, opts: { now: () => Date }): unknown {
  // `with: "{{ expr }}"` builds the whole input from one expression.
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return evaluate(spec, scope, opts);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    let value: unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      value = evaluateInput(v as Record<string, unknown>, scope, opts);
      // A group of optional fields none of which was given (batch: { roleArn: "{{ … }}" }) is left out too.
      if (Object.keys(v).length > 0 && Object.keys(value as object).length === 0) continue;
    } else value = evaluate(v, scope, opts);
    if ((value === null || value === undefined) && typeof v === 'string' && hasTemplate(v)) continue;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
