/**
 * `irun test`: run each scenario of a runbook through the real engine in simulation and check
 * its expectations (final status, outcome, path of steps, calls, outputs, vars).
 */
import path from 'node:path';
import type { RunbookDoc } from '../model.js';
import type { Registry } from '../plugins/registry.js';
import type { RunEvent } from './events.js';
import { execute, type RunResult } from './executor.js';
import { partialMatch, ScenarioHuman, ScenarioSimulator, type RecordedCall, type Scenario } from './simulate.js';

export interface ScenarioOutcome {
  scenario: string;
  title: string;
  file: string;
  passed: boolean;
  failures: string[];
  durationMs: number;
  path: string[];
  calls: RecordedCall[];
  result: RunResult;
  events: RunEvent[];
}

export async function rehearse(o: {
  scenario: Scenario;
  doc: RunbookDoc;
  file: string;
  sha256: string;
  registry: Registry;
  listeners?: ((e: RunEvent) => void)[];
}): Promise<ScenarioOutcome> {
  const { scenario } = o;
  const started = Date.now();
  const simulator = new ScenarioSimulator(scenario);
  const events: RunEvent[] = [];
  const fixed = scenario.now ? new Date(scenario.now) : undefined;
  const result = await execute({
    doc: o.doc,
    file: o.file,
    sha256: o.sha256,
    registry: o.registry,
    human: new ScenarioHuman(scenario),
    simulator,
    inputs: scenario.inputs ?? {},
    actor: scenario.actor ?? 'scenario',
    runId: `test-${scenario.scenario}`,
    listeners: [(e) => void events.push(e), ...(o.listeners ?? [])],
    ...(fixed ? { now: () => fixed } : {}),
  });
  const stepPath = events.filter((e) => e.type === 'step.start').map((e) => (e as { step: string }).step);
  const failures = check(scenario, result, stepPath, simulator.calls);
  return {
    scenario: scenario.scenario,
    title: scenario.title,
    file: scenario.file,
    passed: failures.length === 0,
    failures,
    durationMs: Date.now() - started,
    path: stepPath,
    calls: simulator.calls,
    result,
    events,
  };
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

export function check(scenario: Scenario, result: RunResult, stepPath: string[], calls: RecordedCall[]): string[] {
  const f: string[] = [];
  const x = scenario.expect ?? {};
  const expectedStatus = x.status ?? 'completed';
  if (result.status !== expectedStatus) {
    f.push(
      `status: expected ${expectedStatus}, got ${result.status}${result.error ? ` (${result.error.code}: ${result.error.message})` : ''}${result.waiting ? ` (waiting at ${result.waiting.step} for ${result.waiting.reason})` : ''}`,
    );
  }
  if (x.outcome && result.outcome !== x.outcome)
    f.push(`outcome: expected ${x.outcome}, got ${result.outcome ?? 'none'}`);
  if (x.path) {
    const n = Math.max(x.path.length, stepPath.length);
    for (let i = 0; i < n; i++) {
      if (x.path[i] !== stepPath[i]) {
        f.push(
          `path differs at step ${i + 1}: expected ${x.path[i] ?? '(end)'}, got ${stepPath[i] ?? '(end)'}\n      expected: …${x.path.slice(Math.max(0, i - 2), i + 3).join(' → ')}\n      actual:   …${stepPath.slice(Math.max(0, i - 2), i + 3).join(' → ')}`,
        );
        break;
      }
    }
  }
  if (x.pathIncludes) {
    let at = 0;
    for (const id of x.pathIncludes) {
      const found = stepPath.indexOf(id, at);
      if (found < 0) {
        f.push(`path: expected ${id}${at > 0 ? ` after ${stepPath[at - 1]}` : ''}, not reached`);
        break;
      }
      at = found + 1;
    }
  }
  for (const id of x.notVisited ?? []) if (stepPath.includes(id)) f.push(`path: step ${id} ran but must not`);
  if (x.calls) {
    let at = 0;
    for (const want of x.calls) {
      const i = calls.findIndex(
        (c, k) =>
          k >= at &&
          c.action === want.action &&
          (!want.step || c.step === want.step) &&
          (!want.with || partialMatch(c.input, want.with)),
      );
      if (i < 0) {
        const same = calls.filter((c) => c.action === want.action).map((c) => show(c.input));
        f.push(
          `calls: expected ${want.action}${want.step ? ` at ${want.step}` : ''} with ${show(want.with ?? {})}${same.length ? `; calls of it: ${same.join(', ')}` : '; never called'}`,
        );
        break;
      }
      at = i + 1;
    }
  }
  for (const [step, want] of Object.entries(x.outputs ?? {})) {
    const rec = result.state.steps[step];
    if (!rec) f.push(`outputs: no step ${step}`);
    else if (!partialMatch(rec.outputs ?? rec.output, want) && !partialMatch(rec.output, want))
      f.push(`outputs.${step}: expected ${show(want)}, got ${show(rec.outputs ?? rec.output)}`);
  }
  for (const [step, want] of Object.entries(x.statuses ?? {})) {
    const got = result.state.steps[step]?.status;
    if (got !== want) f.push(`statuses.${step}: expected ${want}, got ${got ?? 'no such step'}`);
  }
  for (const [name, want] of Object.entries(x.vars ?? {})) {
    if (!partialMatch(result.state.vars[name], want))
      f.push(`vars.${name}: expected ${show(want)}, got ${show(result.state.vars[name])}`);
  }
  return f;
}

export function relativeName(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
