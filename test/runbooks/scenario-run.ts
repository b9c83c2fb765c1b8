/**
 * Run a scenario of runbooks/scenarios/ through the real executor in simulation mode, in process,
 * and check it against its own `expect`. Shared by the coverage test (and handy from a REPL).
 */
import path from 'node:path';
import { loadRunbookFile } from '../../engine/load/index.js';
import type { RunbookDoc } from '../../engine/model.js';
import { Registry } from '../../engine/plugins/registry.js';
import type { RunEvent } from '../../engine/run/events.js';
import { execute, type RunResult } from '../../engine/run/executor.js';
import { loadScenario, partialMatch, ScenarioHuman, ScenarioSimulator, type RecordedCall, type Scenario } from '../../engine/run/simulate.js';

export const RUNBOOK = path.resolve('runbooks/s3-unintended-access.yaml');
export const SCENARIO_DIR = path.resolve('runbooks/scenarios');

export interface ScenarioRun {
  scenario: Scenario;
  doc: RunbookDoc;
  result: RunResult;
  events: RunEvent[];
  /** Step ids in the order they started. */
  path: string[];
  calls: RecordedCall[];
}

let registry: Registry | undefined;

export async function loadDoc(file = RUNBOOK): Promise<{ doc: RunbookDoc; sha256: string }> {
  const loaded = await loadRunbookFile(file);
  if (!loaded.doc || loaded.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(`${file} does not load: ${loaded.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
  }
  return { doc: loaded.doc, sha256: loaded.sha256 };
}

export async function runScenario(file: string, runbookFile = RUNBOOK): Promise<ScenarioRun> {
  const scenario = loadScenario(file);
  const rb = scenario.runbook ? path.resolve(path.dirname(file), scenario.runbook) : runbookFile;
  const { doc, sha256 } = await loadDoc(rb);
  registry ??= new Registry();
  const events: RunEvent[] = [];
  const simulator = new ScenarioSimulator(scenario);
  const now = scenario.now ? new Date(scenario.now) : new Date('2024-05-07T12:00:00Z');
  const result = await execute({
    doc,
    file: rb,
    sha256,
    registry,
    human: new ScenarioHuman(scenario),
    simulator,
    inputs: scenario.inputs ?? {},
    actor: scenario.actor ?? 'scenario',
    now: () => now,
    runId: `scenario-${scenario.scenario}`,
    listeners: [(e) => void events.push(e)],
  });
  const started = events.filter((e): e is Extract<RunEvent, { type: 'step.start' }> => e.type === 'step.start').map((e) => e.step);
  return { scenario, doc, result, events, path: started, calls: simulator.calls };
}

/** Every way the run differs from the scenario's `expect` (empty when it passes). */
export function checkExpect(run: ScenarioRun): string[] {
  const x = run.scenario.expect ?? {};
  const r = run.result;
  const out: string[] = [];
  if (r.status === 'failed' || r.status === 'waiting') {
    const why = r.error?.message ?? (r.waiting ? `waiting at '${r.waiting.step}' (${r.waiting.reason})` : '');
    if (x.status !== r.status) out.push(`run ${r.status}: ${why}`);
  }
  if (x.status !== undefined && x.status !== r.status) out.push(`status: expected ${x.status}, got ${r.status}`);
  if (x.outcome !== undefined && x.outcome !== r.outcome) out.push(`outcome: expected ${x.outcome}, got ${r.outcome}`);
  if (x.path !== undefined && JSON.stringify(x.path) !== JSON.stringify(run.path)) {
    const i = x.path.findIndex((s, k) => run.path[k] !== s);
    const at = i < 0 ? x.path.length : i;
    out.push(`path differs at #${at + 1}: expected '${x.path[at] ?? '(end)'}', got '${run.path[at] ?? '(end)'}'`);
  }
  if (x.pathIncludes) {
    let k = 0;
    for (const s of run.path) if (s === x.pathIncludes[k]) k++;
    if (k < x.pathIncludes.length) out.push(`pathIncludes: '${x.pathIncludes[k]}' not reached in order`);
  }
  for (const s of x.notVisited ?? []) if (run.path.includes(s)) out.push(`notVisited: '${s}' was visited`);
  let c = 0;
  for (const call of run.calls) {
    const want = x.calls?.[c];
    if (want && call.action === want.action && (!want.step || want.step === call.step) && (!want.with || partialMatch(call.input, want.with))) c++;
  }
  if (x.calls && c < x.calls.length) out.push(`calls: no call matching ${JSON.stringify(x.calls[c])} (in order)`);
  const steps = r.state.steps as Record<string, { status: string; output: unknown; outputs: unknown }>;
  for (const [id, status] of Object.entries(x.statuses ?? {})) if (steps[id]?.status !== status) out.push(`statuses.${id}: expected ${status}, got ${steps[id]?.status}`);
  for (const [id, want] of Object.entries(x.outputs ?? {})) if (!partialMatch(steps[id]?.output, want)) out.push(`outputs.${id}: ${JSON.stringify(steps[id]?.output)} does not match ${JSON.stringify(want)}`);
  for (const [k, want] of Object.entries(x.vars ?? {})) if (!partialMatch(r.state.vars[k], want)) out.push(`vars.${k}: ${JSON.stringify(r.state.vars[k])} does not match ${JSON.stringify(want)}`);
  return out;
}

/** A conditional edge of the runbook: an `if` outcome, a branch case, or an onError outcome. */
export interface Edge {
  step: string;
  edge: string;
}

/** Every conditional edge of the runbook, in document order. */
export function conditionalEdges(doc: RunbookDoc): Edge[] {
  const out: Edge[] = [];
  for (const part of doc.parts) {
    for (const step of part.steps) {
      if (step.if !== undefined && step.if !== true) out.push({ step: step.id, edge: 'if:true' }, { step: step.id, edge: 'if:false' });
      if (step.branch) {
        step.branch.forEach((_c, i) => out.push({ step: step.id, edge: `branch:case ${i + 1}` }));
        out.push({ step: step.id, edge: 'branch:default' });
      }
      if (step.onError !== undefined && step.onError !== 'fail') out.push({ step: step.id, edge: 'onError:ok' }, { step: step.id, edge: 'onError:error' });
    }
  }
  return out;
}

/** The conditional edges one run took, read from its step.end events. */
export function takenEdges(doc: RunbookDoc, events: RunEvent[]): Edge[] {
  const steps = new Map(doc.parts.flatMap((p) => p.steps.map((s) => [s.id, s] as const)));
  const out: Edge[] = [];
  for (const e of events) {
    if (e.type !== 'step.end') continue;
    const step = steps.get(e.step);
    if (!step) continue;
    const skippedByIf = e.status === 'skipped' && e.reason === 'condition false';
    if (step.if !== undefined && step.if !== true) out.push({ step: step.id, edge: skippedByIf ? 'if:false' : 'if:true' });
    if (step.branch && !skippedByIf && e.status === 'completed') {
      const c = (e.output as { case?: number | string | null } | undefined)?.case;
      out.push({ step: step.id, edge: typeof c === 'number' ? `branch:case ${c + 1}` : 'branch:default' });
    }
    if (step.onError !== undefined && step.onError !== 'fail' && !skippedByIf) out.push({ step: step.id, edge: e.status === 'failed' ? 'onError:error' : 'onError:ok' });
  }
  return out;
}

/** Edges of the runbook no run took. */
export function uncoveredEdges(doc: RunbookDoc, runs: { events: RunEvent[] }[]): Edge[] {
  const taken = new Set(runs.flatMap((r) => takenEdges(doc, r.events)).map((e) => `${e.step}|${e.edge}`));
  return conditionalEdges(doc).filter((e) => !taken.has(`${e.step}|${e.edge}`));
}
