/**
 * Undo: revert the changes a run recorded, newest first, through each action's `undo` and the
 * before-state captured at the time. Each undo is approved and recorded in the run's journal.
 */
import { Codes, IrunError, serializeError } from '../errors.js';
import type { AwsSettings, EvidenceStore, PlannedChange } from '../plugins/api.js';
import { makeActionContext } from './context.js';
import type { Registry } from '../plugins/registry.js';
import { Redactor } from '../util/redact.js';
import type { RunEvent, UndoEvent } from './events.js';
import type { Human } from './human.js';

export interface UndoItem {
  step: string;
  index?: number;
  action: string;
  input: unknown;
  before: unknown;
  output: unknown;
  reversible: true | string;
  seq?: number;
}

/** Recorded changes not yet undone, newest first. */
export function undoableChanges(events: RunEvent[]): UndoItem[] {
  const actionOf = new Map<string, string>();
  const items: UndoItem[] = [];
  const undone = new Set<string>();
  for (const e of events) {
    if (e.type === 'step.start' && e.action && e.effect === 'mutate') actionOf.set(e.step, e.action);
    else if (e.type === 'step.end' && e.status === 'completed' && e.reversible !== undefined && actionOf.has(e.step)) {
      items.push({
        step: e.step,
        action: actionOf.get(e.step)!,
        input: e.input,
        before: e.before,
        output: e.output ?? null,
        reversible: e.reversible,
        seq: e.seq,
      });
    } else if (e.type === 'item.end' && e.reversible !== undefined && actionOf.has(e.step)) {
      items.push({
        step: e.step,
        index: e.index,
        action: actionOf.get(e.step)!,
        input: e.input,
        before: e.before,
        output: e.output ?? null,
        reversible: e.reversible,
        seq: e.seq,
      });
    } else if (e.type === 'undo' && e.status === 'completed') {
      undone.add(key(e.step, e.index));
    }
  }
  return items.filter((i) => !undone.has(key(i.step, i.index))).reverse();
}

const key = (step: string, index?: number) => (index === undefined ? step : `${step}#${index}`);

export interface UndoOptions {
  events: RunEvent[];
  registry: Registry;
  human: Human;
  actor: string;
  runId: string;
  aws: AwsSettings;
  version: string;
  evidenceFor: (step: string) => EvidenceStore;
  emit: (e: UndoEvent) => void;
  /** Log and progress events of the undo actions (default: dropped). */
  log?: (e: RunEvent) => void;
  /** Only these steps. */
  steps?: string[];
  signal?: AbortSignal;
  now?: () => Date;
}

export interface UndoSummary {
  completed: string[];
  refused: { step: string; reason: string }[];
  declined: string[];
  failed?: { step: string; message: string };
  /** Waiting for approval (non-interactive, no --yes/--approve): nothing more was undone. */
  waitingFor?: string;
}

export async function undoRun(o: UndoOptions): Promise<UndoSummary> {
  const now = o.now ?? (() => new Date());
  let items = undoableChanges(o.events);
  if (o.steps?.length) {
    const known = new Set(items.map((i) => i.step));
    const missing = o.steps.filter((s) => !known.has(s));
    if (missing.length) {
      throw new IrunError(
        'IRUN_UNDO_NOTHING',
        `no recorded change to undo at step${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        {
          suggestions: known.size
            ? [`steps with changes to undo: ${[...known].join(', ')}`]
            : ['this run has no change left to undo'],
        },
      );
    }
    items = items.filter((i) => o.steps!.includes(i.step));
  }
  const summary: UndoSummary = { completed: [], refused: [], declined: [] };
  const shared = new Map<string, unknown>();
  const redactor = new Redactor();
  for (const item of items) {
    const label = key(item.step, item.index);
    const base = {
      type: 'undo' as const,
      step: item.step,
      ...(item.index !== undefined ? { index: item.index } : {}),
      action: item.action,
      actor: o.actor,
    };
    if (item.reversible !== true) {
      summary.refused.push({ step: label, reason: item.reversible });
      o.emit({ ...base, status: 'refused', at: now().toISOString(), reason: item.reversible });
      continue;
    }
    const reg = await o.registry.require(item.action);
    if (!reg.def.undo) {
      const reason = `action ${item.action} has no undo`;
      summary.refused.push({ step: label, reason });
      o.emit({ ...base, status: 'refused', at: now().toISOString(), reason });
      continue;
    }
    const plan: PlannedChange = {
      summary: `undo ${item.action} of step ${label}: restore the state recorded before the change`,
      before: item.output,
      after: item.before,
    };
    const decision = await o.human.approve({
      step: { id: item.step, action: item.action },
      action: item.action,
      input: item.input,
      plan,
    });
    if (!decision) {
      summary.waitingFor = label;
      break;
    }
    if (!decision.approved) {
      summary.declined.push(label);
      o.emit({ ...base, status: 'declined', at: now().toISOString(), actor: decision.actor });
      continue;
    }
    const ctx = makeActionContext({
      runId: o.runId,
      stepId: item.step,
      action: item.action,
      dryRun: false,
      signal: o.signal ?? new AbortController().signal,
      aws: o.aws,
      shared,
      version: o.version,
      now,
      evidence: o.evidenceFor(item.step),
      redactor,
      emit: (e) => o.log?.(e),
    });
    try {
      await reg.def.undo(ctx, item.input, item.before, item.output);
      summary.completed.push(label);
      o.emit({ ...base, status: 'completed', at: now().toISOString(), actor: decision.actor });
    } catch (err) {
      const e = serializeError(err);
      summary.failed = { step: label, message: `${e.code}: ${redactor.redactString(e.message)}` };
      o.emit({ ...base, status: 'failed', at: now().toISOString(), actor: decision.actor, error: e });
      // Later (older) changes may depend on this one being reverted first: stop here.
      break;
    }
  }
  return summary;
}

export function assertUndoable(items: UndoItem[]): void {
  if (!items.length) throw new IrunError(Codes.USAGE, 'this run has no recorded change left to undo', { exit: 1 });
}
