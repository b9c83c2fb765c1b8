/**
 * The plugin API: what an action pack is and what an action receives.
 *
 * An action is data plus functions (like an ESLint rule): metadata — description, JSON schemas
 * for input and output, effect, IAM permissions — that the registry can list, document and
 * validate without running anything, and `run` / `capture` / `preview` / `undo`.
 *
 * Action packs must not import heavy SDKs at module top level (use `import type` there and a
 * dynamic `import()` inside the functions): `irun validate` loads packs to read their schemas and
 * must stay fast and free of the AWS SDK.
 */

/** A JSON Schema (draft 2020-12 subset understood by ajv in strict mode). */
export type JsonSchema = Record<string, unknown>;

export type Effect = 'read' | 'mutate';

/** A file written to the run's evidence folder; its hash goes into the journal. */
export interface EvidenceRef {
  /** Logical name given by the action, e.g. "bucket-policy-before". */
  name: string;
  /** Path relative to the run directory, e.g. "evidence/0007-bucket-policy-before.json". */
  file: string;
  sha256: string;
  bytes: number;
}

export interface EvidenceStore {
  /** Save `data` (JSON-serialised unless it is a string or Buffer) as evidence. */
  save(name: string, data: unknown, options?: { ext?: string }): Promise<EvidenceRef>;
  /** Read back a saved evidence file by its `file` (used by undo of bulk actions). */
  read(file: string): Promise<string>;
}

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
}

/**
 * AWS settings in force for one step: CLI flags, then the runbook's `aws:` defaults, then the
 * step's `aws:` overrides (later wins). The engine only carries them; the AWS packs' shared
 * client layer (plugins/aws-common) turns them into SDK clients.
 */
export interface AwsSettings {
  region?: string;
  profile?: string;
  roleArn?: string;
  externalId?: string;
  endpointUrl?: string;
  maxAttempts?: number;
  /** Account id, when the runbook or a flag states it (S3 Control needs one). */
  accountId?: string;
}

/** Progress of a long action (Athena query, bulk ACL reset); drives the console spinner. */
export interface Progress {
  message?: string;
  done?: number;
  total?: number;
}

export interface ActionContext {
  readonly runId: string;
  readonly stepId: string;
  /** Full action id, e.g. "aws.s3.putPublicAccessBlock". */
  readonly action: string;
  /** True under --dry-run: mutating calls must not be sent (the AWS layer enforces it too). */
  readonly dryRun: boolean;
  /** Aborted on step timeout or when the run is cancelled; pass it to every SDK call. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly evidence: EvidenceStore;
  readonly aws: AwsSettings;
  /**
   * A cache shared by all steps of one run (SDK clients, resolved regions, ...). Keys are
   * namespaced by the plugin that uses them.
   */
  readonly shared: Map<string, unknown>;
  /** irun's version, for user agents. */
  readonly version: string;
  now(): Date;
  progress(p: Progress): void;
  /** Sleep that ends early (rejecting) when `signal` aborts. */
  sleep(ms: number): Promise<void>;
}

/** What a mutating action would change, shown for approval and recorded under --dry-run. */
export interface PlannedChange {
  /** One line for the console and the plan, e.g. "Remove 2 public statements from policy of bucket x". */
  summary: string;
  /** True when the action would change nothing (already in the desired state). */
  noop?: boolean;
  before?: unknown;
  after?: unknown;
  /** Anything else worth showing (statements removed, objects affected, ...). */
  details?: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- defaults let a pack hold actions of different types
export interface ActionDefinition<I = any, O = any, B = any> {
  title?: string;
  description: string;
  docsUrl?: string;
  input: JsonSchema;
  output: JsonSchema;
  effect: Effect;
  /** Exact IAM actions the action may call, e.g. ["s3:PutBucketPublicAccessBlock"]. */
  permissions: string[];
  /**
   * The action works entirely inside irun: no network, no AWS, no change outside the run record
   * (core.log, core.assert). Simulations run it for real instead of asking the scenario for a stub.
   */
  local?: boolean;
  /** A valid input, used in docs and the registry consistency tests. */
  example?: I;
  /** Read the state the action is about to change (evidence "before"). Mutating actions only. */
  capture?: (ctx: ActionContext, input: I) => Promise<B>;
  run: (ctx: ActionContext, input: I, before: B | undefined) => Promise<O>;
  /** Describe the change without making it (dry-run, approval prompt). */
  preview?: (ctx: ActionContext, input: I, before: B | undefined) => Promise<PlannedChange>;
  /**
   * Can this recorded change be reverted? `true`, or the reason it cannot
   * (e.g. "versioning can be suspended but never removed").
   */
  reversible?: (input: I, before: B | undefined, output: O) => true | string;
  /** Restore `before`. Called by `irun undo` with the recorded input, before-state and output. */
  undo?: (ctx: ActionContext, input: I, before: B | undefined, output: O) => Promise<unknown>;
}

export interface PluginDefinition {
  /** Dotted namespace, e.g. "aws.s3" or "core"; action ids are `${namespace}.${name}`. */
  namespace: string;
  description?: string;
  actions: Record<string, ActionDefinition>;
}

/** Identity helper that gives an action typed input/output/before. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ActionDefinition
export function defineAction<I = any, O = any, B = any>(def: ActionDefinition<I, O, B>): ActionDefinition<I, O, B> {
  return def;
}

/** Identity helper for a pack; the registry checks it when loading. */
export function definePlugin(def: PluginDefinition): PluginDefinition {
  return def;
}

// What a pack needs besides the types above: the error class every action throws, the codes it
// throws with, and the helpers built-in packs use. A pack imports these from `irun/plugin` only.
export {
  Codes,
  ExitCode,
  IrunError,
  awsErrorCode,
  isIrunError,
  serializeError,
  type Code,
  type IrunErrorOptions,
  type SerializedError,
} from '../errors.js';
export { formatDuration, parseDuration } from '../util/duration.js';
export { headMessage, publicKeyVerifier, type HeadVerifier, type Signer } from '../util/signing.js';
