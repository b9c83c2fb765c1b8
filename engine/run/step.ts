/**
 * The shapes the executor's stages share: the options of a run, the per-step call context, the
 * outcome a step's execution decides, and the services the executor lends to the stages.
 */
import type { SerializedError } from '../errors.js';
import type { Part, RunbookDoc, Step } from '../model.js';
import type { ActionContext, AwsSettings, EvidenceRef, EvidenceStore, PlannedChange } from '../plugins/api.js';
import type { RegisteredAction, Registry } from '../plugins/registry.js';
import type { Listener, Outcome, RunEvent, RunStatus, StepEndEvent } from './events.js';
import type { Human } from './human.js';
import type { RunState } from './state.js';

/** Answers actions in simulation (tabletop) mode instead of calling them. */
export interface Simulator {
  call(request: {
    step: Step;
    action: string;
    effect: 'read' | 'mutate';
    input: unknown;
    item?: unknown;
    /** Present for local actions (no network, no AWS): runs the action for real. */
    runLocal?: () => Promise<unknown>;
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

/** Where a step sits in the runbook. */
export interface StepLoc {
  step: Step;
  part: Part;
  index: number;
  partIndex: number;
}

/** One forEach item an action runs for. */
export interface ItemRef {
  index: number;
  value: unknown;
}

/**
 * The per-step context every stage of an action receives: the step, its registered action, the
 * template scope, the evaluated input (once resolved), the attempt number and the forEach item.
 */
export interface StepCall {
  step: Step;
  action: RegisteredAction;
  scope: Record<string, unknown>;
  input: unknown;
  attempt: number;
  item?: ItemRef;
}

/** What executing one step decided. */
export interface StepOutcome {
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

/** What the executor lends to the stages of a step. */
export interface StepServices {
  readonly options: ExecuteOptions;
  readonly state: RunState;
  /** The template scope of the run (inputs, vars, steps, parts, run). */
  readonly scope: Record<string, unknown>;
  /** How actions run in this run (live, dry-run or simulated), chosen once. */
  readonly mode: RunMode;
  emit(...events: RunEvent[]): Promise<void>;
  evalCtx(): { now: () => Date };
  now(): Date;
  /** A step's `if:` (over the run's scope, or the given one). */
  condition(expr: string | boolean, scope?: Record<string, unknown>): boolean;
  actionContext(call: StepCall, signal: AbortSignal, saved: EvidenceRef[]): ActionContext;
}

/** One attempt of an action, as a run mode sees it. */
export interface Attempt {
  call: StepCall;
  svc: StepServices;
  /** The context handed to the action's functions (its signal ends on timeout or cancel). */
  ctx: ActionContext;
  /** Evidence saved during this attempt. */
  saved: EvidenceRef[];
  /** Race a promise against the step's timeout and the run's cancel. */
  guard<T>(p: Promise<T>): Promise<T>;
}

/**
 * A run mode decides, once per run, how a read action and how a mutating action run: live
 * (mutations after approval), dry-run (reads run, mutations are previewed and recorded as
 * planned) or simulated (a scenario answers; with dry-run, mutations are planned).
 */
export interface RunMode {
  readonly name: 'live' | 'dryRun' | 'simulate';
  /** Mutating calls must not be sent (ActionContext.dryRun, run.start). */
  readonly dryRun: boolean;
  /** Whether a human approves steps in this mode (never under dry-run). */
  readonly asksApproval: boolean;
  read(a: Attempt): Promise<StepOutcome>;
  mutate(a: Attempt): Promise<StepOutcome>;
}
