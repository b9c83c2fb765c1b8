/**
 * One error base class for everything irun reports to a user, and every code in one place.
 *
 * An IrunError carries a stable `code` (IRUN_*), the process `exit` code a command should end
 * with, optional `suggestions`, an optional source location, and the underlying `cause`
 * (an AWS ServiceException keeps its `name` and `$metadata.requestId` there).
 */

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  WAITING: 3,
} as const;

export const Codes = {
  // loading and validation
  YAML_SYNTAX: 'IRUN_YAML_SYNTAX',
  SCHEMA: 'IRUN_SCHEMA',
  FILE_NOT_FOUND: 'IRUN_FILE_NOT_FOUND',
  DUPLICATE_ID: 'IRUN_DUPLICATE_ID',
  UNKNOWN_TARGET: 'IRUN_UNKNOWN_TARGET',
  UNKNOWN_ACTION: 'IRUN_UNKNOWN_ACTION',
  ACTION_INPUT: 'IRUN_ACTION_INPUT',
  TEMPLATE_SYNTAX: 'IRUN_TEMPLATE_SYNTAX',
  UNKNOWN_HELPER: 'IRUN_UNKNOWN_HELPER',
  UNKNOWN_REFERENCE: 'IRUN_UNKNOWN_REFERENCE',
  REF_BEFORE_RUN: 'IRUN_REF_BEFORE_RUN',
  UNREACHABLE: 'IRUN_UNREACHABLE',
  UNBOUNDED_LOOP: 'IRUN_UNBOUNDED_LOOP',
  CHOICE_MISMATCH: 'IRUN_CHOICE_MISMATCH',
  FOREACH_MUTATION: 'IRUN_FOREACH_MUTATION',
  /** `approve: auto` on a change without a written `reason`. */
  AUTO_APPROVE_REASON: 'IRUN_AUTO_APPROVE_REASON',
  /** A change that runs without asking (`approve: auto` with its reason): listed for review. */
  AUTO_APPROVED: 'IRUN_AUTO_APPROVED',
  /** A `steps.X.output...` path that X's output schema (or its `outputs:`) cannot produce. */
  OUTPUT_PATH: 'IRUN_OUTPUT_PATH',
  /** A YAML file in a runbooks folder that is neither a runbook nor a scenario. */
  NOT_A_RUNBOOK: 'IRUN_NOT_A_RUNBOOK',
  // templates at run time
  TEMPLATE_EVAL: 'IRUN_TEMPLATE_EVAL',
  TEMPLATE_UNKNOWN_PATH: 'IRUN_TEMPLATE_UNKNOWN_PATH',
  // running
  INPUT_INVALID: 'IRUN_INPUT_INVALID',
  RUNBOOK_INVALID: 'IRUN_RUNBOOK_INVALID',
  ACTION_FAILED: 'IRUN_ACTION_FAILED',
  ACTION_OUTPUT: 'IRUN_ACTION_OUTPUT',
  ASSERTION: 'IRUN_ASSERTION',
  TIMEOUT: 'IRUN_TIMEOUT',
  ABORTED: 'IRUN_ABORTED',
  MAX_VISITS: 'IRUN_MAX_VISITS',
  CALL_DEPTH: 'IRUN_CALL_DEPTH',
  NO_ANSWER: 'IRUN_NO_ANSWER',
  ANSWER_INVALID: 'IRUN_ANSWER_INVALID',
  NOT_APPROVED: 'IRUN_NOT_APPROVED',
  DRY_RUN_BLOCKED: 'IRUN_DRY_RUN_BLOCKED',
  /** Undo cannot proceed until another recorded change is undone first (e.g. Block Public Access). */
  UNDO_BLOCKED: 'IRUN_UNDO_BLOCKED',
  /** The recorded change cannot be reverted (e.g. versioning can only be suspended). */
  NOT_REVERSIBLE: 'IRUN_NOT_REVERSIBLE',
  /** BucketOwnerEnforced refused because the bucket ACL grants access to others. */
  OWNERSHIP_ACL_CONFLICT: 'IRUN_OWNERSHIP_ACL_CONFLICT',
  // plugins
  PLUGIN_LOAD: 'IRUN_PLUGIN_LOAD',
  PLUGIN_INVALID: 'IRUN_PLUGIN_INVALID',
  /** A pack without a manifest, or whose code and manifest disagree. */
  PLUGIN_MANIFEST: 'IRUN_PLUGIN_MANIFEST',
  // AWS (the pack appends the AWS error name, e.g. IRUN_AWS_ACCESS_DENIED)
  AWS: 'IRUN_AWS',
  // bulk object work (aws.s3 object actions, S3 Batch Operations)
  BULK_PARTIAL_FAILURE: 'IRUN_BULK_PARTIAL_FAILURE',
  BATCH_SETTINGS_REQUIRED: 'IRUN_BATCH_SETTINGS_REQUIRED',
  BATCH_JOB_FAILED: 'IRUN_BATCH_JOB_FAILED',
  OBJECT_TOO_LARGE: 'IRUN_OBJECT_TOO_LARGE',
  // Athena queries and IAM containment (aws.athena, aws.iam)
  ATHENA_QUERY_FAILED: 'IRUN_ATHENA_QUERY_FAILED',
  IAM_SERVICE_LINKED_ROLE: 'IRUN_IAM_SERVICE_LINKED_ROLE',
  // authoring commands (graph, docs, schema, init, permissions)
  /** An output file could not be written. */
  WRITE_FAILED: 'IRUN_WRITE_FAILED',
  /** `irun init` would overwrite a file; --force allows it. */
  FILE_EXISTS: 'IRUN_FILE_EXISTS',
  // record integrity (signed journal heads, evidence accounting)
  /** A signing or verification key cannot be read or is of the wrong kind. */
  SIGN_KEY: 'IRUN_SIGN_KEY',
  /** Signing a journal head failed (e.g. KMS refused); the run stops rather than go on unsigned. */
  SIGN_FAILED: 'IRUN_SIGN_FAILED',
  JOURNAL_UNSIGNED: 'IRUN_JOURNAL_UNSIGNED',
  SIGNATURE_INVALID: 'IRUN_SIGNATURE_INVALID',
  /** A validly signed head names a journal line whose hash is different: the chain was recomputed. */
  SIGNED_HEAD_MISMATCH: 'IRUN_SIGNED_HEAD_MISMATCH',
  /** Journal lines after the last signed head of a finished session. */
  UNSIGNED_TAIL: 'IRUN_UNSIGNED_TAIL',
  EVIDENCE_MISSING: 'IRUN_EVIDENCE_MISSING',
  EVIDENCE_CHANGED: 'IRUN_EVIDENCE_CHANGED',
  EVIDENCE_UNEXPECTED: 'IRUN_EVIDENCE_UNEXPECTED',
  // CLI
  USAGE: 'IRUN_USAGE',
  INTERNAL: 'IRUN_INTERNAL',
} as const;

