/**
 * The incident report model (`irun report`): everything the Markdown, HTML and
 * JSON reports show, built once from a run record — run.json, the hash-chained journal, the
 * evidence files — and, when it is still there and unchanged, the runbook file the run used
 * (for part titles, manual instructions and the post-incident review questions).
 *
 * The model is redacted as a whole before any renderer sees it: the journal is redacted when it
 * is written, and this is the second line of defence (secret-shaped strings, `secret: true`
 * inputs, evidence content). Renderers escape; nothing here is ever evaluated as a template.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Codes, ExitCode, IrunError, type SerializedError } from '../errors.js';
import { loadRunbookFile } from '../load/index.js';
import type { Part, RunbookDoc, Step } from '../model.js';
import type { EvidenceRef, PlannedChange } from '../plugins/api.js';
import type { RunEvent, RunStartEvent, StepStartEvent } from '../run/events.js';
import { readJournal, readRunMeta, verifyRun, type RunMeta, type VerifyProblem } from '../run/store.js';
import { REDACTED, Redactor } from '../util/redact.js';

export type ReportFormat = 'md' | 'html' | 'json';
export const REPORT_FORMATS: ReportFormat[] = ['md', 'html', 'json'];

/** Evidence files up to this size are inlined in the report (JSON pretty-printed). */
export const INLINE_EVIDENCE_BYTES = 64 * 1024;

/**
 * The questions of Part 5 step 6 of the source document ("Ask the following questions and
 * assign people to resolve any issues"), used when the runbook has no post-incident part.
 */
export const DEFAULT_REVIEW_QUESTIONS: readonly string[] = [
  'What information would have helped me respond to this incident more swiftly?',
  'What detection would have alerted me to the issue sooner?',
  'What configuration (technical or process) would have prevented this data being exposed in this way?',
  'What automation, tooling or access would have made it easier to investigate the root cause?',
];

/** How the run touched AWS: for real, read-only with a plan of changes, or not at all. */
export type RunMode = 'live' | 'dry-run' | 'simulation';

export interface ReportRun {
  id: string;
  status: string;
  outcome?: string;
  message?: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** Everyone who started, resumed, answered, approved or undid something, in order of appearance. */
  actors: string[];
  dryRun: boolean;
  simulated: boolean;
  mode: RunMode;
  /** "SIMULATION" or "DRY-RUN" (shown on every page / at top and bottom), absent for live runs. */
  banner?: string;
  waiting?: { step: string; reason: string; message: string };
  irunVersion?: string;
  scenario?: string;
}

export interface ReportRunbook {
  id: string;
  title: string;
  file: string;
  sha256: string;
  source?: { title?: string; url?: string };
  /** Whether the runbook file could be used: titles and instructions come from it only when `unchanged`. */
  fileStatus: 'unchanged' | 'changed' | 'missing' | 'invalid';
  note?: string;
}

export interface ReportIntegrity {
  ok: boolean;
  /** Journal lines whose hash chain checked out. */
  lines: number;
  evidence: number;
  problems: VerifyProblem[];
  /** The first journal line that is not intact (edited, removed, inserted, not JSON). */
  firstBadLine?: number;
  /** A torn last line (crash mid-write): tolerated, reported. */
  torn?: number;
  summary: string;
}

export interface ReportSummary {
  /** Distinct steps by their last status. */
  steps: { completed: number; skipped: number; failed: number; planned: number; waiting: number; total: number };
  changesMade: number;
  changesPlanned: number;
  changesUndone: number;
  decisions: number;
  evidence: number;
  openItems: number;
  errors: number;
}

export interface ReportInput {
  name: string;
  value: unknown;
  description?: string;
  /** Declared `secret: true` in the runbook: the value is always redacted. */
  isSecret?: boolean;
}

export type TimelineKind = 'run' | 'step' | 'answer' | 'approval' | 'retry' | 'undo' | 'waiting';

export interface TimelineEntry {
  seq?: number;
  time?: string;
  kind: TimelineKind;
  step?: string;
  ref?: string;
  part?: string;
  title?: string;
  actor?: string;
  status: string;
  durationMs?: number;
  /** One line: the reason, the error, the answer or the plan summary. */
  detail?: string;
}

export interface Decision {
  kind: 'answer' | 'approval';
  time?: string;
  step: string;
  ref?: string;
  title?: string;
  actor: string;
  source: string;
  /** Answers: the value given. */
  value?: unknown;
  checklist?: Record<string, boolean>;
  /** Approvals: approved or declined, and the plan that was shown. */
  approved?: boolean;
  plan?: PlannedChange;
}

export interface ChangeItem {
  index: number;
  input?: unknown;
  before?: unknown;
  output?: unknown;
  reversible?: true | string;
  error?: SerializedError;
}

export interface UndoRecord {
  status: string;
  /** The forEach item undone, for changes made per item. */
  index?: number;
  actor: string;
  at: string;
  reason?: string;
  error?: SerializedError;
}

