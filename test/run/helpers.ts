/** Run small inline runbooks through the executor and collect the event stream. */
import { expect } from 'chai';
import { parseRunbook } from '../../engine/load/index.js';
import { defineAction, definePlugin } from '../../engine/plugins/api.js';
import { Registry } from '../../engine/plugins/registry.js';
import type { RunEvent, StepEndEvent } from '../../engine/run/events.js';
import { execute, type ExecuteOptions, type RunResult } from '../../engine/run/executor.js';
import { PresetHuman } from '../../engine/run/human.js';
import core from '../../plugins/core/index.js';
import { dedent } from '../helpers/fs.js';

export interface TestActions {
  calls: { action: string; input: unknown }[];
  mutations: number;
  failUntil: Map<string, number>;
  abortedSignals: number;
  inFlight: number;
  maxInFlight: number;
  /** What each undo of `t.change` was handed. */
  undos: { input: unknown; before: unknown; output: unknown }[];
}

/** A registry with core and a `t` pack of test actions that record what they were called with. */
export function testRegistry(): { registry: Registry; t: TestActions } {
  const t: TestActions = {
    calls: [],
    mutations: 0,
    failUntil: new Map(),
    abortedSignals: 0,
    inFlight: 0,
    maxInFlight: 0,
    undos: [],
  };
  const registry = new Registry({ builtins: false });
  registry.addPack(core, 'builtin');
  const anyIn = {
    type: 'object',
    properties: { value: {}, key: { type: 'string' }, ms: { type: 'number' } },
    additionalProperties: false,
  };
  const anyOut = { type: 'object' };
  registry.addPack(
    definePlugin({
      namespace: 't',
      actions: {
        echo: defineAction({
          description: 'echo',
          input: anyIn,
          output: anyOut,
          effect: 'read',
          permissions: [],
          async run(_ctx, input: { value?: unknown }) {
            t.calls.push({ action: 'echo', input });
            return { value: input.value ?? null };
          },
        }),
        flaky: defineAction({
          description: 'fails until its n-th call for a key',
          input: anyIn,
          output: anyOut,
          effect: 'read',
          permissions: [],
          async run(_ctx, input: { key?: string }) {
            const key = input.key ?? 'k';
            t.calls.push({ action: 'flaky', input });
            const left = t.failUntil.get(key) ?? 0;
            if (left > 0) {
              t.failUntil.set(key, left - 1);
              throw Object.assign(new Error(`flaky failure (${left} left)`), { name: 'Throttling' });
            }
            return { ok: true };
          },
        }),
        slow: defineAction({
          description: 'sleeps ms, honouring the signal',
          input: anyIn,
          output: anyOut,
          effect: 'read',
          permissions: [],
          async run(ctx, input: { ms?: number; value?: unknown }) {
            t.inFlight++;
            t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
            try {
              await ctx.sleep(input.ms ?? 10);
            } catch (e) {
              t.abortedSignals++;
              throw e;
            } finally {
              t.inFlight--;
            }
            t.calls.push({ action: 'slow', input });
            return { value: input.value ?? null };
          },
        }),
        change: defineAction({
          description: 'a mutation with capture/preview/undo',
          input: anyIn,
          output: anyOut,
          effect: 'mutate',
          permissions: ['t:Change'],
          async capture() {
            return { mutations: t.mutations };
          },
          async preview(_ctx, input: { value?: unknown }) {
            return { summary: `set value to ${String(input.value)}` };
          },
          async run(_ctx, input: { value?: unknown }) {
            t.mutations++;
            t.calls.push({ action: 'change', input });
            return { changed: true };
          },
          async undo(_ctx, input, before, output) {
            t.undos.push({ input, before, output });
            t.mutations--;
          },
        }),
      },
    }),
  );
  return { registry, t };
}

export interface Ran extends RunResult {
  events: RunEvent[];
  /** Ids of the steps that started, in order. */
  path: string[];
  ends: Map<string, StepEndEvent>;
}

export async function runYaml(
  yamlText: string,
  options: Partial<ExecuteOptions> & {
    answers?: Record<string, unknown>;
    approve?: string[];
    yes?: boolean;
    registry?: Registry;
  } = {},
): Promise<Ran> {
  const loaded = parseRunbook(yamlText.includes('\n') ? yamlText : dedent`${yamlText}`, 'test.yaml');
  expect(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    'test runbook parses',
  ).to.deep.equal([]);
  const events: RunEvent[] = [];
  const registry = options.registry ?? testRegistry().registry;
  const result = await execute({
    doc: loaded.doc!,
    file: 'test.yaml',
    sha256: loaded.sha256,
    registry,
    human:
      options.human ??
      new PresetHuman({
        actor: 'tester',
        answers: options.answers ?? {},
        approvals: options.approve ?? [],
        approveAll: options.yes,
      }),
    actor: 'tester',
    now: () => new Date('2026-11-30T12:00:00Z'),
    ...options,
    listeners: [(e) => void events.push(e), ...(options.listeners ?? [])],
  });
  const path = events.filter((e) => e.type === 'step.start').map((e) => (e as { step: string }).step);
  const ends = new Map<string, StepEndEvent>();
  for (const e of events) if (e.type === 'step.end') ends.set(e.step, e);
  return { ...result, events, path, ends };
}
