/**
 * The step pipeline: how an action step runs, stage by stage, on one per-step context
 * (`StepCall`: step, registered action, scope, input, attempt, forEach item).
 *
 *   1. input     evaluate the step's `with:` against the scope            (resolveInput)
 *   2. validate  check the input against the action's input schema        (validateInput)
 *   3. guard     one AbortController per attempt: step timeout, run cancel (runAttempt)
 *   4. mode      the run mode, chosen once per run (modes.ts), runs the action:
 *                  read   - live: call it; simulate: the scenario answers
 *                  mutate - capture the before-state (saved once as evidence),
 *                           approval (approval.ts), run, reversibility;
 *                           dry-run: capture + preview, recorded as planned
 *   5. output    check the output against its schema, evaluate `outputs:`   (finishOutput)
 *   6. failure   retry per `retry:`; what is left is handed to the flow, whose `onError`
 *                (fail, continue, goto) decides where the run goes          (runAction)
 *
 * A forEach runs stages 1-6 per item (foreach.ts) after one approval of the whole change
 * (approval.ts `approveItems`, where per-item approval goes). A failure policy that ends a read
 * step as `unavailable` or waits for a human decision (retry, skip, enter by hand, abort) goes
 * in `settleFailure` below: it sees the failed outcome after the retries and may replace it.
 * Every state change is an event the executor emits and `reduce` folds.
 */
import { setMaxListeners } from 'node:events';
import { Codes, IrunError, serializeError } from '../errors.js';
import { evaluate, hasTemplate } from '../template/index.js';
import { parseDuration } from '../util/duration.js';
import { sleep } from './context.js';
import type { Attempt, StepCall, StepOutcome, StepServices } from './step.js';

/** Stages 1-6 for an action step (or one forEach item): every attempt, then the failure stage. */
export async function runAction(svc: StepServices, call: Omit<StepCall, 'input' | 'attempt'>): Promise<StepOutcome> {
  const { step } = call;
  const attempts = Math.max(1, step.retry?.attempts ?? 1);
  const base = parseDuration(step.retry?.delay, `step '${step.id}' retry.delay`) ?? 1000;
  const backoff = step.retry?.backoff ?? 'exponential';
  for (let attempt = 1; ; attempt++) {
    const out = await attemptAction(svc, { ...call, input: undefined, attempt });
    if (out.status !== 'failed' || attempt >= attempts || out.error?.code === Codes.ACTION_INPUT)
      return settleFailure(svc, call, { ...out, attempts: attempt });
    const factor =
      backoff === 'fixed' ? 1 : backoff === 'exponential' ? 2 ** (attempt - 1) : Number(backoff) ** (attempt - 1);
    const delayMs = Math.round(base * factor);
    await svc.emit({ type: 'step.retry', step: step.id, attempt, delayMs, error: out.error! });
    await sleep(delayMs, svc.options.signal);
  }
}

/**
 * The failure stage, after the retries: today a failure goes to the flow unchanged (onError).
 * This is where a step may instead end `unavailable` or wait for a human's decision.
 */
export async function settleFailure(
  _svc: StepServices,
  _call: Omit<StepCall, 'input' | 'attempt'>,
  out: StepOutcome,
): Promise<StepOutcome> {
  return out;
}

/** One attempt: input, validation, then the guarded mode stage. */
export async function attemptAction(svc: StepServices, call: StepCall): Promise<StepOutcome> {
  try {
    call.input = resolveInput(svc, call);
  } catch (err) {
    return { status: 'failed', error: serializeError(err) };
  }
  const invalid = validateInput(call);
  const out = invalid ?? (await runAttempt(svc, call));
  return { ...out, input: call.input };
}

function resolveInput(svc: StepServices, call: StepCall): unknown {
  return evaluateInput(call.step.with ?? {}, call.scope, svc.evalCtx());
}

function validateInput(call: StepCall): StepOutcome | undefined {
  const check = call.action.validateInput(call.input);
  if (check.ok) return undefined;
  const err = new IrunError(
    Codes.ACTION_INPUT,
    `input of '${call.action.id}' at step '${call.step.id}' is invalid: ${check.message}`,
  );
  return { status: 'failed', error: serializeError(err) };
}

/** The guard around the mode stage: a timeout and the run's cancel abort the attempt. */
async function runAttempt(svc: StepServices, call: StepCall): Promise<StepOutcome> {
  const { step } = call;
  const timeoutMs = parseDuration(step.timeout, `step '${step.id}' timeout`);
  const controller = new AbortController();
  // Every SDK request of the step listens on this signal (bulk actions have many in flight).
  // A finite limit: Node 20 getMaxListeners() throws on a signal whose limit is 0.
  setMaxListeners(4096, controller.signal);
  const parentAbort = () => controller.abort(new IrunError(Codes.ABORTED, 'run cancelled'));
  svc.options.signal?.addEventListener('abort', parentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const e = new IrunError(Codes.TIMEOUT, `step '${step.id}' timed out after ${step.timeout}`);
        controller.abort(e);
        reject(e);
      }, timeoutMs);
    }
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  stopped.catch(() => undefined);
  const saved: Attempt['saved'] = [];
  const attempt: Attempt = {
    call,
    svc,
    saved,
    ctx: svc.actionContext(call, controller.signal, saved),
    guard: (p) => Promise.race([p, stopped]),
  };
  try {
    return call.action.def.effect === 'mutate' ? await svc.mode.mutate(attempt) : await svc.mode.read(attempt);
  } catch (err) {
    return { status: 'failed', error: serializeError(err), evidence: saved };
  } finally {
    if (timer) clearTimeout(timer);
    svc.options.signal?.removeEventListener('abort', parentAbort);
  }
}

/** The output stage: the output must match the action's schema; `outputs:` is evaluated over it. */
export function finishOutput(a: Attempt, output: unknown, extra: Partial<StepOutcome> = {}): StepOutcome {
  const { step, action, scope } = a.call;
  const normalized = output === undefined ? null : output;
  const check = action.validateOutput(normalized);
  if (!check.ok) {
    throw new IrunError(
      Codes.ACTION_OUTPUT,
      `output of '${action.id}' at step '${step.id}' does not match its schema: ${check.message}`,
    );
  }
  const outputs = step.outputs
    ? (evaluate(step.outputs, { ...scope, result: normalized }, a.svc.evalCtx()) as Record<string, unknown>)
    : undefined;
  return { status: 'completed', output: normalized, ...(outputs ? { outputs } : {}), ...extra, evidence: a.saved };
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
