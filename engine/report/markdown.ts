/**
 * The incident report as Markdown (GitHub-flavoured: tables, fenced code, task lists).
 *
 * Every value from the run record is data: table cells escape pipes, backticks and Markdown
 * punctuation, HTML is neutralised (`<script>` shows as text), control and bidi characters
 * become visible escapes, and JSON goes into fenced blocks whose fence is longer than any run
 * of backticks inside.
 */
import { safe } from './text.js';
import { formatMs, oneLine, prettyJson, shortTime, statusLine, type ChangeEntry, type ReportModel } from './report.js';

/** Inline text: HTML neutralised, Markdown punctuation escaped, newlines kept as spaces. */
export function mdText(value: unknown): string {
  const text = safe(typeof value === 'string' ? value : oneLine(value, 10_000), true);
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|#~]/g, (c) => `\\${c}`)
    .replace(/\s*\r?\n\s*/g, ' ')
    .replace(/\t/g, ' ');
}

/** A table cell: inline text on one line (pipes escaped by mdText). */
export function mdCell(value: unknown, max = 200): string {
  if (value === undefined || value === null || value === '') return '';
  const text = typeof value === 'string' ? value : oneLine(value, max);
  return mdText(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

/** A fenced code block that the content cannot close early. */
export function fence(content: string, lang = ''): string {
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((r) => r.length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${lang}\n${safe(content, true)}\n${f}`;
}

/** Multi-line text from the runbook (instructions) as a quoted block, HTML neutralised. */
function quote(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `> ${safe(l).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`.trimEnd())
    .join('\n');
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function banner(model: ReportModel): string {
  const { run } = model;
  if (run.mode === 'simulation')
    return '> **SIMULATION** — a tabletop exercise: every action result came from a scenario; nothing was sent to AWS.';
  if (run.mode === 'dry-run')
    return '> **DRY-RUN** — read actions ran; no change was made. The changes below are what a real run would make.';
  return '';
}

export function renderMarkdown(model: ReportModel): string {
  const { run, runbook, integrity, summary } = model;
  const out: string[] = [];
  const b = banner(model);
  const push = (...lines: string[]) => out.push(...lines);
  if (b) push(b, '');

  push(`# Incident report: ${mdText(runbook.title)}`, '');
  push(
    table(
      ['', ''],
      [
        ['Runbook', `${mdText(runbook.title)} (${mdText(runbook.id)})`],
        ['Run', mdText(run.id)],
        [
          'Status',
          `**${mdText(statusLine(run))}**${run.message && run.message !== run.outcome ? ` — ${mdText(run.message)}` : ''}`,
        ],
        ['Mode', run.mode === 'live' ? 'live' : `**${mdText(run.banner ?? run.mode)}**`],
        ['Started', mdText(shortTime(run.startedAt))],
        [
          'Ended',
          run.endedAt ? mdText(shortTime(run.endedAt)) : run.status === 'waiting' ? 'not yet (waiting)' : 'not ended',
        ],
        ['Duration', mdText(formatMs(run.durationMs))],
        ['Actor(s)', run.actors.map(mdText).join(', ')],
        ['Runbook file', `${mdText(runbook.file)} (sha256 ${mdText(runbook.sha256)})`],
        ...(runbook.source?.title || runbook.source?.url
          ? [['Source', mdText([runbook.source.title, runbook.source.url].filter(Boolean).join(' — '))]]
          : []),
        ...(run.scenario ? [['Scenario', mdText(run.scenario)]] : []),
        ['Report generated', mdText(shortTime(model.generatedAt))],
      ],
    ),
    '',
  );
  if (run.waiting)
    push(
      `**Waiting** for ${run.waiting.reason === 'approval' ? 'approval' : 'an answer'} at step ${mdText(run.waiting.step)}: ${mdText(run.waiting.message)}`,
      '',
    );
  for (const n of model.notes) push(`> Note: ${mdText(n)}`, '');

  push('## Integrity', '');
  push(`${integrity.ok ? '✔' : '✖'} ${mdText(integrity.summary)}`, '');
  for (const p of integrity.problems) push(`- ${p.kind === 'torn' ? 'warning' : 'error'}: ${mdText(p.message)}`);
  if (integrity.problems.length) push('');

  push('## Summary', '');
  push(
    table(
      ['', ''],
      [
        ['Steps completed', String(summary.steps.completed)],
        ['Steps skipped', String(summary.steps.skipped)],
        ['Steps failed', String(summary.steps.failed)],
        ['Steps planned (dry-run)', String(summary.steps.planned)],
        ['Steps waiting', String(summary.steps.waiting)],
        [run.mode === 'simulation' ? 'Changes (simulated)' : 'Changes made', String(summary.changesMade)],
        ['Changes planned', String(summary.changesPlanned)],
        ['Changes undone', String(summary.changesUndone)],
        ['Decisions (answers and approvals)', String(summary.decisions)],
        ['Evidence files', String(summary.evidence)],
        ['Open manual items', String(summary.openItems)],
        ['Errors', String(summary.errors)],
      ],
    ),
    '',
  );

  push('## Inputs', '');
  if (model.inputs.length)
    push(
      table(
        ['Input', 'Value', 'Description'],
        model.inputs.map((i) => [
          mdCell(i.name),
          i.value === null || i.value === undefined ? '_(not given)_' : mdCell(i.value),
          mdCell(i.description),
        ]),
      ),
      '',
    );
  else push('_No inputs._', '');

  push('## Timeline', '');
  push(
    table(
      ['Time', 'Step', 'Ref', 'Part', 'Actor', 'Status', 'Duration', 'Detail'],
      model.timeline.map((t) => [
        mdCell(shortTime(t.time)),
        t.step ? mdCell(t.title ? `${t.step} — ${t.title}` : t.step) : `_${t.kind}_`,
        mdCell(t.ref),
        mdCell(t.part),
        mdCell(t.actor),
        mdCell(t.status),
        mdCell(formatMs(t.durationMs)),
        mdCell(t.detail),
      ]),
    ),
    '',
  );

  push('## Decisions', '');
  if (model.decisions.length) {
    push(
      table(
        ['Time', 'Step', 'Ref', 'Decision', 'By', 'Source', 'Value or plan'],
        model.decisions.map((d) => [
          mdCell(shortTime(d.time)),
          mdCell(d.title ? `${d.step} — ${d.title}` : d.step),
          mdCell(d.ref),
          d.kind === 'answer' ? 'answered' : d.approved ? '**approved**' : '**declined**',
          mdCell(d.actor),
          mdCell(d.source),
          mdCell(d.kind === 'answer' ? d.value : d.plan?.summary),
        ]),
      ),
      '',
    );
  } else push('_No answers or approvals were recorded._', '');

  push('## Changes', '');
  if (run.mode === 'dry-run') push('_Dry-run: the plan of what a real run would change._', '');
  if (model.changes.length) model.changes.forEach((c, i) => push(...change(c, i + 1), ''));
  else push(run.mode === 'dry-run' ? '_No change would be made._' : '_No change was made._', '');

  push('## Evidence', '');
  if (model.evidence.length) {
    push(
      table(
        ['File', 'Step', 'Name', 'Bytes', 'sha256', 'State'],
        model.evidence.map((e) => [
          mdCell(e.file),
          mdCell(e.step),
          mdCell(e.name),
          String(e.bytes),
          mdCell(e.sha256),
          e.state === 'ok' ? 'ok' : `**${e.state}**`,
        ]),
      ),
      '',
    );
  } else push('_No evidence files were recorded._', '');

  push('## Open manual items', '');
  if (model.openItems.length) {
    for (const o of model.openItems) {
      const why = {
        waiting: 'the run is waiting for an answer',
        approval: 'the run is waiting for approval',
        'not-reached': 'not reached',
        unticked: 'checklist items left unticked',
        failed: 'failed',
      }[o.reason];
      push(
        `- **${mdText(o.step)}**${o.ref ? ` (${mdText(o.ref)})` : ''}${o.title ? ` ${mdText(o.title)}` : ''}${o.part ? ` — ${mdText(o.part)}` : ''}: ${why}${o.message ? ` — ${mdText(o.message)}` : ''}`,
      );
      for (const item of o.checklist ?? []) push(`  - [ ] ${mdText(item)}`);
    }
    push('');
  } else push('_None: every manual step reached was completed._', '');

  push('## Errors', '');
  if (model.errors.length) {
    push(
      table(
        ['Time', 'Step', 'Where', 'Code', 'Message'],
        model.errors.map((e) => [
          mdCell(shortTime(e.time)),
          mdCell(e.step),
          e.where,
          mdCell(e.code),
          mdCell(`${e.message}${e.cause?.requestId ? ` (request id ${e.cause.requestId})` : ''}`, 400),
        ]),
      ),
      '',
    );
  } else push('_No errors._', '');

  push(`## Post-incident review${model.review.part?.title ? `: ${mdText(model.review.part.title)}` : ' (Part 5)'}`, '');
  if (model.review.source === 'default')
    push('_The runbook has no post-incident part; these are the questions of Part 5 of the source procedure._', '');
  for (const item of model.review.items) {
    push(`### ${item.ref ? `${mdText(item.ref)} ` : ''}${mdText(item.title ?? item.step ?? 'Review')}`, '');
    if (item.instructions) push(quote(item.instructions), '');
    for (const q of item.questions) push(`- [ ] ${mdText(q)}`);
    if (item.questions.length) push('');
    if (item.answer !== undefined)
      push(`Answer: ${mdText(item.answer)}${item.answeredBy ? ` — ${mdText(item.answeredBy)}` : ''}`, '');
    else if (item.status)
      push(`_${mdText(item.status === 'not reached' ? 'Not reached in this run.' : `Status: ${item.status}`)}_`, '');
  }

  if (b) push(b, '');
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function change(c: ChangeEntry, n: number): string[] {
  const lines: string[] = [];
  lines.push(`### ${n}. ${mdText(c.step)}${c.ref ? ` (${mdText(c.ref)})` : ''}: ${mdText(c.summary)}`, '');
  const facts: string[] = [];
  if (c.title) facts.push(`- Step: ${mdText(c.title)}`);
  if (c.action) facts.push(`- Action: ${mdText(c.action)}`);
  facts.push(
    `- Status: **${mdText(c.status)}**${c.noop ? ' (already in the desired state: nothing to change)' : ''}${c.time ? ` at ${mdText(shortTime(c.time))}` : ''}`,
  );
  if (c.approvedBy)
    facts.push(
      `- Approved by ${mdText(c.approvedBy.actor)} at ${mdText(shortTime(c.approvedBy.at))} (${mdText(c.approvedBy.source)})`,
    );
  if (c.undo) facts.push(`- Undo: \`${c.undo.replace(/`/g, '')}\``);
  else if (c.noUndo) facts.push(`- Undo: not available — ${mdText(c.noUndo)}`);
  for (const u of c.undone ?? [])
    facts.push(
      `- Undo ${mdText(u.status)} by ${mdText(u.actor)} at ${mdText(shortTime(u.at))}${u.reason ? `: ${mdText(u.reason)}` : ''}`,
    );
  if (c.error) facts.push(`- Error: ${mdText(`${c.error.code}: ${c.error.message}`)}`);
  lines.push(...facts, '');
  if (c.input !== undefined) lines.push('Input:', '', fence(prettyJson(c.input), 'json'), '');
  lines.push('Before:', '', c.before !== undefined ? fence(prettyJson(c.before), 'json') : '_not captured_', '');
  lines.push(
    c.status === 'planned' || c.status === 'waiting' ? 'After (planned):' : 'After / result:',
    '',
    c.after !== undefined ? fence(prettyJson(c.after), 'json') : '_not recorded_',
    '',
  );
  if (c.details !== undefined) lines.push('Details:', '', fence(prettyJson(c.details), 'json'), '');
  if (c.items?.length) lines.push(`Items (${c.items.length}):`, '', fence(prettyJson(c.items), 'json'), '');
  return lines;
}