export type Code = (typeof Codes)[keyof typeof Codes] | `IRUN_${string}`;

export interface Location {
  file?: string;
  line?: number;
  column?: number;
}

export interface IrunErrorOptions {
  exit?: number;
  suggestions?: string[];
  cause?: unknown;
  location?: Location;
  /** Extra machine-readable details (never secrets). */
  details?: Record<string, unknown>;
}

export class IrunError extends Error {
  readonly code: Code;
  readonly exit: number;
  readonly suggestions: string[];
  readonly location?: Location;
  readonly details?: Record<string, unknown>;

  constructor(code: Code, message: string, options: IrunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IrunError';
    this.code = code;
    this.exit = options.exit ?? ExitCode.FAILED;
    this.suggestions = options.suggestions ?? [];
    this.location = options.location;
    this.details = options.details;
  }

  /** A plain, JSON-safe view of the error for journals, events and reports. */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

export interface SerializedError {
  code: string;
  message: string;
  name?: string;
  details?: Record<string, unknown>;
  location?: Location;
  cause?: { name?: string; message?: string; requestId?: string; code?: string };
}

/** Turn anything thrown into a JSON-safe error record with a code. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof IrunError) {
    const out: SerializedError = { code: err.code, message: err.message };
    if (err.details) out.details = err.details;
    if (err.location) out.location = err.location;
    const cause = err.cause as
      { name?: string; message?: string; $metadata?: { requestId?: string }; code?: string } | undefined;
    if (cause && typeof cause === 'object') {
      out.cause = {
        name: cause.name,
        message: cause.message,
        ...(cause.$metadata?.requestId ? { requestId: cause.$metadata.requestId } : {}),
        ...(typeof cause.code === 'string' ? { code: cause.code } : {}),
      };
    }
    return out;
  }
  if (err instanceof Error) {
    const anyErr = err as Error & { code?: unknown; $metadata?: { requestId?: string } };
    const out: SerializedError = {
      code: typeof anyErr.code === 'string' && anyErr.code.startsWith('IRUN_') ? anyErr.code : Codes.ACTION_FAILED,
      message: err.message,
      name: err.name,
    };
    if (anyErr.$metadata?.requestId) out.details = { requestId: anyErr.$metadata.requestId };
    return out;
  }
  return { code: Codes.ACTION_FAILED, message: String(err) };
}

export function isIrunError(err: unknown): err is IrunError {
  return err instanceof IrunError;
}

/** An AWS error name as an irun code: "AccessDenied" -> "IRUN_AWS_ACCESS_DENIED". */
export function awsErrorCode(name: string): `IRUN_${string}` {
  const snake = name
    .replace(/Exception$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
  return `IRUN_AWS_${snake || 'ERROR'}`;
}
