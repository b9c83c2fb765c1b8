/**
 * Run events. The executor emits them; the console reporter, the JSON-lines reporter and the
 * journal are listeners. Every change to a run's state is an event, and `reduce` (state.ts)
 * folds events into state — the same function serves a live run and a resume from the journal.
 */
import type { SerializedError } from '../errors.js';
import type { PlannedChange, EvidenceRef, Progress } from '../plugins/api.js';
import type { StepStatus } from '../model.js';

export type RunStatus = 'running' | 'completed' | 'failed' | 'waiting' | 'aborted';
export type Outcome = 'resolved' | 'escalated' | 'aborted' | 'completed' | 'failed';

/** A call frame: the part that was called and the call step to continue after. */
export interface Frame {
  part: string;
  caller: string;
}

interface Base {
  /** Filled in by the journal: sequence number and timestamp. */
  seq?: number;
  ts?: string;
}

export interface RunStartEvent extends Base {
  type: 'run.start';
  runId: string;
  runbook: { id: string; title: string; file: string; sha256: string };
  inputs: Record<string, unknown>;
  /** Runbook-level vars, evaluated at the start. */
  vars?: Record<string, unknown>;
  actor: string;
  dryRun: boolean;
  simulated: boolean;
  startedAt: string;
  aws?: Record<string, unknown>;
}

export interface RunResumeEvent extends Base {
  type: 'run.resume';
  actor: string;
  at: string;
  /** A step that had started but never ended before the interruption. */
  interrupted?: string;
  /** The step that was waiting for an answer or approval. */
  waitingStep?: string;
  /** A failed step that is tried again. */
  retry?: string;
}

export interface PartStartEvent extends Base {
  type: 'part.start';
  part: string;
}

export interface PartEndEvent extends Base {
  type: 'part.end';
  part: string;
}

export interface StepStartEvent extends Base {
  type: 'step.start';
  step: string;
  part: string;
  ref?: string;
  title?: string;
  kind: string;
  action?: string;
  effect?: 'read' | 'mutate';
  visit: number;
  /** The evaluated input of an action step (secrets redacted by the writer). */
  input?: unknown;
}

export interface StepRetryEvent extends Base {
  type: 'step.retry';
  step: string;
  attempt: number;
  delayMs: number;
  error: SerializedError;
}

export interface StepEndEvent extends Base {
  type: 'step.end';
  step: string;
  status: StepStatus;
  durationMs: number;
  output?: unknown;
  outputs?: Record<string, unknown>;
  error?: SerializedError;
  /** Where the flow goes next (null: the run ends). */
  next: string | null;
  /** Call-stack change made by this step. */
  push?: Frame;
  pop?: number;
  /** Variables assigned by a `set` step. */
  vars?: Record<string, unknown>;
  /** Why a step was skipped ("condition false", "declined", "BucketOwnerEnforced" ...). */
  reason?: string;
  /** Action steps: the evaluated input (redacted). */
  input?: unknown;
  /** Mutating action: the before-state capture and the change made or planned. */
  before?: unknown;
  plan?: PlannedChange;
  evidence?: EvidenceRef[];
  /** A mutating step that changed something: undo is possible (true) or the reason it is not. */
  reversible?: true | string;
  attempts?: number;
}

export interface ItemEndEvent extends Base {
  type: 'item.end';
  step: string;
  index: number;
  output?: unknown;
  error?: SerializedError;
  /** Mutating bodies: what undo needs, per item. */
  input?: unknown;
  before?: unknown;
  reversible?: true | string;
  evidence?: EvidenceRef[];
}

/**
 * A step of a part run per forEach item (`forEach` with `call`) ended for one item: its output is
 * in scope for the part's later steps, and a `set` step's vars apply to the run.
 */
export interface ItemStepEvent extends Base {
  type: 'item.step';
  /** The forEach step running the part. */
  forEach: string;
  index: number;
  step: string;
  status: StepStatus;
  output?: unknown;
  outputs?: Record<string, unknown>;
  vars?: Record<string, unknown>;
}

export interface AnswerEvent extends Base {
  type: 'answer';
  step: string;
  value: unknown;
  actor: string;
  at: string;
  source: 'prompt' | 'answers-file' | 'flag' | 'scenario';
  checklist?: Record<string, boolean>;
}

export interface ApprovalEvent extends Base {
  type: 'approval';
  step: string;
  approved: boolean;
  actor: string;
  at: string;
  source: 'prompt' | 'yes' | 'flag' | 'scenario' | 'auto';
  plan?: PlannedChange;
}

export interface EvidenceEvent extends Base {
  type: 'evidence';
  step: string;
  ref: EvidenceRef;
  /** Written during the step but not named by it (e.g. a before-state for a change still awaiting approval). */
  unreferenced?: boolean;
  /** Found on disk, unnamed, when the run was reopened after its process stopped mid-step. */
  recovered?: boolean;
}

export interface LogEvent extends Base {
  type: 'log';
  step?: string;
  level: 'debug' | 'info' | 'warn';
  message: string;
  data?: Record<string, unknown>;
}

export interface ProgressEvent extends Base {
  type: 'progress';
  step: string;
  progress: Progress;
}

export interface RunWaitingEvent extends Base {
  type: 'run.waiting';
  step: string;
  reason: 'answer' | 'approval';
  message: string;
  plan?: PlannedChange;
}

export interface RunEndEvent extends Base {
  type: 'run.end';
  status: RunStatus;
  /** The step whose failure ended the run (a resume retries it). */
  step?: string;
  outcome?: Outcome;
  message?: string;
  error?: SerializedError;
  endedAt: string;
}

export interface UndoEvent extends Base {
  type: 'undo';
  step: string;
  /** The forEach item, for changes made per item. */
  index?: number;
  action: string;
  status: 'completed' | 'failed' | 'refused' | 'declined';
  actor: string;
  at: string;
  reason?: string;
  error?: SerializedError;
}

export type RunEvent =
  | RunStartEvent
  | RunResumeEvent
  | PartStartEvent
  | PartEndEvent
  | StepStartEvent
  | StepRetryEvent
  | StepEndEvent
  | ItemEndEvent
  | ItemStepEvent
  | AnswerEvent
  | ApprovalEvent
  | EvidenceEvent
  | LogEvent
  | ProgressEvent
  | RunWaitingEvent
  | RunEndEvent
  | UndoEvent;

export type Listener = (event: RunEvent) => void | Promise<void>;

/** Events that mark a step boundary: the journal flushes to disk after each. */
export const BOUNDARY_EVENTS = new Set<RunEvent['type']>([
  'run.start',
  'run.resume',
  'step.start',
  'step.end',
  'answer',
  'approval',
  'run.waiting',
  'run.end',
  'item.end',
  'undo',
]);
