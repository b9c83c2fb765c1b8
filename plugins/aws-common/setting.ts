/**
 * One shape for every action that changes a single setting (a bucket's Block Public Access,
 * versioning, encryption, ownership or policy; the account's Block Public Access):
 *
 * - capture reads the current state and saves it as evidence (`<evidence>-before`);
 * - preview shows before → after, and `noop` when the setting already has the desired value;
 * - run writes only what differs (`changed: false` otherwise), reads the state back and saves it
 *   (`<evidence>-after`);
 * - undo writes the before-state back (an absent setting is deleted again) and returns the state
 *   read afterwards.
 *
 * The output is `{ ...key, changed, before, after }`, where `key` names the resource (bucket or
 * account).
 */
import {
  defineAction,
  type ActionContext,
  type ActionDefinition,
  type JsonSchema,
  type PlannedChange,
  Codes,
  IrunError,
} from '../../engine/plugins/api.js';

/** What undo returns when the step changed nothing. */
export const UNCHANGED = { restored: false, reason: 'the step changed nothing' } as const;

/** The captured before-state, or an internal error when the engine did not capture one. */
export function requireBefore<B>(before: B | undefined): B {
  if (before === undefined) throw new IrunError(Codes.INTERNAL, 'the before-state of this change was not captured');
  return before;
}

/**
 * A setting action. `I` is the input, `B` the captured before-state, `D` the desired value and
 * `S` the state as the output reports it (`B` without capture-only extras; by default `B`).
 */
export interface SettingSpec<I, B extends S, D, S = B> {
  title: string;
  description: string;
  docsUrl: string;
  input: JsonSchema;
  output: JsonSchema;
  permissions: string[];
  example: I;
  /** Evidence name stem: "<evidence>-before" and "<evidence>-after". */
  evidence: string;
  /** Output fields naming the resource, e.g. `{ bucket }` or `{ accountId }`. */
  key: (input: I, before: B) => Record<string, unknown>;
  /** Read the before-state (capture). */
  capture: (ctx: ActionContext, input: I) => Promise<B>;
  /** Read the current state again (after a change or an undo). */
  read: (ctx: ActionContext, input: I, before: S) => Promise<S>;
  /** The value the step asks for, given the current state. */
  desired: (input: I, before: B) => D;
  /** True when the current state already has the desired value. */
  isSet: (before: B, desired: D) => boolean;
  /** Write the desired value. */
  put: (ctx: ActionContext, input: I, desired: D, before: B) => Promise<void>;
  /** Write the before-state back; may return the state it read afterwards. */
  restore: (ctx: ActionContext, input: I, before: S) => Promise<S | void>;
  /** Preview text and the after-state; `before` defaults to the before-state. */
  describe: (
    input: I,
    before: B,
    desired: D,
    noop: boolean,
  ) => { summary: string; after: unknown; before?: unknown; details?: unknown };
  /** The before-state as the output shows it (default: as captured). */
  shown?: (before: B) => S;
  /** Why undo cannot restore this before-state (default: it always can). */
  irreversible?: (before: S) => string | undefined;
}

export interface SettingOutput<S> {
  changed: boolean;
  before: S;
  after: S;
  [key: string]: unknown;
}

/** The action definition of a setting: capture, preview, run, reversible and undo. */
export function defineSetting<I, B extends S, D, S = B>(
  spec: SettingSpec<I, B, D, S>,
): ActionDefinition<I, SettingOutput<S>, B> {
  const shown = spec.shown ?? ((b: B): S => b);
  const capture = async (ctx: ActionContext, input: I): Promise<B> => {
    const before = await spec.capture(ctx, input);
    await ctx.evidence.save(`${spec.evidence}-before`, before);
    return before;
  };
  return defineAction<I, SettingOutput<S>, B>({
    title: spec.title,
    description: spec.description,
    docsUrl: spec.docsUrl,
    input: spec.input,
    output: spec.output,
    effect: 'mutate',
    permissions: spec.permissions,
    example: spec.example,
    capture,
    async preview(_ctx, input, before): Promise<PlannedChange> {
      const b = requireBefore(before);
      const desired = spec.desired(input, b);
      const noop = spec.isSet(b, desired);
      const { summary, after, details, ...rest } = spec.describe(input, b, desired, noop);
      const planned: PlannedChange = { summary, noop, before: 'before' in rest ? rest.before : b, after };
      if (details !== undefined) planned.details = details;
      return planned;
    },
    async run(ctx, input, before) {
      const b = before ?? (await capture(ctx, input));
      const key = spec.key(input, b);
      const was = shown(b);
      const desired = spec.desired(input, b);
      if (spec.isSet(b, desired)) return { ...key, changed: false, before: was, after: was };
      await spec.put(ctx, input, desired, b);
      const after = await spec.read(ctx, input, was);
      await ctx.evidence.save(`${spec.evidence}-after`, after);
      return { ...key, changed: true, before: was, after };
    },
    reversible(_input, before, output) {
      if (!output?.changed || !spec.irreversible) return true;
      return spec.irreversible(before ?? output.before) ?? true;
    },
    async undo(ctx, input, before, output) {
      if (!output?.changed) return UNCHANGED;
      const b: S = requireBefore<S>(before ?? output.before);
      const restored = await spec.restore(ctx, input, b);
      return { restored: true, state: restored ?? (await spec.read(ctx, input, b)) };
    },
  });
}
