/**
 * Run state and the reducer that folds events into it. The state doubles as the template scope
 * (inputs, vars, steps, parts, run), so it is updated in place, step by step, never rebuilt.
 */
import type { SerializedError } from '../errors.js';
import type { RunbookDoc, StepStatus } from '../model.js';
import type { Frame, Outcome, RunEvent, RunStatus } from './events.js';

export interface StepRecord {
  output: unknown;
  outputs: Record<string, unknown> | null;
  status: StepStatus;
  error: SerializedError | null;
  visits: number;
}

export interface PartRecord {
  status: 'pending' | 'running' | 'completed';
  visits: number;
}

export interface RunInfo {
  id: string;
  actor: string;
  dryRun: boolean;
  simulated: boolean;
  startedAt: string;
}

export interface RunState {
  run: RunInfo;
  runbook: { id: string; title: string; file: string; sha256: string };
  status: RunStatus;
  outcome?: Outcome;
  message?: string;
  error?: SerializedError;
  inputs: Record<string, unknown>;
  vars: Record<string, unknown>;
  steps: Record<string, StepRecord>;
  parts: Record<string, PartRecord>;
  /** The step to run next (null: finished). */
  cursor: string | null;
  callStack: Frame[];
  /** Answers and approvals given so far (kept for resume and for the report). */
  answers: Record<string, unknown>;
  approvals: Record<string, boolean>;
  /** Partial forEach results by step id: index -> output. */
  items: Record<string, Record<number, unknown>>;
  /** A step that started but has not ended (crash detection on resume). */
  inFlight: string | null;
  waiting?: { step: string; reason: 'answer' | 'approval'; message: string };
  /** The step whose failure ended the run, if any. */
  failedStep?: string;
  endedAt?: string;
}

/** A fresh state with every declared name present (null when absent), as strict templates need. */
export function initialState(doc: RunbookDoc, declaredVars: string[]): RunState {
  const steps: Record<string, StepRecord> = {};
  const parts: Record<string, PartRecord> = {};
  for (const part of doc.parts) {
    parts[part.id] = { status: 'pending', visits: 0 };
    for (const step of part.steps)
      steps[step.id] = { output: null, outputs: null, status: 'pending', error: null, visits: 0 };
  }
  const vars: Record<string, unknown> = {};
  for (const name of declaredVars) vars[name] = null;
  for (const [k, v] of Object.entries(doc.vars ?? {})) vars[k] = v;
  const inputs: Record<string, unknown> = {};
  for (const k of Object.keys(doc.inputs ?? {})) inputs[k] = null;
  return {
    run: { id: '', actor: '', dryRun: false, simulated: false, startedAt: '' },
    runbook: { id: doc.id, title: doc.title, file: '', sha256: '' },
    status: 'running',
    inputs,
    vars,
    steps,
    parts,
    cursor: doc.parts[0]?.steps[0]?.id ?? null,
    callStack: [],
    answers: {},
    approvals: {},
    items: {},
    inFlight: null,
  };
}

/** Apply one event to the state (in place). */
export function reduce(state: RunState, e: RunEvent): void {
  switch (e.type) {
    case 'run.start':
      // In place: the template scope holds references to these objects.
      Object.assign(state.run, {
        id: e.runId,
        actor: e.actor,
        dryRun: e.dryRun,
        simulated: e.simulated,
        startedAt: e.startedAt,
      });
      state.runbook = e.runbook;
      Object.assign(state.inputs, e.inputs);
      if (e.vars) Object.assign(state.vars, e.vars);
      state.status = 'running';
      break;
    case 'run.resume':
      state.status = 'running';
      state.waiting = undefined;
      if (e.retry) {
        state.cursor = e.retry;
        state.failedStep = undefined;
        state.outcome = undefined;
        state.error = undefined;
        state.endedAt = undefined;
        const s = state.steps[e.retry];
        if (s) s.visits = Math.max(0, s.visits - 1);
      }
      if (e.interrupted) {
        // A step that started but never ended runs again, as the same visit; a mutating one
        // must be approved again.
        delete state.approvals[e.interrupted];
        const s = state.steps[e.interrupted];
        if (s) s.visits = Math.max(0, s.visits - 1);
        state.cursor = e.interrupted;
      }
      if (e.waitingStep) {
        const s = state.steps[e.waitingStep];
        if (s) s.visits = Math.max(0, s.visits - 1);
      }
      break;
    case 'part.start': {
      const p = state.parts[e.part];
      if (p) {
        p.status = 'running';
        p.visits += 1;
      }
      break;
    }
    case 'part.end': {
      const p = state.parts[e.part];
      if (p) p.status = 'completed';
      break;
    }
    case 'step.start': {
      const s = state.steps[e.step];
      if (s) {
        s.status = 'running';
        s.visits = e.visit;
      }
      state.cursor = e.step;
      state.inFlight = e.step;
      break;
    }
    case 'item.end': {
      (state.items[e.step] ??= {})[e.index] = e.output ?? null;
      break;
    }
    case 'item.step': {
      const s = state.steps[e.step];
      if (s) {
        s.output = e.output ?? null;
        s.outputs = e.outputs ?? null;
        s.status = e.status;
      }
      if (e.vars) Object.assign(state.vars, e.vars);
      break;
    }
    case 'step.end': {
      const s = state.steps[e.step];
      if (s) {
        s.status = e.status;
        s.output = e.output === undefined ? null : e.output;
        s.outputs = e.outputs ?? null;
        s.error = e.error ?? null;
      }
      if (e.vars) Object.assign(state.vars, e.vars);
      if (e.pop) state.callStack.splice(state.callStack.length - e.pop, e.pop);
      if (e.push) state.callStack.push(e.push);
      delete state.items[e.step];
      state.cursor = e.next;
      state.inFlight = null;
      break;
    }
    case 'answer':
      state.answers[e.step] = e.value;
      break;
    case 'approval':
      state.approvals[e.step] = e.approved;
      break;
    case 'run.waiting':
      state.status = 'waiting';
      state.waiting = { step: e.step, reason: e.reason, message: e.message };
      if (state.steps[e.step]) state.steps[e.step].status = 'waiting';
      state.inFlight = null;
      break;
    case 'run.end':
      state.status = e.status;
      state.outcome = e.outcome;
      state.message = e.message;
      state.error = e.error;
      state.endedAt = e.endedAt;
      state.inFlight = null;
      state.failedStep = e.status === 'failed' ? e.step : undefined;
      if (e.status !== 'waiting') state.cursor = null;
      break;
    default:
      break;
  }
}
