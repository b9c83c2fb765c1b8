/**
 * The incident report, built from real run records (executor + run store in a temp dir):
 * every section of the model, the Markdown and the HTML, escaping of hostile text, redaction,
 * dry-run and simulation banners, paused runs, a missing or changed runbook, tampering, and the
 * `irun report` command.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fence, mdCell, renderMarkdown } from '../../engine/report/markdown.js';
import { esc, renderHtml } from '../../engine/report/html.js';
import {
  buildReport,
  DEFAULT_REVIEW_QUESTIONS,
  renderReport,
  ReportRedactor,
  type ReportModel,
} from '../../engine/report/report.js';
import { PresetHuman } from '../../engine/run/human.js';
import { readJournal, RunStore } from '../../engine/run/store.js';
import { undoRun } from '../../engine/run/undo.js';
import { dedent } from '../helpers/fs.js';
import { FULL_ANSWERS, NASTY, recordRun, RUNBOOK, SECRET_KEY, TickingHuman, type RecordedRun } from './run-fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Markdown outside fenced code blocks. */
function outsideFences(md: string): string {
  return md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
}

const MD_HEADINGS = [
  '## Integrity',
  '## Summary',
  '## Inputs',
  '## Timeline',
  '## Decisions',
  '## Changes',
  '## Evidence',
  '## Open manual items',
  '## Errors',
  '## Post-incident review',
];
const HTML_SECTIONS = [
  'summary',
  'integrity',
  'inputs',
  'timeline',
  'decisions',
  'changes',
  'evidence',
  'open-items',
  'errors',
  'review',
];

