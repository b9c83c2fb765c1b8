/**
 * Scenario coverage of a runbook (`irun test --coverage`): which steps the scenarios ran and
 * which ways out of each decision they took — `if` true and false, each case of a `branch` and
 * its default (or "no case matched"), an `onError` step failing and succeeding, an
 * `onUnavailable` step that was unavailable, and each `call` coming back. Computed from the run
 * events alone, so it measures what the engine did, not what the runbook says.
 */
import type { RunbookDoc, Step } from '../model.js';
import type { RunEvent } from '../run/events.js';

export type CoverageKind = 'step' | 'if' | 'branch' | 'onError' | 'onUnavailable' | 'return';

export interface CoverageItem {
  kind: CoverageKind;
  step: string;
  /** Which way out: "ran", "true", "false", "case 1", "default", "error", "ok", "unavailable", "return". */
  edge: string;
  /** Readable description, e.g. "branch case 2 (goto contain)". */
  label: string;
  covered: boolean;
  /** Names of the scenarios that took it. */
  scenarios: string[];
}

export interface RunbookCoverage {
  steps: { covered: number; total: number };
  edges: { covered: number; total: number };
  /** Covered steps and edges over all of them, 0–100 (one decimal). */
  percent: number;
  items: CoverageItem[];
}

interface StepEnd {
  type: 'step.end';
  step: string;
  status: string;
  reason?: string;
  output?: unknown;
  error?: unknown;
  push?: { part: string; caller: string };
  pop?: number;
}

const asArray = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function short(v: unknown): string {
  const s = typeof v === 'string' ? v.replace(/^\{\{\s*|\s*\}\}$/g, '') : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** The coverage items a runbook has, none covered yet. */
function itemsOf(doc: RunbookDoc): CoverageItem[] {
  const items: CoverageItem[] = [];
  const add = (kind: CoverageKind, step: string, edge: string, label: string) =>
    items.push({ kind, step, edge, label, covered: false, scenarios: [] });
  for (const part of asArray<{ steps?: unknown }>(doc.parts)) {
    for (const step of asArray<Step>(part?.steps)) {
      if (!step || typeof step.id !== 'string') continue;
      const s = step as Step & Record<string, unknown>;
      add('step', s.id, 'ran', 'ran');
      if (s.if !== undefined && s.if !== true) {
        add('if', s.id, 'true', `if ${short(s.if)}: true`);
        add('if', s.id, 'false', `if ${short(s.if)}: false (skipped)`);
      }
      if (Array.isArray(s.branch)) {
        s.branch.forEach((c: { if?: unknown; goto?: unknown; call?: unknown }, i: number) =>
          add(
            'branch',
            s.id,
            `case ${i + 1}`,
            `branch case ${i + 1}${c?.if !== undefined ? ` (${short(c.if)})` : ''} → ${c?.call !== undefined ? `call ${String(c.call)}` : `goto ${String(c?.goto)}`}`,
          ),
        );
        add(
          'branch',
          s.id,
          'default',
          s.default !== undefined ? `branch default → goto ${String(s.default)}` : 'branch: no case matched',
        );
        s.branch.forEach((c: { call?: unknown }, i: number) => {
          if (c?.call !== undefined)
            add('return', s.id, `return ${i + 1}`, `return from ${String(c.call)} (case ${i + 1})`);
        });
      }
      if (s.onError !== undefined && s.onError !== 'fail') {
        add('onError', s.id, 'ok', 'succeeded');
        add(
          'onError',
          s.id,
          'error',
          `failed → ${typeof s.onError === 'object' ? `goto ${String((s.onError as { goto?: unknown }).goto)}` : String(s.onError)}`,
        );
      }
      if (s.onUnavailable !== undefined) add('onUnavailable', s.id, 'unavailable', 'unavailable → onUnavailable');
      if (s.call !== undefined && s.forEach === undefined)
        add('return', s.id, 'return', `return from ${String(s.call)}`);
    }
  }
  return items;
}

/** Which edges one scenario's events took, as "step|edge" keys. */
function taken(doc: RunbookDoc, events: RunEvent[]): Set<string> {
  const out = new Set<string>();
  const steps = new Map<string, Step>();
  for (const part of asArray<{ steps?: unknown }>(doc.parts))
    for (const step of asArray<Step>(part?.steps)) if (step && typeof step.id === 'string') steps.set(step.id, step);
  // call frames: the calling step and the edge its return covers
  const stack: { caller: string; edge: string }[] = [];
  for (const ev of events) {
    if (ev.type !== 'step.end') continue;
    const e = ev as unknown as StepEnd;
    const step = steps.get(e.step);
    if (!step) continue;
    const conditionFalse = e.status === 'skipped' && e.reason === 'condition false';
    if (!conditionFalse) out.add(`${e.step}|ran`);
    if (step.if !== undefined) out.add(`${e.step}|${conditionFalse ? 'false' : 'true'}`);
    if (Array.isArray(step.branch) && !conditionFalse) {
      const c = (e.output as { case?: unknown } | undefined)?.case;
      if (typeof c === 'number') out.add(`${e.step}|case ${c + 1}`);
      else if (e.status === 'completed') out.add(`${e.step}|default`);
    }
    if (e.status === 'completed') out.add(`${e.step}|ok`);
    if (e.status === 'failed' || (e.error !== undefined && e.status !== 'unavailable')) out.add(`${e.step}|error`);
    if (e.status === 'unavailable') out.add(`${e.step}|unavailable`);
    for (let i = 0; i < (e.pop ?? 0); i++) {
      const frame = stack.pop();
      if (frame) out.add(`${frame.caller}|${frame.edge}`);
    }
    if (e.push) {
      const c = (e.output as { case?: unknown } | undefined)?.case;
      stack.push({ caller: e.push.caller, edge: typeof c === 'number' ? `return ${c + 1}` : 'return' });
    }
  }
  return out;
}

/** Coverage of a runbook by the event streams of its scenarios. */
export function coverage(doc: RunbookDoc, runs: { scenario: string; events: RunEvent[] }[]): RunbookCoverage {
  const items = itemsOf(doc);
  for (const run of runs) {
    const keys = taken(doc, run.events);
    for (const item of items)
      if (keys.has(`${item.step}|${item.edge}`)) {
        item.covered = true;
        item.scenarios.push(run.scenario);
      }
  }
  const stepItems = items.filter((i) => i.kind === 'step');
  const edgeItems = items.filter((i) => i.kind !== 'step');
  const covered = items.filter((i) => i.covered).length;
  return {
    steps: { covered: stepItems.filter((i) => i.covered).length, total: stepItems.length },
    edges: { covered: edgeItems.filter((i) => i.covered).length, total: edgeItems.length },
    percent: items.length ? Math.floor((covered / items.length) * 1000) / 10 : 100,
    items,
  };
}
