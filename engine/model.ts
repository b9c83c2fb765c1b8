/**
 * The runbook model: the YAML document as plain data (the shapes below, as checked by
 * schemas/runbook.schema.json) plus a way back from any node to its source position.
 */
import type { AwsSettings } from './plugins/api.js';

/** A path into the YAML document, as ajv's instancePath segments: ['parts', 0, 'steps', 3, 'with']. */
export type NodePath = (string | number)[];

export interface SourceRange {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface InputSpec {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  items?: Record<string, unknown>;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  required?: boolean;
  /** Redacted in the run record and reports. */
  secret?: boolean;
  examples?: unknown[];
}

export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'waiting' | 'planned';

export type OnError = 'fail' | 'continue' | { goto: string };

export interface RetrySpec {
  attempts: number;
  /** "2s", "500ms" or a number of milliseconds. */
  delay?: string | number;
  backoff?: 'fixed' | 'exponential' | number;
}

export interface AskSpec {
  type: 'confirm' | 'select' | 'multiselect' | 'input' | 'number';
  message?: string;
  choices?: (string | { value: string; name?: string; description?: string })[];
  default?: unknown;
  schema?: Record<string, unknown>;
  required?: boolean;
}

export interface ManualSpec {
  instructions?: string;
  checklist?: string[];
  ask?: AskSpec;
}

export interface BranchCase {
  if: string | boolean;
  goto?: string;
  call?: string;
}

export interface EndSpec {
  status: 'resolved' | 'escalated' | 'aborted';
  message?: string;
}

export interface Step {
  id: string;
  title?: string;
  description?: string;
  ref?: string;
  if?: string | boolean;
  next?: string;
  onError?: OnError;
  retry?: RetrySpec;
  timeout?: string | number;
  approve?: 'required' | 'auto';
  /** Why the change may run without asking (with `approve: auto`). */
  reason?: string;
  maxVisits?: number;
  outputs?: Record<string, unknown>;
  aws?: AwsSettings & Record<string, unknown>;
  // kinds (exactly one)
  action?: string;
  with?: Record<string, unknown>;
  manual?: ManualSpec;
  call?: string;
  goto?: string;
  /** Cases tried in order, first match wins. */
  branch?: BranchCase[];
  /** With `branch`: where to go when no case matches (otherwise the step's successor). */
  default?: string;
  set?: Record<string, unknown>;
  end?: EndSpec;
  forEach?: string | unknown[];
  as?: string;
  concurrency?: number | string;
}

export interface Part {
  id: string;
  title?: string;
  description?: string;
  ref?: string;
  steps: Step[];
}

export interface RunbookDoc {
  irun: 1;
  id: string;
  title: string;
  description?: string;
  version?: string;
  source?: { title?: string; url?: string };
  inputs?: Record<string, InputSpec>;
  aws?: AwsSettings & Record<string, unknown>;
  plugins?: string[];
  vars?: Record<string, unknown>;
  parts: Part[];
}

/** The kind of a step, derived from which kind key it has. */
export type StepKind = 'action' | 'manual' | 'call' | 'goto' | 'branch' | 'set' | 'end' | 'forEach';

export const STEP_KINDS: StepKind[] = ['action', 'manual', 'call', 'goto', 'branch', 'set', 'end', 'forEach'];

export function stepKind(step: Step): StepKind | undefined {
  if (step.forEach !== undefined) return 'forEach';
  for (const k of STEP_KINDS) if ((step as unknown as Record<string, unknown>)[k] !== undefined) return k;
  return undefined;
}
