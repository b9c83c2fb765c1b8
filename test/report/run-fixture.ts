/**
 * Real run records for the report tests: a small runbook written to a temp dir, run through the
 * executor with the run store (journal, evidence, run.json), answers and approvals from a preset
 * human that can also tick checklists.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseRunbook } from '../../engine/load/index.js';
import { defineAction, definePlugin } from '../../engine/plugins/api.js';
import type { RunbookDoc } from '../../engine/model.js';
import type { Registry } from '../../engine/plugins/registry.js';
import { execute, type RunResult, type Simulator } from '../../engine/run/executor.js';
import type { AnswerResult, ApprovalRequest, ApprovalResult, Human, ManualPrompt } from '../../engine/run/human.js';
import { RunStore } from '../../engine/run/store.js';
import { dedent, tempTree } from '../helpers/fs.js';
import { testRegistry, type TestActions } from '../run/helpers.js';

/** Hostile text: markup, a template, quotes, unicode, a pipe and a backtick. */
export const NASTY = `<script>alert(1)</script> {{ inputs.x }} "double" 'single' Zoë — 東京 🚨 a|b \`tick\``;
/** Shaped like an AWS secret access key (the example key of the AWS docs). */
export const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

export const RUNBOOK = dedent`
  irun: 1
  id: report-test
  title: Report test runbook
  source: { title: "Reference procedure", url: "https://example.com/procedure" }
  inputs:
    bucket: { type: string, description: "Bucket involved" }
    apiToken: { type: string, secret: true }
  parts:
    - id: gather
      title: "Part 1: Gather"
      steps:
        - id: intake
          ref: "1.1"
          title: How did you learn of it
          manual:
            instructions: Record how the incident was reported.
            ask: { type: input }
        - id: read-config
          ref: "1.2"
          title: Read the configuration
          action: t.echo
          with: { value: "{{ inputs.bucket }}" }
        - id: dump
          ref: "1.3"
          title: Save a dump
          action: r.dump
        - id: flaky-read
          ref: "1.4"
          action: t.flaky
          with: { key: "f" }
          retry: { attempts: 2, delay: 1ms }
    - id: contain
      title: "Part 2: Contain"
      steps:
        - id: block-access
          ref: "2.1"
          title: Block public access
          action: t.change
          with: { value: "blocked" }
        - id: notify
          ref: "2.2"
          title: Notify the owners
          manual:
            instructions: Tell the owners.
            checklist:
              - Owner emailed
              - Ticket updated
            ask: { type: confirm }
    - id: post-incident
      title: "Part 5: Post-incident activity"
      steps:
        - id: review-meeting
          ref: "5.1"
          title: Review the handling
          manual:
            instructions: Review how the incident was handled with the stakeholders.
            ask: { type: input, message: Date of the review meeting }
        - id: review-questions
          ref: "5.6"
          title: Questions for the review
          manual:
            instructions: Ask these questions and assign owners.
            checklist:
              - What information would have helped me respond more swiftly?
              - What detection would have alerted me sooner?
        - id: done
          end: { status: resolved, message: "resolved" }
`;

/** Answers by step id, checklist ticks by step id, approvals for every change. */
export class TickingHuman implements Human {
  constructor(
    private readonly answers: Record<string, unknown>,
    private readonly ticks: Record<string, Record<string, boolean>> = {},
    private readonly approveAll = true,
    private readonly actor = 'alice@example.com',
    private readonly approver = 'bob@example.com',
  ) {}
  async answer(p: ManualPrompt): Promise<AnswerResult | undefined> {
    if (!Object.hasOwn(this.answers, p.step.id)) return undefined;
    const ticks = this.ticks[p.step.id];
    return {
      value: this.answers[p.step.id],
      actor: this.actor,
      source: 'prompt',
      ...(ticks ? { checklist: ticks } : {}),
    };
  }
  async approve(_r: ApprovalRequest): Promise<ApprovalResult | undefined> {
    return this.approveAll ? { approved: true, actor: this.approver, source: 'prompt' } : undefined;
  }
}

export const FULL_ANSWERS = {
  intake: NASTY,
  notify: true,
  'review-meeting': '2026-12-07',
  'review-questions': 'done',
};

export interface RecordedRun {
  root: string;
  dir: string;
  runId: string;
  runbookFile: string;
  result: RunResult;
  registry: Registry;
  /** What the test actions were called with (t.change records its undos). */
  actions: TestActions;
  cleanup(): void;
}

/** Run RUNBOOK (or `text`) into a fresh run store in a temp dir. */
export async function recordRun(
  options: {
    text?: string;
    human?: Human;
    dryRun?: boolean;
    simulator?: Simulator;
    inputs?: Record<string, unknown>;
    runId?: string;
  } = {},
): Promise<RecordedRun> {
  const t = tempTree();
  const text = options.text ?? RUNBOOK;
  const runbookFile = t.file('runbook.yaml');
  writeFileSync(runbookFile, text);
  const loaded = parseRunbook(text, runbookFile);
  if (!loaded.doc) throw new Error('test runbook does not parse');
  const { registry, t: ta } = testRegistry();
  ta.failUntil.set('f', 1);
  registry.addPack(
    definePlugin({
      namespace: 'r',
      actions: {
        dump: defineAction({
          description: 'saves evidence holding hostile text and a secret-shaped string',
          input: { type: 'object' },
          output: { type: 'object' },
          effect: 'read',
          permissions: [],
          async run(ctx) {
            await ctx.evidence.save('dump', { note: NASTY, key: SECRET_KEY, nested: { list: [1, 2, 3] } });
            await ctx.evidence.save('raw', 'plain text evidence <b>bold</b>');
            return { saved: 2, note: NASTY, leaked: SECRET_KEY };
          },
        }),
        patch: defineAction({
          description: 'a mutation that reports its own before and after, with undo',
          input: { type: 'object', properties: { value: {} }, additionalProperties: false },
          output: { type: 'object' },
          effect: 'mutate',
          permissions: ['r:Patch'],
          async run(_ctx, input: { value?: unknown }) {
            return { before: { value: null }, after: { value: input.value ?? null } };
          },
          async undo() {
            return undefined;
          },
        }),
      },
    }),
    'builtin',
  );
  const root = t.file('runs');
  const runId = options.runId ?? 'run-1';
  const store = RunStore.create(root, runId, { fsync: false, irunVersion: '9.9.9' });
  let result: RunResult;
  try {
    result = await execute({
      doc: loaded.doc as RunbookDoc,
      file: runbookFile,
      sha256: loaded.sha256,
      registry,
      human:
        options.human ?? new TickingHuman(FULL_ANSWERS, { notify: { 'Owner emailed': true, 'Ticket updated': false } }),
      inputs: options.inputs ?? { bucket: 'my-bucket', apiToken: 'tok-very-secret-value' },
      actor: 'alice@example.com',
      runId,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.simulator ? { simulator: options.simulator } : {}),
      listeners: [store.listener()],
      evidenceFor: (s) => store.evidenceFor(s),
    });
  } finally {
    store.close();
  }
  return {
    root,
    dir: path.join(root, runId),
    runId,
    runbookFile,
    result,
    registry,
    actions: ta,
    cleanup: t.cleanup,
  };
}