export interface ChangeEntry {
  step: string;
  ref?: string;
  title?: string;
  part?: string;
  action?: string;
  /** completed (made), planned (dry-run), skipped (declined), failed, waiting (for approval). */
  status: string;
  time?: string;
  summary: string;
  noop?: boolean;
  input?: unknown;
  before?: unknown;
  after?: unknown;
  details?: unknown;
  reason?: string;
  error?: SerializedError;
  /** The command that reverts the change, when it can be reverted. */
  undo?: string;
  /** Why this change cannot be reverted (or why no undo applies). */
  noUndo?: string;
  undone?: UndoRecord[];
  approvedBy?: { actor: string; at: string; source: string };
  items?: ChangeItem[];
  evidence?: EvidenceRef[];
}

export interface EvidenceEntry {
  file: string;
  step: string;
  name: string;
  bytes: number;
  sha256: string;
  time?: string;
  /** intact, missing, or changed since it was recorded (sha256 differs). */
  state: 'ok' | 'missing' | 'tampered';
  /** Small files, redacted; JSON pretty-printed. */
  content?: string;
  contentType?: 'json' | 'text';
  /** Why the content is not inlined (too large, binary, missing). */
  contentNote?: string;
}

export interface OpenItem {
  step: string;
  ref?: string;
  title?: string;
  part?: string;
  /** waiting: the run is paused on it; not-reached: the run stopped before it; unticked: checklist items left open; failed. */
  reason: 'waiting' | 'approval' | 'not-reached' | 'unticked' | 'failed';
  instructions?: string;
  /** Checklist items still to do. */
  checklist?: string[];
  message?: string;
}

export interface ReportError {
  time?: string;
  step?: string;
  where: 'step' | 'item' | 'run' | 'undo' | 'retry';
  code: string;
  message: string;
  cause?: SerializedError['cause'];
}

export interface ReviewItem {
  step?: string;
  ref?: string;
  title?: string;
  instructions?: string;
  questions: string[];
  answer?: unknown;
  answeredBy?: string;
  status?: string;
}

export interface ReportReview {
  /** runbook: from its post-incident part; default: the source document's Part 5 step 6 questions. */
  source: 'runbook' | 'default';
  part?: { id: string; title?: string };
  items: ReviewItem[];
}

/** The incident report of one run. `irun report --format json` prints exactly this. */
export interface ReportModel {
  kind: 'irun-report';
  version: 1;
  generatedAt: string;
  run: ReportRun;
  runbook: ReportRunbook;
  integrity: ReportIntegrity;
  summary: ReportSummary;
  inputs: ReportInput[];
  timeline: TimelineEntry[];
  decisions: Decision[];
  changes: ChangeEntry[];
  evidence: EvidenceEntry[];
  openItems: OpenItem[];
  errors: ReportError[];
  review: ReportReview;
  /** Notes about the record itself (torn line, unreadable lines, runbook changed). */
  notes: string[];
}

export interface BuildReportOptions {
  /** Clock for `generatedAt` (tests). */
  now?: () => Date;
  /** Use this runbook file instead of the one recorded in run.start. */
  runbookFile?: string;
  /** Inline evidence up to this many bytes (default 64 KiB; 0 disables). */
  inlineEvidenceBytes?: number;
}

/** The folder of a run, or IRUN_RUN_NOT_FOUND. */
export function runDir(root: string, runId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId) || runId === '.' || runId === '..') {
    throw new IrunError(Codes.USAGE, `run id '${runId}' may hold only letters, digits, '.', '_' and '-'`, {
      exit: ExitCode.USAGE,
    });
  }
  const dir = path.join(root, runId);
  if (!existsSync(path.join(dir, 'journal.jsonl'))) {
    throw new IrunError('IRUN_RUN_NOT_FOUND', `no run '${runId}' in ${root}`, {
      exit: ExitCode.FAILED,
      suggestions: ['irun runs   lists the runs there', 'use --run-dir if the run was recorded elsewhere'],
    });
  }
  return dir;
}

/** Read the journal; a line that is not JSON in the middle (tampering) does not stop the report. */
function readEvents(file: string): { events: RunEvent[]; notes: string[] } {
  try {
    const j = readJournal(file);
    return {
      events: j.events,
      notes: j.torn ? [`the last journal line (${j.torn.line}) is a torn write and was ignored`] : [],
    };
  } catch (err) {
    if (!(err instanceof IrunError) || err.code !== 'IRUN_JOURNAL_CORRUPT') throw err;
    const events: RunEvent[] = [];
    const bad: number[] = [];
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        try {
          events.push(JSON.parse(line) as RunEvent);
        } catch {
          bad.push(i + 1);
        }
      });
    return { events, notes: [`journal line(s) ${bad.join(', ')} are not valid JSON and were left out of this report`] };
  }
}

// A bare 40-character AWS secret access key: base64 alphabet with upper case, lower case and a
// digit, standing alone (not part of a longer token such as a hash or a base64 blob).
const BARE_SECRET_KEY =
  /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** The Redactor plus a check for bare secret-key-shaped strings. */