describe('report: incident report from a run record', function () {
  this.timeout(20_000);

  describe('a completed live run', () => {
    let rec: RecordedRun;
    let model: ReportModel;
    let md: string;
    let html: string;
    let json: string;

    before(async () => {
      rec = await recordRun();
      expect(rec.result.status, JSON.stringify(rec.result.error)).to.equal('completed');
      model = await buildReport(rec.dir, { now: () => new Date('2026-12-01T09:00:00Z') });
      md = await renderReport(model, 'md');
      html = await renderReport(model, 'html');
      json = await renderReport(model, 'json');
    });
    after(() => rec.cleanup());

    it('has the header: runbook, run, status, times, actors, no banner', () => {
      expect(model.runbook).to.include({ id: 'report-test', title: 'Report test runbook', fileStatus: 'unchanged' });
      expect(model.runbook.source).to.deep.equal({
        title: 'Reference procedure',
        url: 'https://example.com/procedure',
      });
      expect(model.run).to.include({
        id: 'run-1',
        status: 'completed',
        outcome: 'resolved',
        mode: 'live',
        dryRun: false,
        simulated: false,
      });
      expect(model.run.banner).to.equal(undefined);
      expect(model.run.actors).to.deep.equal(['alice@example.com', 'bob@example.com']);
      expect(model.run.startedAt).to.be.a('string');
      expect(model.run.endedAt).to.be.a('string');
      expect(model.run.durationMs).to.be.a('number');
      expect(model.generatedAt).to.equal('2026-12-01T09:00:00.000Z');
      expect(md).to.not.match(/DRY-RUN|SIMULATION/);
    });

    it('states the integrity of the record', () => {
      const lines = readFileSync(path.join(rec.dir, 'journal.jsonl'), 'utf8').trim().split('\n').length;
      expect(model.integrity).to.include({ ok: true, lines, evidence: 3 });
      expect(model.integrity.firstBadLine).to.equal(undefined);
      expect(md).to.include(`✔ hash chain intact: ${lines} journal line(s)`);
    });

    it('summarises steps, changes, open items and errors', () => {
      expect(model.summary.steps).to.deep.equal({
        completed: 9,
        skipped: 0,
        failed: 0,
        planned: 0,
        waiting: 0,
        total: 9,
      });
      expect(model.summary).to.include({
        changesMade: 1,
        changesPlanned: 0,
        decisions: 5,
        evidence: 3,
        openItems: 1,
        errors: 1,
      });
    });

    it('lists the inputs with secret ones redacted', () => {
      expect(model.inputs).to.deep.include({ name: 'bucket', value: 'my-bucket', description: 'Bucket involved' });
      expect(model.inputs).to.deep.include({ name: 'apiToken', value: '[REDACTED]', isSecret: true });
      for (const out of [md, html, json]) expect(out).to.not.include('tok-very-secret-value');
    });

    it('has one timeline row per step end, plus answers, approvals and retries, with the actor', () => {
      const events = readJournal(path.join(rec.dir, 'journal.jsonl')).events;
      const ends = events.filter((e) => e.type === 'step.end');
      const stepRows = model.timeline.filter((t) => t.kind === 'step');
      expect(stepRows.map((r) => r.step)).to.deep.equal(ends.map((e) => (e as { step: string }).step));
      expect(model.timeline.filter((t) => t.kind === 'answer')).to.have.length(4);
      expect(model.timeline.filter((t) => t.kind === 'approval')).to.have.length(1);
      const retry = model.timeline.find((t) => t.kind === 'retry');
      expect(retry).to.include({ step: 'flaky-read', ref: '1.4', part: 'gather', status: 'retry 1' });
      const change = stepRows.find((r) => r.step === 'block-access')!;
      expect(change).to.include({
        ref: '2.1',
        part: 'contain',
        title: 'Block public access',
        actor: 'bob@example.com',
        status: 'completed',
      });
      expect(change.durationMs).to.be.a('number');
      expect(stepRows.find((r) => r.step === 'read-config')).to.include({ actor: 'alice@example.com' });
    });

    it('records every decision with who made it', () => {
      const approval = model.decisions.find((d) => d.kind === 'approval')!;
      expect(approval).to.include({
        step: 'block-access',
        ref: '2.1',
        actor: 'bob@example.com',
        approved: true,
        source: 'prompt',
      });
      expect(approval.plan?.summary).to.equal('set value to blocked');
      const intake = model.decisions.find((d) => d.step === 'intake')!;
      expect(intake).to.include({ kind: 'answer', actor: 'alice@example.com', value: NASTY });
      expect(model.decisions.find((d) => d.step === 'notify')?.checklist).to.deep.equal({
        'Owner emailed': true,
        'Ticket updated': false,
      });
      expect(md).to.match(
        /\| block-access — Block public access \| 2\.1 \| \*\*approved\*\* \| bob@example\.com \| prompt \| set value to blocked \|/,
      );
    });

    it('lists each change with its before, after and how to undo it', () => {
      expect(model.changes).to.have.length(1);
      const c = model.changes[0];
      expect(c).to.include({
        step: 'block-access',
        action: 't.change',
        status: 'completed',
        summary: 'set value to blocked',
        undo: 'irun undo run-1 --step block-access',
      });
      expect(c.before).to.deep.equal({ mutations: 0 });
      expect(c.after).to.deep.equal({ changed: true });
      expect(c.input).to.deep.equal({ value: 'blocked' });
      expect(c.approvedBy).to.include({ actor: 'bob@example.com' });
      expect(md).to.include('- Undo: `irun undo run-1 --step block-access`');
      expect(md).to.include('Before:\n\n```json\n{\n  "mutations": 0\n}\n```');
      expect(html).to.include('<code class="cmd">irun undo run-1 --step block-access</code>');
      expect(html).to.match(
        /<div class="ba"><div><h4>Before<\/h4><details open><summary>JSON<\/summary><pre>\{\n {2}&quot;mutations&quot;: 0\n\}<\/pre>/,
      );
    });

    it('indexes the evidence with each file’s sha256, inlining small files', () => {
      expect(model.evidence.map((e) => e.file)).to.deep.equal([
        'evidence/0001-dump-dump.json',
        'evidence/0002-dump-raw.txt',
        'evidence/0003-block-access-block-access-before.json',
      ]);
      for (const e of model.evidence) {
        expect(e.sha256, e.file).to.equal(sha256(path.join(rec.dir, e.file)));
        expect(e.state).to.equal('ok');
        expect(md).to.include(
          `| ${e.file.replace(/_/g, '\\_')} | ${e.step} | ${e.name} | ${e.bytes} | ${e.sha256} | ok |`,
        );
        expect(html).to.include(e.sha256);
      }
      const dump = model.evidence[0];
      expect(dump.contentType).to.equal('json');
      expect(JSON.parse(dump.content!)).to.deep.equal({ note: NASTY, key: '[REDACTED]', nested: { list: [1, 2, 3] } });
      expect(dump.content).to.include('\n  "nested": {\n    "list": [');
      expect(model.evidence[1]).to.include({ contentType: 'text', content: 'plain text evidence <b>bold</b>' });
      expect(html).to.include(
        '<details><summary>evidence/0002-dump-raw.txt</summary><pre>plain text evidence &lt;b&gt;bold&lt;/b&gt;</pre></details>',
      );
    });

    it('lists manual items still open: checklist items left unticked', () => {
      expect(model.openItems).to.deep.equal([
        {
          step: 'notify',
          ref: '2.2',
          title: 'Notify the owners',
          part: 'Part 2: Contain (contain)',
          reason: 'unticked',
          checklist: ['Ticket updated'],
          instructions: 'Tell the owners.',
        },
      ]);
      expect(md).to.include('  - [ ] Ticket updated');
    });

    it('lists errors', () => {
      expect(model.errors).to.deep.equal([
        {
          time: model.errors[0].time,
          step: 'flaky-read',
          where: 'retry',
          code: 'IRUN_ACTION_FAILED',
          message: 'attempt 1: flaky failure (1 left)',
        },
      ]);
    });

    it('takes the post-incident review questions from the runbook’s Part 5', () => {
      expect(model.review.source).to.equal('runbook');
      expect(model.review.part).to.deep.equal({ id: 'post-incident', title: 'Part 5: Post-incident activity' });
      expect(model.review.items.map((i) => i.step)).to.deep.equal(['review-meeting', 'review-questions']);
      expect(model.review.items[0]).to.include({ ref: '5.1', answer: '2026-12-07', answeredBy: 'alice@example.com' });
      expect(model.review.items[0].questions).to.deep.equal(['Date of the review meeting']);
      expect(model.review.items[1].questions).to.deep.equal([
        'What information would have helped me respond more swiftly?',
        'What detection would have alerted me sooner?',
      ]);
      expect(md).to.include('## Post-incident review: Part 5: Post-incident activity');
      expect(md).to.include('- [ ] What detection would have alerted me sooner?');
      expect(html).to.include('<li>What detection would have alerted me sooner?</li>');
    });

    it('never prints a secret-shaped string, even one the journal let through', () => {
      expect(
        readFileSync(path.join(rec.dir, 'journal.jsonl'), 'utf8'),
        'the fixture puts it in the journal',
      ).to.include(SECRET_KEY);
      for (const out of [md, html, json]) expect(out).to.not.include(SECRET_KEY).and.to.not.include('wJalrXUtnFEMI');
    });

    it('Markdown: every section, cells escaped, JSON fenced, no raw HTML', () => {
      expect(md.startsWith('# Incident report: Report test runbook\n')).to.equal(true);
      let at = -1;
      for (const h of MD_HEADINGS) {
        const i = md.indexOf(`\n${h}`);
        expect(i, h).to.be.greaterThan(at);
        at = i;
      }
      expect(md).to.include(
        '&lt;script&gt;alert(1)&lt;/script&gt; {{ inputs.x }} "double" \'single\' Zoë — 東京 🚨 a\\|b \\`tick\\`',
      );
      expect(md).to.not.match(/<script/i);
      expect(outsideFences(md)).to.not.match(/<[a-z/]/i);
      // every table row has the same number of unescaped pipes as its header
      for (const table of md.split('\n\n').filter((b) => b.startsWith('| '))) {
        const rows = table.split('\n');
        const cols = (r: string) => r.replace(/\\\|/g, '').split('|').length;
        for (const r of rows) expect(cols(r), r).to.equal(cols(rows[0]));
      }
    });

    it('HTML: one self-contained file, every section, every value escaped', () => {
      expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
      for (const id of HTML_SECTIONS) expect(html, id).to.include(`<section id="${id}">`);
      expect(html).to.not.match(/<script/i);
      expect(html).to.not.match(/\s(src|href)="(?!#)/i);
      expect(html).to.not.match(/<link|@import|url\(/i);
      expect(html).to.include(
        '&lt;script&gt;alert(1)&lt;/script&gt; {{ inputs.x }} &quot;double&quot; &#39;single&#39; Zoë — 東京 🚨 a|b `tick`',
      );
      expect(html).to.include('<style>');
      expect(html).to.match(/<details/);
    });

    it('JSON: the model itself', () => {
      expect(JSON.parse(json)).to.deep.equal(JSON.parse(JSON.stringify(model)));
    });
  });

  it('dry-run: the plan of each change, and DRY-RUN at the top and bottom and in every HTML section', async () => {
    const rec = await recordRun({ dryRun: true });
    try {
      const model = await buildReport(rec.dir);
      expect(model.run).to.include({ mode: 'dry-run', banner: 'DRY-RUN' });
      expect(model.changes).to.have.length(1);
      expect(model.changes[0]).to.include({
        step: 'block-access',
        status: 'planned',
        summary: 'set value to blocked',
        noUndo: 'dry-run: nothing was changed',
      });
      expect(model.changes[0].undo).to.equal(undefined);
      expect(model.changes[0].before).to.deep.equal({ mutations: 0 });
      expect(model.summary).to.include({ changesMade: 0, changesPlanned: 1 });
      expect(model.summary.steps.planned).to.equal(1);
      const md = renderMarkdown(model);
      const lines = md.trim().split('\n');
      expect(lines[0]).to.match(/^> \*\*DRY-RUN\*\*/);
      expect(lines[lines.length - 1]).to.match(/^> \*\*DRY-RUN\*\*/);
      expect(md).to.include('After (planned):');
      const html = renderHtml(model);
      const sections = html.split('<section id=').slice(1);
      expect(sections).to.have.length(HTML_SECTIONS.length);
      for (const s of sections)
        expect(s, s.slice(0, 30)).to.match(/^"[a-z-]+">\n<div class="mode-banner dry-run" role="note">DRY-RUN/);
      expect(html).to.include('<title>[DRY-RUN] Incident report');
    } finally {
      rec.cleanup();
    }
  });

  it('simulation: SIMULATION on every page, and no undo for simulated changes', async () => {
    const rec = await recordRun({
      simulator: {
        call: async (r) =>
          r.action === 't.change'
            ? { changed: true }
            : r.action === 'r.dump'
              ? { saved: 0 }
              : { value: 'sim', ok: true },
      },
    });
    try {
      expect(rec.result.status).to.equal('completed');
      const model = await buildReport(rec.dir);
      expect(model.run).to.include({ mode: 'simulation', banner: 'SIMULATION' });
      const md = renderMarkdown(model);
      expect(md.trim().split('\n')[0]).to.match(/^> \*\*SIMULATION\*\*/);
      expect(md.trim().split('\n').pop()).to.match(/^> \*\*SIMULATION\*\*/);
      const html = renderHtml(model);
      for (const s of html.split('<section id=').slice(1))
        expect(s).to.match(/^"[a-z-]+">\n<div class="mode-banner simulation" role="note">SIMULATION/);
      expect(html).to.include('<footer><div class="mode-banner simulation"');
      // a simulated change is never counted as a change made
      expect(md).to.include('| Changes (simulated) |');
      expect(md).to.not.include('| Changes made |');
      expect(html).to.include('changes (simulated)');
      const change = model.changes.find((c) => c.step === 'block-access');
      expect(change?.undo).to.equal(undefined);
    } finally {
      rec.cleanup();
    }
  });

  it('a run paused for an answer: the waiting step and the steps not reached are open', async () => {
    const answers: Record<string, unknown> = { ...FULL_ANSWERS };
    delete answers.notify;
    const rec = await recordRun({ human: new TickingHuman(answers) });
    try {
      expect(rec.result.status).to.equal('waiting');
      const model = await buildReport(rec.dir);
      expect(model.run.status).to.equal('waiting');
      expect(model.run.waiting).to.include({ step: 'notify', reason: 'answer' });
      expect(model.run.endedAt).to.equal(undefined);
      expect(model.openItems.map((o) => [o.step, o.reason])).to.deep.equal([
        ['notify', 'waiting'],
        ['review-meeting', 'not-reached'],
        ['review-questions', 'not-reached'],
      ]);
      expect(model.openItems[0].checklist).to.deep.equal(['Owner emailed', 'Ticket updated']);
      expect(model.review.items[0]).to.include({ status: 'not reached' });
      expect(model.review.items[0].answer).to.equal(undefined);
      expect(renderMarkdown(model)).to.include('**Waiting** for an answer at step notify');
      expect(model.timeline.at(-1)).to.include({ kind: 'waiting', step: 'notify', status: 'waiting for answer' });
    } finally {
      rec.cleanup();
    }
  });

  it('a run paused for approval: the change it would make is listed, not undoable', async () => {
    const rec = await recordRun({ human: new TickingHuman(FULL_ANSWERS, {}, false) });
    try {
      expect(rec.result.status).to.equal('waiting');
      const model = await buildReport(rec.dir);
      const c = model.changes.find((x) => x.step === 'block-access')!;
      expect(c).to.include({
        status: 'waiting',
        summary: 'set value to blocked',
        noUndo: 'not made yet: waiting for approval',
      });
      expect(model.openItems[0]).to.include({ step: 'block-access', reason: 'approval' });
      expect(model.summary.changesMade).to.equal(0);
    } finally {
      rec.cleanup();
    }
  });

  it('works from the journal alone when the runbook file is gone, with the source document’s Part 5 questions', async () => {
    const rec = await recordRun();
    try {
      rmSync(rec.runbookFile);
      const model = await buildReport(rec.dir);
      expect(model.runbook.fileStatus).to.equal('missing');
      expect(model.notes.join('\n')).to.include('is no longer there');
      expect(model.review.source).to.equal('default');
      expect(model.review.items[0].questions).to.deep.equal([...DEFAULT_REVIEW_QUESTIONS]);
      expect(DEFAULT_REVIEW_QUESTIONS).to.have.length(4);
      // titles and refs still come from the journal's step.start events
      expect(model.timeline.find((t) => t.kind === 'step' && t.step === 'block-access')).to.include({
        ref: '2.1',
        title: 'Block public access',
      });
      expect(model.changes[0]).to.include({ step: 'block-access', undo: 'irun undo run-1 --step block-access' });
      const md = renderMarkdown(model);
      expect(md).to.include(
        'What automation, tooling or access would have made it easier to investigate the root cause?',
      );
      expect(md).to.include('> Note: the runbook file');
    } finally {
      rec.cleanup();
    }
  });

  it('says so when the runbook file changed since the run, and does not use it', async () => {
    const rec = await recordRun();
    try {
      writeFileSync(rec.runbookFile, RUNBOOK.replace('Tell the owners.', 'Tell everyone.'));
      const model = await buildReport(rec.dir);
      expect(model.runbook.fileStatus).to.equal('changed');
      expect(model.runbook.note).to.include('changed since the run');
      expect(JSON.stringify(model)).to.not.include('Tell everyone.');
      expect(model.review.source).to.equal('default');
    } finally {
      rec.cleanup();
    }
  });

  it('falls back to the four default questions when the runbook has no post-incident part', async () => {
    const text = dedent`
      irun: 1
      id: tiny
      title: Tiny
      parts:
        - id: only
          title: Only part
          steps:
            - id: look
              action: t.echo
              with: { value: 1 }
    `;
    const rec = await recordRun({ text, inputs: {} });
    try {
      const model = await buildReport(rec.dir);
      expect(model.runbook.fileStatus).to.equal('unchanged');
      expect(model.review).to.deep.equal({
        source: 'default',
        items: [
          { ref: '5.6', title: 'Questions for the post-incident review', questions: [...DEFAULT_REVIEW_QUESTIONS] },
        ],
      });
      expect(model.changes).to.deep.equal([]);
      expect(renderMarkdown(model)).to.include('_No change was made._');
    } finally {
      rec.cleanup();
    }
  });

  it('shows the before/after an action reports in its result, per item for forEach, and the run id in instructions', async () => {
    const text = dedent`
      irun: 1
      id: patches
      title: Patches
      inputs:
        other: { type: string }
      parts:
        - id: fix
          title: Fix
          steps:
            - id: patch-one
              action: r.patch
              approve: auto
              with: { value: 1 }
            - id: patch-each
              forEach: ["a", "b"]
              action: r.patch
              approve: auto
              with: { value: "{{ item }}" }
        - id: post
          title: Afterwards
          steps:
            - id: wrap-up
              manual:
                instructions: "Attach irun report {{ run.id }} to the ticket; keep {{ inputs.other }} as written."
                ask: { type: input }
    `;
    const rec = await recordRun({ text, inputs: {}, human: new TickingHuman({ 'wrap-up': 'ok' }) });
    try {
      expect(rec.result.status, JSON.stringify(rec.result.error)).to.equal('completed');
      const model = await buildReport(rec.dir);
      const [one, each] = model.changes;
      expect(one).to.include({ step: 'patch-one', status: 'completed', undo: 'irun undo run-1 --step patch-one' });
      expect(one.before).to.deep.equal({ value: null });
      expect(one.after).to.deep.equal({ value: 1 });
      expect(each).to.include({ step: 'patch-each', status: 'completed', undo: 'irun undo run-1 --step patch-each' });
      expect(each.before).to.deep.equal([{ value: null }, { value: null }]);
      expect(each.after).to.deep.equal([{ value: 'a' }, { value: 'b' }]);
      expect(each.items?.map((i) => i.index).sort()).to.deep.equal([0, 1]);
      expect(model.review.source).to.equal('runbook');
      expect(model.review.items[0].instructions).to.equal(
        'Attach irun report run-1 to the ticket; keep {{ inputs.other }} as written.',
      );
    } finally {
      rec.cleanup();
    }
  });

  it('shows an undone change: who undid it and when, in the change, the timeline and the summary', async () => {
    const rec = await recordRun();
    try {
      const { store, journal } = RunStore.open(rec.root, rec.runId, { fsync: false });
      try {
        const summary = await undoRun({
          events: journal.events,
          registry: rec.registry,
          human: new PresetHuman({ actor: 'carol@example.com', approveAll: true }),
          actor: 'carol@example.com',
          runId: rec.runId,
          aws: {},
          version: '0.0.0',
          evidenceFor: (s) => store.evidenceFor(s),
          emit: (e) => store.append([e]),
        });
        expect(summary.completed).to.deep.equal(['block-access']);
        // undo is handed the state recorded before the change (not one read now, not the output)
        expect(rec.actions.undos).to.deep.equal([
          { input: { value: 'blocked' }, before: { mutations: 0 }, output: { changed: true } },
        ]);
      } finally {
        store.close();
      }
      const model = await buildReport(rec.dir);
      expect(model.integrity.ok).to.equal(true);
      expect(model.run.actors).to.include('carol@example.com');
      expect(model.changes[0].undone).to.have.length(1);
      expect(model.changes[0].undone![0]).to.include({ status: 'completed', actor: 'carol@example.com' });
      expect(model.summary.changesUndone).to.equal(1);
      expect(model.timeline.at(-1)).to.include({
        kind: 'undo',
        step: 'block-access',
        actor: 'carol@example.com',
        status: 'undo completed',
      });
      expect(renderMarkdown(model)).to.match(/- Undo completed by carol@example\.com at /);
    } finally {
      rec.cleanup();
    }
  });

  it('reports a tampered journal line and a tampered evidence file', async () => {
    const rec = await recordRun();
    try {
      const journal = path.join(rec.dir, 'journal.jsonl');
      const lines = readFileSync(journal, 'utf8').split('\n');
      const n = lines.findIndex((l) => l.includes('"type":"approval"'));
      lines[n] = lines[n].replace('bob@example.com', 'mallory@example.com');
      writeFileSync(journal, lines.join('\n'));
      writeFileSync(path.join(rec.dir, 'evidence/0002-dump-raw.txt'), 'changed');
      const model = await buildReport(rec.dir);
      expect(model.integrity.ok).to.equal(false);
      // the line after the edited one no longer chains to it
      expect(model.integrity.firstBadLine).to.equal(n + 2);
      expect(model.integrity.summary).to.include(`NOT INTACT: the journal was changed at line ${n + 2}`);
      expect(renderMarkdown(model)).to.include('✖ NOT INTACT');
      expect(renderHtml(model)).to.include('<strong>NOT INTACT</strong>');
    } finally {
      rec.cleanup();
    }
  });

  it('marks evidence whose file changed or disappeared', async () => {
    const rec = await recordRun();
    try {
      writeFileSync(path.join(rec.dir, 'evidence/0002-dump-raw.txt'), 'changed');
      rmSync(path.join(rec.dir, 'evidence/0001-dump-dump.json'));
      const model = await buildReport(rec.dir);
      expect(model.integrity.ok).to.equal(false);
      expect(model.evidence.map((e) => e.state)).to.deep.equal(['missing', 'tampered', 'ok']);
      expect(model.evidence[0].content).to.equal(undefined);
      expect(renderHtml(model)).to.include('changed since recorded');
    } finally {
      rec.cleanup();
    }
  });

  describe('escaping helpers', () => {
    const cases: [string, string][] = [
      ['a|b', 'a\\|b'],
      ['`code`', '\\`code\\`'],
      ['<script>x</script>', '&lt;script&gt;x&lt;/script&gt;'],
      ['line\nbreak', 'line break'],
      ['[link](http://x)', '\\[link\\](http://x)'],
      ['\u202eevil', '\\\\u202eevil'],
      ['{{ inputs.x }}', '{{ inputs.x }}'],
    ];
    for (const [input, expected] of cases) {
      it(`mdCell(${JSON.stringify(input)})`, () => expect(mdCell(input)).to.equal(expected));
    }
    it('fence is longer than any backtick run inside', () => {
      expect(fence('a ```` b', 'json')).to.equal('`````json\na ```` b\n`````');
    });
    it('esc escapes markup and quotes and shows control characters', () => {
      expect(esc(`<a href="x" onclick='y'>&</a>\u001b[2J`)).to.equal(
        '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;\\x1b[2J',
      );
    });
    it('the redactor catches bare secret keys, not hashes or key ids', () => {
      const r = new ReportRedactor();
      expect(r.string(`k ${SECRET_KEY} end`)).to.equal('k [REDACTED] end');
      const hex = 'a'.repeat(40);
      expect(r.string(hex)).to.equal(hex);
      expect(r.string('AKIAIOSFODNN7EXAMPLE')).to.equal('AKIAIOSFODNN7EXAMPLE');
      const sha = createHash('sha256').update('x').digest('hex');
      expect(r.string(sha)).to.equal(sha);
    });
  });

  describe('irun report (the command, through bin/dev.js)', () => {
    let rec: RecordedRun;
    before(async () => {
      rec = await recordRun();
    });
    after(() => rec.cleanup());
    const irun = (args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin/dev.js'), ...args], {
        cwd: rec.root,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
        timeout: 60_000,
      });

    it('writes the report to --out, the format taken from the extension', () => {
      const out = path.join(rec.root, 'out', 'report.html');
      const r = irun(['report', 'run-1', '--run-dir', rec.root, '--out', out]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.include('html report of run run-1 written to');
      const html = readFileSync(out, 'utf8');
      expect(html).to.match(/^<!DOCTYPE html>/);
      expect(html).to.include('<section id="review">');
    });

    it('prints Markdown to stdout by default; an unknown run is IRUN_RUN_NOT_FOUND, exit 1', () => {
      const r = irun(['report', 'run-1', '--run-dir', rec.root]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^# Incident report: Report test runbook\n/);
      const bad = irun(['report', 'no-such-run', '--run-dir', rec.root, '--format', 'json']);
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.include('IRUN_RUN_NOT_FOUND');
      expect(bad.stdout).to.equal('');
    });
  });
});