export class ReportRedactor {
  readonly base = new Redactor();
  string(text: string): string {
    return this.base.redactString(text).replace(BARE_SECRET_KEY, REDACTED);
  }
  value<T>(value: T): T {
    return this.walk(this.base.redact(value), 0) as T;
  }
  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      Object.defineProperty(out, this.string(k), {
        value: this.walk(v, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
}

interface StepInfo {
  step?: Step;
  part?: Part;
  start?: StepStartEvent;
}

/** Build the report model of the run in `dir` (a folder holding journal.jsonl). */
export async function buildReport(dir: string, options: BuildReportOptions = {}): Promise<ReportModel> {
  const now = options.now ?? (() => new Date());
  const journalFile = path.join(dir, 'journal.jsonl');
  if (!existsSync(journalFile)) {
    throw new IrunError('IRUN_RUN_NOT_FOUND', `no run record in ${dir} (journal.jsonl is missing)`, {
      exit: ExitCode.FAILED,
    });
  }
  const meta: RunMeta | undefined = readRunMeta(dir);
  const { events: rawEvents, notes } = readEvents(journalFile);
  const start = rawEvents.find((e): e is RunStartEvent => e.type === 'run.start');
  if (!start && !meta) {
    throw new IrunError('IRUN_RUN_INVALID', `the run record in ${dir} has no run.start event and no run.json`, {
      exit: ExitCode.FAILED,
    });
  }
  const runId = start?.runId ?? meta!.runId;
  const recorded = start?.runbook ?? meta!.runbook;

  // The runbook file, used only when it is the very file the run used.
  const runbook: ReportRunbook = {
    id: recorded.id,
    title: recorded.title,
    file: recorded.file,
    sha256: recorded.sha256,
    fileStatus: 'missing',
  };
  let doc: RunbookDoc | undefined;
  const runbookFile = options.runbookFile ?? (recorded.file ? path.resolve(recorded.file) : '');
  if (runbookFile && existsSync(runbookFile) && statSync(runbookFile).isFile()) {
    const loaded = await loadRunbookFile(runbookFile);
    if (loaded.sha256 !== recorded.sha256) {
      runbook.fileStatus = 'changed';
      runbook.note = `the runbook file ${recorded.file} changed since the run (sha256 ${loaded.sha256.slice(0, 12)}… instead of ${recorded.sha256.slice(0, 12)}…); titles, refs and instructions come from the journal only`;
    } else if (!loaded.doc || !Array.isArray(loaded.doc.parts)) {
      runbook.fileStatus = 'invalid';
      runbook.note = `the runbook file ${recorded.file} could not be read as a runbook; titles, refs and instructions come from the journal only`;
    } else {
      runbook.fileStatus = 'unchanged';
      doc = loaded.doc;
      if (doc.source)
        runbook.source = {
          ...(doc.source.title ? { title: doc.source.title } : {}),
          ...(doc.source.url ? { url: doc.source.url } : {}),
        };
    }
  } else {
    runbook.note = `the runbook file ${recorded.file || '(not recorded)'} is no longer there; titles, refs and instructions come from the journal only`;
  }
  if (runbook.note) notes.push(runbook.note);

  // Redact every event before anything is derived from it (details are truncated later, and a
  // truncated secret would no longer look like one).
  const redactor = new ReportRedactor();
  const recordedInputs = start?.inputs ?? meta?.inputs ?? {};
  for (const [name, spec] of Object.entries(doc?.inputs ?? {}))
    if (spec.secret && recordedInputs[name] !== REDACTED) redactor.base.add(recordedInputs[name]);
  const events = rawEvents.map((e) => redactor.value(e));

  const stepsById = new Map<string, StepInfo>();
  const partsById = new Map<string, Part>();
  for (const part of doc?.parts ?? []) {
    partsById.set(part.id, part);
    for (const step of part.steps ?? []) stepsById.set(step.id, { step, part });
  }
  const info = (id: string): StepInfo => {
    let s = stepsById.get(id);
    if (!s) stepsById.set(id, (s = {}));
    return s;
  };
  const refOf = (id: string) => info(id).start?.ref ?? info(id).step?.ref;
  const titleOf = (id: string) => info(id).start?.title ?? info(id).step?.title;
  const partOf = (id: string) => info(id).start?.part ?? info(id).part?.id;
  const partLabel = (partId: string | undefined) => {
    if (!partId) return undefined;
    const t = partsById.get(partId)?.title;
    return t ? `${t} (${partId})` : partId;
  };

  // --- walk the journal once
  const actors: string[] = [];
  const addActor = (a: string | undefined) => {
    if (a && !actors.includes(a)) actors.push(a);
  };
  let sessionActor = start?.actor ?? meta?.actor ?? 'unknown';
  addActor(sessionActor);
  const timeline: TimelineEntry[] = [];
  const decisions: Decision[] = [];
  const changes: ChangeEntry[] = [];
  const changeByStep = new Map<string, ChangeEntry>();
  const evidenceEvents: { ref: EvidenceRef; step: string; time?: string }[] = [];
  const errors: ReportError[] = [];
  const lastStatus = new Map<string, string>();
  const answers = new Map<string, { value: unknown; actor: string; checklist?: Record<string, boolean> }>();
  const stepActor = new Map<string, string>();
  const items = new Map<string, ChangeItem[]>();
  const approvals = new Map<string, { actor: string; at: string; source: string; plan?: PlannedChange }>();
  let waiting: { step: string; reason: string; message: string; plan?: PlannedChange; time?: string } | undefined;
  let status = meta?.status ?? 'running';
  let outcome: string | undefined = meta?.outcome;
  let message: string | undefined = meta?.message;
  let endedAt: string | undefined;
  let lastTs: string | undefined;

  for (const e of events) {
    const ts = e.ts;
    if (ts) lastTs = ts;
    switch (e.type) {
      case 'run.start':
        status = 'running';
        timeline.push({
          seq: e.seq,
          time: ts ?? e.startedAt,
          kind: 'run',
          actor: e.actor,
          status: 'started',
          detail: `${e.dryRun ? 'dry-run' : e.simulated ? 'simulation' : 'live run'} of ${e.runbook.id}`,
        });
        break;
      case 'run.resume':
        sessionActor = e.actor;
        addActor(e.actor);
        status = 'running';
        waiting = undefined;
        timeline.push({
          seq: e.seq,
          time: ts ?? e.at,
          kind: 'run',
          actor: e.actor,
          status: 'resumed',
          ...(e.interrupted || e.waitingStep || e.retry
            ? {
                detail: [
                  e.interrupted ? `interrupted at ${e.interrupted}` : '',
                  e.waitingStep ? `was waiting at ${e.waitingStep}` : '',
                  e.retry ? `retrying ${e.retry}` : '',
                ]
                  .filter(Boolean)
                  .join('; '),
              }
            : {}),
        });
        break;
      case 'step.start': {
        const i = info(e.step);
        i.start = e;
        stepActor.delete(e.step);
        break;
      }
      case 'answer': {
        addActor(e.actor);
        stepActor.set(e.step, e.actor);
        answers.set(e.step, { value: e.value, actor: e.actor, ...(e.checklist ? { checklist: e.checklist } : {}) });
        decisions.push({
          kind: 'answer',
          time: e.at ?? ts,
          step: e.step,
          ref: refOf(e.step),
          title: titleOf(e.step),
          actor: e.actor,
          source: e.source,
          value: e.value,
          ...(e.checklist ? { checklist: e.checklist } : {}),
        });
        timeline.push({
          seq: e.seq,
          time: e.at ?? ts,
          kind: 'answer',
          step: e.step,
          ref: refOf(e.step),
          part: partOf(e.step),
          actor: e.actor,
          status: 'answered',
          detail: oneLine(e.value),
        });
        break;
      }
      case 'approval': {
        addActor(e.actor);
        stepActor.set(e.step, e.actor);
        if (e.approved)
          approvals.set(e.step, { actor: e.actor, at: e.at, source: e.source, ...(e.plan ? { plan: e.plan } : {}) });
        decisions.push({
          kind: 'approval',
          time: e.at ?? ts,
          step: e.step,
          ref: refOf(e.step),
          title: titleOf(e.step),
          actor: e.actor,
          source: e.source,
          approved: e.approved,
          ...(e.plan ? { plan: e.plan } : {}),
        });
        timeline.push({
          seq: e.seq,
          time: e.at ?? ts,
          kind: 'approval',
          step: e.step,
          ref: refOf(e.step),
          part: partOf(e.step),
          actor: e.actor,
          status: e.approved ? 'approved' : 'declined',
          detail: e.plan?.summary,
        });
        break;
      }
      case 'step.retry':
        timeline.push({
          seq: e.seq,
          time: ts,
          kind: 'retry',
          step: e.step,
          ref: refOf(e.step),
          part: partOf(e.step),
          actor: sessionActor,
          status: `retry ${e.attempt}`,
          detail: `${e.error.code}: ${e.error.message}; next attempt in ${e.delayMs}ms`,
        });
        errors.push({
          time: ts,
          step: e.step,
          where: 'retry',
          code: e.error.code,
          message: `attempt ${e.attempt}: ${e.error.message}`,
          ...(e.error.cause ? { cause: e.error.cause } : {}),
        });
        break;
      case 'item.end': {
        const list = items.get(e.step) ?? [];
        list.push({
          index: e.index,
          ...(e.input !== undefined ? { input: e.input } : {}),
          ...(e.before !== undefined ? { before: e.before } : {}),
          ...(e.output !== undefined ? { output: e.output } : {}),
          ...(e.reversible !== undefined ? { reversible: e.reversible } : {}),
          ...(e.error ? { error: e.error } : {}),
        });
        items.set(e.step, list);
        if (e.error)
          errors.push({
            time: ts,
            step: e.step,
            where: 'item',
            code: e.error.code,
            message: `item ${e.index}: ${e.error.message}`,
            ...(e.error.cause ? { cause: e.error.cause } : {}),
          });
        break;
      }
      case 'evidence':
        evidenceEvents.push({ ref: e.ref, step: e.step, time: ts });
        break;
      case 'step.end': {
        const i = info(e.step);
        lastStatus.set(e.step, e.status);
        const actor = stepActor.get(e.step) ?? sessionActor;
        const detail = e.error
          ? `${e.error.code}: ${e.error.message}`
          : e.reason
            ? e.reason
            : i.start?.kind === 'manual' && answers.has(e.step)
              ? `answer: ${oneLine(answers.get(e.step)!.value)}`
              : e.plan
                ? e.plan.summary
                : e.output !== undefined && e.output !== null
                  ? oneLine(e.output)
                  : undefined;
        timeline.push({
          seq: e.seq,
          time: ts,
          kind: 'step',
          step: e.step,
          ref: refOf(e.step),
          part: partOf(e.step),
          title: titleOf(e.step),
          actor,
          status: e.status,
          durationMs: e.durationMs,
          ...(detail ? { detail } : {}),
        });
        if (e.error)
          errors.push({
            time: ts,
            step: e.step,
            where: 'step',
            code: e.error.code,
            message: e.error.message,
            ...(e.error.cause ? { cause: e.error.cause } : {}),
          });
        const effect = i.start?.effect ?? (i.start?.action ? undefined : undefined);
        const itemList = items.get(e.step);
        const mutating = effect === 'mutate';
        if (
          mutating &&
          (e.before !== undefined ||
            e.plan ||
            itemList?.some((it) => it.reversible !== undefined || it.before !== undefined))
        ) {
          const change = changeEntry(runId, e, i, itemList, approvals.get(e.step), !!start?.dryRun, !!start?.simulated);
          changes.push(change);
          changeByStep.set(e.step, change);
        }
        items.delete(e.step);
        if (waiting?.step === e.step) waiting = undefined;
        break;
      }
      case 'run.waiting':
        status = 'waiting';
        waiting = { step: e.step, reason: e.reason, message: e.message, ...(e.plan ? { plan: e.plan } : {}), time: ts };
        lastStatus.set(e.step, 'waiting');
        timeline.push({
          seq: e.seq,
          time: ts,
          kind: 'waiting',
          step: e.step,
          ref: refOf(e.step),
          part: partOf(e.step),
          status: `waiting for ${e.reason}`,
          detail: e.message,
        });
        break;
      case 'run.end':
        status = e.status;
        outcome = e.outcome;
        message = e.message;
        endedAt = e.endedAt;
        waiting = undefined;
        timeline.push({
          seq: e.seq,
          time: ts ?? e.endedAt,
          kind: 'run',
          actor: sessionActor,
          status: `ended: ${e.status}${e.outcome && e.outcome !== e.status ? ` (${e.outcome})` : ''}`,
          ...(e.message ? { detail: e.message } : {}),
        });
        if (e.error)
          errors.push({
            time: ts,
            ...(e.step ? { step: e.step } : {}),
            where: 'run',
            code: e.error.code,
            message: e.error.message,
            ...(e.error.cause ? { cause: e.error.cause } : {}),
          });
        break;
      case 'undo': {
        addActor(e.actor);
        timeline.push({
          seq: e.seq,
          time: e.at ?? ts,
          kind: 'undo',
          step: e.step,
          ref: refOf(e.step),
          part: partOf(e.step),
          actor: e.actor,
          status: `undo ${e.status}`,
          detail: [e.action, e.reason, e.error?.message].filter(Boolean).join(': '),
        });
        const c = changeByStep.get(e.step);
        const index = (e as { index?: unknown }).index;
        if (c)
          (c.undone ??= []).push({
            status: e.status,
            ...(typeof index === 'number' ? { index } : {}),
            actor: e.actor,
            at: e.at,
            ...(e.reason ? { reason: e.reason } : {}),
            ...(e.error ? { error: e.error } : {}),
          });
        if (e.error)
          errors.push({
            time: ts,
            step: e.step,
            where: 'undo',
            code: e.error.code,
            message: e.error.message,
            ...(e.error.cause ? { cause: e.error.cause } : {}),
          });
        break;
      }
      default:
        break;
    }
  }

  // A mutating step paused for approval: the change it would make.
  if (status === 'waiting' && waiting?.reason === 'approval') {
    const i = info(waiting.step);
    const plan = waiting.plan;
    const change: ChangeEntry = {
      step: waiting.step,
      ...(refOf(waiting.step) ? { ref: refOf(waiting.step) } : {}),
      ...(titleOf(waiting.step) ? { title: titleOf(waiting.step) } : {}),
      ...(partOf(waiting.step) ? { part: partOf(waiting.step) } : {}),
      ...((i.start?.action ?? i.step?.action) ? { action: i.start?.action ?? i.step?.action } : {}),
      status: 'waiting',
      time: waiting.time,
      summary: plan?.summary ?? waiting.message,
      ...(plan?.before !== undefined ? { before: plan.before } : {}),
      ...(plan?.after !== undefined ? { after: plan.after } : {}),
      ...(plan?.details !== undefined ? { details: plan.details } : {}),
      noUndo: 'not made yet: waiting for approval',
    };
    changes.push(change);
  }

  // --- run
  const startedAt = start?.startedAt ?? meta?.startedAt;
  endedAt ??= meta?.endedAt;
  const endRef = endedAt ?? (status === 'running' || status === 'waiting' ? lastTs : undefined);
  const durationMs = startedAt && endRef ? Math.max(0, Date.parse(endRef) - Date.parse(startedAt)) : undefined;
  const dryRun = start?.dryRun ?? meta?.dryRun ?? false;
  const simulated = start?.simulated ?? meta?.simulated ?? false;
  const mode: RunMode = simulated ? 'simulation' : dryRun ? 'dry-run' : 'live';
  const run: ReportRun = {
    id: runId,
    status,
    ...(outcome ? { outcome } : {}),
    ...(message ? { message } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    ...(durationMs !== undefined && Number.isFinite(durationMs) ? { durationMs } : {}),
    actors,
    dryRun,
    simulated,
    mode,
    ...(mode === 'simulation' ? { banner: 'SIMULATION' } : mode === 'dry-run' ? { banner: 'DRY-RUN' } : {}),
    ...(status === 'waiting' && waiting
      ? { waiting: { step: waiting.step, reason: waiting.reason, message: waiting.message } }
      : {}),
    ...(meta?.irunVersion ? { irunVersion: meta.irunVersion } : {}),
    ...(meta?.scenario ? { scenario: meta.scenario } : {}),
  };

  // --- integrity
  const verified = verifyRun(dir);
  const bad = verified.problems.find((p) => p.kind === 'journal');
  const torn = verified.problems.find((p) => p.kind === 'torn');
  const evidenceProblems = verified.problems.filter((p) => p.kind === 'evidence');
  const integrity: ReportIntegrity = {
    ok: verified.ok,
    lines: verified.lines,
    evidence: verified.evidence,
    problems: verified.problems,
    ...(bad?.line ? { firstBadLine: bad.line } : {}),
    ...(torn?.line ? { torn: torn.line } : {}),
    summary: verified.ok
      ? `hash chain intact: ${verified.lines} journal line(s), ${verified.evidence} evidence file(s) match their sha256${torn ? ` (torn last line ${torn.line} ignored)` : ''}`
      : bad
        ? `NOT INTACT: the journal was changed at line ${bad.line ?? '?'} — ${bad.message}`
        : `NOT INTACT: ${evidenceProblems.length} evidence file(s) missing or changed`,
  };

  // --- inputs
  const inputs: ReportInput[] = [];
  const names = new Set([...Object.keys(doc?.inputs ?? {}), ...Object.keys(recordedInputs)]);
  for (const name of names) {
    const spec = doc?.inputs?.[name];
    const has = Object.hasOwn(recordedInputs, name);
    let value = has ? recordedInputs[name] : null;
    if (spec?.secret && value !== null && value !== undefined) value = REDACTED;
    inputs.push({
      name,
      value,
      ...(spec?.description ? { description: spec.description } : {}),
      ...(spec?.secret ? { isSecret: true } : {}),
    });
  }

  // --- evidence
  const problemByFile = new Map(evidenceProblems.map((p) => [p.file, p]));
  const limit = options.inlineEvidenceBytes ?? INLINE_EVIDENCE_BYTES;
  const evidence: EvidenceEntry[] = evidenceEvents.map(({ ref, step, time }) => {
    const p = problemByFile.get(ref.file);
    const state: EvidenceEntry['state'] = p ? (/missing/.test(p.message) ? 'missing' : 'tampered') : 'ok';
    const entry: EvidenceEntry = {
      file: ref.file,
      step,
      name: ref.name,
      bytes: ref.bytes,
      sha256: ref.sha256,
      ...(time ? { time } : {}),
      state,
    };
    if (state === 'missing') entry.contentNote = 'the file is missing';
    else if (limit <= 0 || ref.bytes >= limit) entry.contentNote = `not inlined (${ref.bytes} bytes; open ${ref.file})`;
    else Object.assign(entry, inlineEvidence(dir, ref.file));
    return entry;
  });

  // --- open items
  const openItems: OpenItem[] = [];
  const ended = status === 'completed' || status === 'aborted';
  const manualInfo = (id: string) => {
    const s = info(id).step;
    return { ...(s?.manual?.instructions ? { instructions: withRunId(s.manual.instructions, runId) } : {}) };
  };
  if (run.waiting) {
    const w = run.waiting;
    openItems.push({
      step: w.step,
      ...(refOf(w.step) ? { ref: refOf(w.step) } : {}),
      ...(titleOf(w.step) ? { title: titleOf(w.step) } : {}),
      ...(partOf(w.step) ? { part: partLabel(partOf(w.step)) } : {}),
      reason: w.reason === 'approval' ? 'approval' : 'waiting',
      message: w.message,
      ...manualInfo(w.step),
      ...(info(w.step).step?.manual?.checklist?.length ? { checklist: info(w.step).step!.manual!.checklist } : {}),
    });
  }
  const manualIds = doc
    ? doc.parts.flatMap((p) => (p.steps ?? []).filter((s) => s.manual).map((s) => s.id))
    : [...stepsById.entries()].filter(([, v]) => v.start?.kind === 'manual').map(([k]) => k);
  for (const id of manualIds) {
    if (run.waiting?.step === id) continue;
    const st = lastStatus.get(id);
    const base = {
      step: id,
      ...(refOf(id) ? { ref: refOf(id) } : {}),
      ...(titleOf(id) ? { title: titleOf(id) } : {}),
      ...(partOf(id) ? { part: partLabel(partOf(id)) } : {}),
    };
    if (st === 'completed') {
      const cl = answers.get(id)?.checklist;
      const open = cl
        ? Object.entries(cl)
            .filter(([, done]) => !done)
            .map(([item]) => item)
        : [];
      if (open.length) openItems.push({ ...base, reason: 'unticked', checklist: open, ...manualInfo(id) });
    } else if (st === 'failed') {
      openItems.push({ ...base, reason: 'failed', ...manualInfo(id) });
    } else if (st === undefined && !ended) {
      // The run stopped (paused, failed, still running) before reaching this step.
      const cl = info(id).step?.manual?.checklist;
      openItems.push({ ...base, reason: 'not-reached', ...manualInfo(id), ...(cl?.length ? { checklist: cl } : {}) });
    }
  }

  // --- review questions
  const review = reviewQuestions(runId, doc, answers, lastStatus);

  const distinct = { completed: 0, skipped: 0, failed: 0, planned: 0, waiting: 0, total: 0 };
  for (const s of lastStatus.values()) {
    distinct.total++;
    if (s in distinct) distinct[s as keyof typeof distinct]++;
  }
  const summary: ReportSummary = {
    steps: distinct,
    changesMade: changes.filter((c) => c.status === 'completed' && !c.noop).length,
    changesPlanned: changes.filter((c) => c.status === 'planned').length,
    changesUndone: changes.filter((c) => c.undone?.some((u) => u.status === 'completed')).length,
    decisions: decisions.length,
    evidence: evidence.length,
    openItems: openItems.length,
    errors: errors.length,
  };

  const model: ReportModel = {
    kind: 'irun-report',
    version: 1,
    generatedAt: now().toISOString(),
    run,
    runbook,
    integrity,
    summary,
    inputs,
    timeline,
    decisions,
    changes,
    evidence,
    openItems,
    errors,
    review,
    notes,
  };
  return redactor.value(model);
}

function changeEntry(
  runId: string,
  e: Extract<RunEvent, { type: 'step.end' }>,
  i: StepInfo,
  itemList: ChangeItem[] | undefined,
  approval: { actor: string; at: string; source: string; plan?: PlannedChange } | undefined,
  dryRun: boolean,
  simulated: boolean,
): ChangeEntry {
  // A change that ran records only "ran <action>"; the plan that was approved says what it did.
  const plan = approval?.plan && e.status === 'completed' ? { ...e.plan, ...approval.plan } : e.plan;
  const approvedBy = approval ? { actor: approval.actor, at: approval.at, source: approval.source } : undefined;
  const before = e.before !== undefined ? e.before : plan?.before;
  const after = plan?.after !== undefined ? plan.after : e.status === 'completed' ? e.output : undefined;
  const status = e.status === 'skipped' && e.reason === 'declined' ? 'declined' : e.status;
  // Actions that report their own before/after in the result (per bucket, per item): show those.
  let shownBefore = before;
  let shownAfter = after;
  if (shownBefore === undefined && e.status === 'completed') {
    const split = splitBeforeAfter(after);
    if (split) ({ before: shownBefore, after: shownAfter } = split);
  }
  const c: ChangeEntry = {
    step: e.step,
    ...((i.start?.ref ?? i.step?.ref) ? { ref: i.start?.ref ?? i.step?.ref } : {}),
    ...((i.start?.title ?? i.step?.title) ? { title: i.start?.title ?? i.step?.title } : {}),
    ...((i.start?.part ?? i.part?.id) ? { part: i.start?.part ?? i.part?.id } : {}),
    ...((i.start?.action ?? i.step?.action) ? { action: i.start?.action ?? i.step?.action } : {}),
    status,
    ...(e.ts ? { time: e.ts } : {}),
    summary: plan?.summary ?? `${i.start?.action ?? e.step} for each item`,
    ...(plan?.noop ? { noop: true } : {}),
    ...(e.input !== undefined ? { input: e.input } : {}),
    ...(shownBefore !== undefined ? { before: shownBefore } : {}),
    ...(shownAfter !== undefined ? { after: shownAfter } : {}),
    ...(plan?.details !== undefined ? { details: plan.details } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.error ? { error: e.error } : {}),
    ...(approvedBy ? { approvedBy } : {}),
    ...(itemList?.length ? { items: itemList } : {}),
    ...(e.evidence?.length ? { evidence: e.evidence } : {}),
  };
  const itemsReversible = itemList?.length
    ? itemList.every((it) => it.reversible === true || it.error) && itemList.some((it) => it.reversible === true)
    : false;
  const reversible =
    e.reversible ?? (itemsReversible ? true : itemList?.find((it) => typeof it.reversible === 'string')?.reversible);
  if (status === 'completed' && !simulated && reversible === true) c.undo = `irun undo ${runId} --step ${e.step}`;
  else if (status === 'completed' && typeof reversible === 'string') c.noUndo = reversible;
  else if (status === 'completed' && simulated) c.noUndo = 'simulation: nothing was changed in AWS';
  else if (status === 'completed') c.noUndo = 'no undo was recorded for this change';
  else if (status === 'planned')
    c.noUndo = dryRun ? 'dry-run: nothing was changed' : 'planned only: nothing was changed';
  else if (status === 'declined') c.noUndo = 'declined: nothing was changed';
  else if (status === 'failed') c.noUndo = 'the change failed; check the current state before acting';
  return c;
}

/** `{before, after, ...}` (or a list of them) -> the befores and the afters, or undefined. */
function splitBeforeAfter(value: unknown): { before: unknown; after: unknown } | undefined {
  const has = (v: unknown): v is { before: unknown; after?: unknown } =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, 'before');
  if (has(value)) return { before: value.before, after: Object.hasOwn(value, 'after') ? value.after : value };
  if (Array.isArray(value) && value.length > 0 && value.every(has)) {
    return { before: value.map((v) => v.before), after: value.map((v) => (Object.hasOwn(v, 'after') ? v.after : v)) };
  }
  return undefined;
}

function inlineEvidence(dir: string, file: string): Pick<EvidenceEntry, 'content' | 'contentType' | 'contentNote'> {
  const full = path.resolve(dir, file);
  if (!full.startsWith(path.resolve(dir) + path.sep)) return { contentNote: 'outside the run folder: not read' };
  let buf: Buffer;
  try {
    buf = readFileSync(full);
  } catch {
    return { contentNote: 'the file cannot be read' };
  }
  if (buf.includes(0)) return { contentNote: 'binary content: not inlined' };
  const text = buf.toString('utf8');
  try {
    return { content: JSON.stringify(JSON.parse(text), null, 2), contentType: 'json' };
  } catch {
    return { content: text, contentType: 'text' };
  }
}

/**
 * Runbook instructions may mention the run (`irun report {{ run.id }}`): that one placeholder is
 * replaced literally with the run id. Nothing else is evaluated; other placeholders stay as written.
 */
export function withRunId(text: string, runId: string): string {
  return text.replace(/\{\{\s*run\.id\s*\}\}/g, () => runId);
}

const POST_PART = /post|part\s*5\b/i;

function reviewQuestions(
  runId: string,
  doc: RunbookDoc | undefined,
  answers: Map<string, { value: unknown; actor: string }>,
  lastStatus: Map<string, string>,
): ReportReview {
  const part = doc?.parts.find((p) => POST_PART.test(p.id) || POST_PART.test(p.title ?? ''));
  const manual = (part?.steps ?? []).filter((s) => s.manual);
  if (part && manual.length) {
    return {
      source: 'runbook',
      part: { id: part.id, ...(part.title ? { title: part.title } : {}) },
      items: manual.map((s) => {
        const a = answers.get(s.id);
        const questions = [...(s.manual!.checklist ?? [])];
        if (s.manual!.ask?.message) questions.push(s.manual!.ask.message);
        return {
          step: s.id,
          ...(s.ref ? { ref: s.ref } : {}),
          ...(s.title ? { title: s.title } : {}),
          ...(s.manual!.instructions ? { instructions: withRunId(s.manual!.instructions.trim(), runId) } : {}),
          questions,
          ...(a ? { answer: a.value, answeredBy: a.actor } : {}),
          status: lastStatus.get(s.id) ?? 'not reached',
        };
      }),
    };
  }
  return {
    source: 'default',
    items: [{ ref: '5.6', title: 'Questions for the post-incident review', questions: [...DEFAULT_REVIEW_QUESTIONS] }],
  };
}

/** A value on one line, short: for timeline details. */
export function oneLine(value: unknown, max = 120): string {
  let text: string;
  if (value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** JSON for display (before/after, inputs): pretty, stable for undefined. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** "2026-11-30 12:00:03Z" from an ISO time. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60) ? `${Math.round(s % 60)}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

/** Headline of the run for banners and titles: "completed (resolved)". */
export function statusLine(run: ReportRun): string {
  return `${run.status}${run.outcome && run.outcome !== run.status ? ` (${run.outcome})` : ''}`;
}

/** Render the model in one of the formats. */
export async function renderReport(model: ReportModel, format: ReportFormat): Promise<string> {
  const redactor = new ReportRedactor();
  let text: string;
  if (format === 'json') text = `${JSON.stringify(model, null, 2)}\n`;
  else if (format === 'md') text = (await import('./markdown.js')).renderMarkdown(model);
  else text = (await import('./html.js')).renderHtml(model);
  // Second line of defence on the finished text: secret-shaped strings never leave.
  return redactor.base.redactString(text);
}
