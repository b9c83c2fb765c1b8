/**
 * The incident report as one self-contained HTML file: inline CSS, no scripts, no external
 * assets. Collapsible parts use <details>, so it reads the same with scripting disabled, in a
 * mail attachment or printed.
 *
 * Every value from the run record goes through `esc` (HTML-escaped; control and bidi characters
 * made visible). Nothing from the record is ever placed in an attribute other than through `esc`,
 * and nothing is a template.
 */
import { safe } from './text.js';
import {
  formatMs,
  oneLine,
  prettyJson,
  shortTime,
  statusLine,
  type ChangeEntry,
  type EvidenceEntry,
  type ReportModel,
} from './report.js';

/** HTML-escape text (element content and quoted attribute values). */
export function esc(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : oneLine(value, 10_000);
  return safe(text, true).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A short cell value (one line, truncated). */
function cell(value: unknown, max = 200): string {
  if (value === undefined || value === null || value === '') return '';
  const text = typeof value === 'string' ? value : oneLine(value, max);
  return esc(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

function pre(text: string, cls = ''): string {
  return `<pre${cls ? ` class="${cls}"` : ''}>${esc(text)}</pre>`;
}

/** Colour of a status pill, by what the status says. */
function pillClass(status: string): string {
  const s = status.toLowerCase();
  if (/fail|refus|abort|changed since|missing/.test(s)) return 'bad';
  if (/waiting|declin|retry|escalat|unticked|not reached/.test(s)) return 'warn';
  if (/planned/.test(s)) return 'plan';
  if (/skipped/.test(s)) return 'muted';
  if (/complet|resolv|approv|answer/.test(s)) return 'ok';
  return 'info';
}

function pill(status: string): string {
  return `<span class="pill ${pillClass(status)}">${esc(status)}</span>`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--plan:#0550ae;--info:#57606a;--band:#0d1b2a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header.band{background:var(--band);color:#fff;padding:20px 32px}
header.band h1{margin:0 0 4px;font-size:22px}
header.band .sub{margin:0 0 12px;color:#c9d1d9}
header.band dl{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:8px 24px;margin:0}
header.band dt{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#8b98a5}
header.band dd{margin:0;overflow-wrap:anywhere}
nav.toc{padding:8px 32px;background:#fff;border-bottom:1px solid var(--line);font-size:13px}
nav.toc a{margin-right:14px;color:var(--plan);text-decoration:none}
main{padding:16px 32px 32px;max-width:1400px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0;break-inside:auto}
section h2{margin:0 0 12px;font-size:18px}
h3{font-size:15px;margin:8px 0}
h4{font-size:12px;margin:6px 0;text-transform:uppercase;color:var(--muted);letter-spacing:.05em}
.mode-banner{background:repeating-linear-gradient(45deg,#fff3c4,#fff3c4 12px,#ffe69c 12px,#ffe69c 24px);color:#6b4e00;border:1px solid #d4a72c;border-radius:6px;padding:6px 12px;font-weight:700;letter-spacing:.08em;margin:0 0 12px}
.mode-banner.simulation{background:repeating-linear-gradient(45deg,#f3e8ff,#f3e8ff 12px,#e9d5ff 12px,#e9d5ff 24px);color:#5b21b6;border-color:#a78bfa}
.print-banner{display:none}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--bg)}
.card .n{font-size:24px;font-weight:700}
.card .l{color:var(--muted);font-size:12px}
.card.bad .n{color:var(--bad)} .card.warn .n{color:var(--warn)} .card.ok .n{color:var(--ok)} .card.plan .n{color:var(--plan)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600;position:sticky;top:0}
td.mono,span.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
td.detail{max-width:420px;word-break:break-word}
td.time{white-space:nowrap}
tr.k-answer td,tr.k-approval td{background:#f0f7ff}
tr.k-retry td,tr.k-waiting td{background:#fff8e6}
tr.k-undo td{background:#fdf0f0}
tr.k-run td{background:#f6f8fa;font-weight:600}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;background:var(--info);white-space:nowrap}
.pill.ok{background:var(--ok)} .pill.bad{background:var(--bad)} .pill.warn{background:var(--warn)} .pill.plan{background:var(--plan)} .pill.muted{background:#8c959f}
.integrity.ok{color:var(--ok);font-weight:600} .integrity.bad{color:var(--bad);font-weight:700}
article.change{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:12px 0}
article.change dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0 8px}
article.change dt{color:var(--muted)} article.change dd{margin:0}
.ba{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:800px){.ba{grid-template-columns:1fr}}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;max-height:480px;font-size:12px;white-space:pre-wrap;word-break:break-word;margin:4px 0}
details summary{cursor:pointer;color:var(--plan)}
code.cmd{background:#0d1b2a;color:#e6edf3;padding:2px 6px;border-radius:4px}
.note{color:var(--warn)}
.muted{color:var(--muted)}
ul.check{list-style:none;padding-left:4px} ul.check li::before{content:"\\2610  ";color:var(--muted)}
blockquote{margin:6px 0;padding:4px 12px;border-left:3px solid var(--line);color:var(--muted);white-space:pre-wrap}
footer{padding:8px 32px 32px;color:var(--muted);font-size:12px}
@media print{
  body{background:#fff} nav.toc{display:none} section{border:none;padding:0 0 8px}
  .print-banner{display:block;position:fixed;top:0;left:0;right:0;text-align:center}
  header.band{background:#fff;color:#000;border-bottom:2px solid #000}
  details{display:block} details>*{display:block}
  th{position:static}
}
`;

const SECTIONS: [string, string][] = [
  ['summary', 'Summary'],
  ['integrity', 'Integrity'],
  ['inputs', 'Inputs'],
  ['timeline', 'Timeline'],
  ['decisions', 'Decisions'],
  ['changes', 'Changes'],
  ['evidence', 'Evidence'],
  ['open-items', 'Open manual items'],
  ['errors', 'Errors'],
  ['review', 'Post-incident review'],
];

export function renderHtml(model: ReportModel): string {
  const { run, runbook, integrity, summary } = model;
  const bannerText =
    run.mode === 'simulation'
      ? 'SIMULATION — tabletop exercise: every action result came from a scenario; nothing was sent to AWS'
      : run.mode === 'dry-run'
        ? 'DRY-RUN — read actions ran; no change was made; changes below are the plan'
        : '';
  const banner = bannerText ? `<div class="mode-banner ${run.mode}" role="note">${esc(bannerText)}</div>` : '';
  const section = (id: string, title: string, body: string) =>
    `<section id="${id}">\n${banner}<h2>${esc(title)}</h2>\n${body}\n</section>`;
  const parts: string[] = [];

  parts.push(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="irun">
<title>${esc(`${run.banner ? `[${run.banner}] ` : ''}Incident report: ${runbook.title} — ${run.id}`)}</title>
<style>${CSS}</style>
</head>
<body>`);
  if (bannerText) parts.push(`<div class="print-banner mode-banner ${run.mode}">${esc(run.banner ?? '')}</div>`);
  parts.push(`<header class="band">
${banner}<h1>Incident report: ${esc(runbook.title)}</h1>
<p class="sub">runbook <span class="mono">${esc(runbook.id)}</span>${runbook.source?.title ? ` · source: ${esc(runbook.source.title)}` : ''}</p>
<dl>
<div><dt>Run</dt><dd class="mono">${esc(run.id)}</dd></div>
<div><dt>Status</dt><dd>${pill(statusLine(run))}${run.message && run.message !== run.outcome ? ` ${esc(run.message)}` : ''}</dd></div>
<div><dt>Mode</dt><dd>${esc(run.mode)}</dd></div>
<div><dt>Started</dt><dd>${esc(shortTime(run.startedAt))}</dd></div>
<div><dt>Ended</dt><dd>${run.endedAt ? esc(shortTime(run.endedAt)) : run.status === 'waiting' ? 'not yet (waiting)' : 'not ended'}</dd></div>
<div><dt>Duration</dt><dd>${esc(formatMs(run.durationMs))}</dd></div>
<div><dt>Actor(s)</dt><dd>${run.actors.map(esc).join(', ')}</dd></div>
<div><dt>Integrity</dt><dd>${integrity.ok ? 'hash chain intact' : '<strong>NOT INTACT</strong>'}</dd></div>
</dl>
</header>
<nav class="toc">${SECTIONS.map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`).join('')}</nav>
<main>`);

  // Summary
  const card = (n: number, label: string, cls = '') =>
    `<div class="card ${cls}"><div class="n">${n}</div><div class="l">${esc(label)}</div></div>`;
  const notes = model.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n');
  const waiting = run.waiting
    ? `<p class="note"><strong>Waiting</strong> for ${run.waiting.reason === 'approval' ? 'approval' : 'an answer'} at step <span class="mono">${esc(run.waiting.step)}</span>: ${esc(run.waiting.message)}</p>`
    : '';
  parts.push(
    section(
      'summary',
      'Summary',
      `<div class="cards">
${card(summary.steps.completed, 'steps completed', 'ok')}${card(summary.steps.skipped, 'steps skipped')}${card(summary.steps.failed, 'steps failed', summary.steps.failed ? 'bad' : '')}${card(summary.steps.planned, 'steps planned (dry-run)', 'plan')}
${card(summary.changesMade, run.mode === 'simulation' ? 'changes (simulated)' : 'changes made', summary.changesMade ? 'warn' : '')}${card(summary.changesPlanned, 'changes planned', 'plan')}${card(summary.changesUndone, 'changes undone')}${card(summary.decisions, 'decisions')}
${card(summary.evidence, 'evidence files')}${card(summary.openItems, 'open manual items', summary.openItems ? 'warn' : '')}${card(summary.errors, 'errors', summary.errors ? 'bad' : '')}
</div>
${waiting}${notes}
<p class="muted">Runbook file <span class="mono">${esc(runbook.file)}</span> (sha256 <span class="mono">${esc(runbook.sha256)}</span>): ${esc(runbook.fileStatus)}.${run.scenario ? ` Scenario: <span class="mono">${esc(run.scenario)}</span>.` : ''} Report generated ${esc(shortTime(model.generatedAt))}.</p>`,
    ),
  );

  // Integrity
  parts.push(
    section(
      'integrity',
      'Integrity',
      `<p class="integrity ${integrity.ok ? 'ok' : 'bad'}">${integrity.ok ? '✔' : '✖'} ${esc(integrity.summary)}</p>${
        integrity.problems.length
          ? `<ul>${integrity.problems.map((p) => `<li>${p.kind === 'torn' ? 'warning' : '<strong>error</strong>'}: ${esc(p.message)}</li>`).join('')}</ul>`
          : ''
      }<p class="muted">Check again at any time with <code class="cmd">irun verify ${esc(run.id)}</code>.</p>`,
    ),
  );

  // Inputs
  parts.push(
    section(
      'inputs',
      'Inputs',
      model.inputs.length
        ? `<table><thead><tr><th>Input</th><th>Value</th><th>Description</th></tr></thead><tbody>${model.inputs
            .map(
              (i) =>
                `<tr><td class="mono">${esc(i.name)}</td><td class="mono">${i.value === null || i.value === undefined ? '<span class="muted">(not given)</span>' : typeof i.value === 'object' ? pre(prettyJson(i.value)) : esc(String(i.value))}</td><td>${cell(i.description)}</td></tr>`,
            )
            .join('\n')}</tbody></table>`
        : '<p class="muted">No inputs.</p>',
    ),
  );

  // Timeline
  parts.push(
    section(
      'timeline',
      'Timeline',
      `<table><thead><tr><th>Time</th><th>Step</th><th>Ref</th><th>Part</th><th>Actor</th><th>Status</th><th>Duration</th><th>Detail</th></tr></thead><tbody>
${model.timeline
  .map(
    (t) =>
      `<tr class="k-${t.kind}"><td class="mono time">${esc(shortTime(t.time))}</td><td>${t.step ? `<span class="mono">${esc(t.step)}</span>${t.title ? `<br><span class="muted">${esc(t.title)}</span>` : ''}` : `<em>${esc(t.kind)}</em>`}</td><td>${cell(t.ref)}</td><td>${cell(t.part)}</td><td>${cell(t.actor)}</td><td>${pill(t.status)}</td><td>${esc(formatMs(t.durationMs))}</td><td class="detail">${cell(t.detail, 300)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`,
    ),
  );

  // Decisions
  parts.push(
    section(
      'decisions',
      'Decisions',
      model.decisions.length
        ? `<table><thead><tr><th>Time</th><th>Step</th><th>Ref</th><th>Decision</th><th>By</th><th>Source</th><th>Value or plan</th></tr></thead><tbody>${model.decisions
            .map(
              (d) =>
                `<tr><td class="mono time">${esc(shortTime(d.time))}</td><td><span class="mono">${esc(d.step)}</span>${d.title ? `<br><span class="muted">${esc(d.title)}</span>` : ''}</td><td>${cell(d.ref)}</td><td>${pill(d.kind === 'answer' ? 'answered' : d.approved ? 'approved' : 'declined')}</td><td>${esc(d.actor)}</td><td>${esc(d.source)}</td><td class="detail">${
                  d.kind === 'answer'
                    ? typeof d.value === 'object' && d.value !== null
                      ? pre(prettyJson(d.value))
                      : esc(String(d.value))
                    : esc(d.plan?.summary ?? '')
                }${
                  d.checklist
                    ? `<ul class="muted">${Object.entries(d.checklist)
                        .map(([k, v]) => `<li>${v ? '☑' : '☐'} ${esc(k)}</li>`)
                        .join('')}</ul>`
                    : ''
                }</td></tr>`,
            )
            .join('\n')}</tbody></table>`
        : '<p class="muted">No answers or approvals were recorded.</p>',
    ),
  );

  // Changes
  parts.push(
    section(
      'changes',
      'Changes',
      `${run.mode === 'dry-run' ? '<p><strong>Dry-run:</strong> the plan of what a real run would change.</p>' : ''}${
        model.changes.length
          ? model.changes.map((c, i) => change(c, i + 1)).join('\n')
          : `<p class="muted">${run.mode === 'dry-run' ? 'No change would be made.' : 'No change was made.'}</p>`
      }`,
    ),
  );

  // Evidence
  parts.push(
    section(
      'evidence',
      'Evidence',
      model.evidence.length
        ? `<table><thead><tr><th>#</th><th>File</th><th>Step</th><th>Name</th><th>Bytes</th><th>sha256</th></tr></thead><tbody>${model.evidence.map((e, i) => evidenceRow(e, i + 1)).join('\n')}</tbody></table>`
        : '<p class="muted">No evidence files were recorded.</p>',
    ),
  );

  // Open manual items
  const why = {
    waiting: 'waiting for an answer',
    approval: 'waiting for approval',
    'not-reached': 'not reached',
    unticked: 'checklist items left unticked',
    failed: 'failed',
  } as const;
  parts.push(
    section(
      'open-items',
      'Open manual items',
      model.openItems.length
        ? `<table><thead><tr><th>Step</th><th>Ref</th><th>Part</th><th>Why open</th><th>To do</th></tr></thead><tbody>${model.openItems
            .map(
              (o) =>
                `<tr><td><span class="mono">${esc(o.step)}</span>${o.title ? `<br><span class="muted">${esc(o.title)}</span>` : ''}</td><td>${cell(o.ref)}</td><td>${cell(o.part)}</td><td>${pill(why[o.reason])}${o.message ? `<br>${esc(o.message)}` : ''}</td><td>${
                  o.instructions
                    ? `<details><summary>instructions</summary><blockquote>${esc(o.instructions.trim())}</blockquote></details>`
                    : ''
                }${o.checklist?.length ? `<ul class="check">${o.checklist.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>` : ''}</td></tr>`,
            )
            .join('\n')}</tbody></table>`
        : '<p class="muted">None: every manual step reached was completed.</p>',
    ),
  );

  // Errors
  parts.push(
    section(
      'errors',
      'Errors',
      model.errors.length
        ? `<table><thead><tr><th>Time</th><th>Step</th><th>Where</th><th>Code</th><th>Message</th></tr></thead><tbody>${model.errors
            .map(
              (e) =>
                `<tr><td class="mono">${esc(shortTime(e.time))}</td><td class="mono">${cell(e.step)}</td><td>${esc(e.where)}</td><td class="mono">${esc(e.code)}</td><td class="detail">${esc(e.message)}${e.cause?.requestId ? ` <span class="muted">(request id ${esc(e.cause.requestId)})</span>` : ''}</td></tr>`,
            )
            .join('\n')}</tbody></table>`
        : '<p class="muted">No errors.</p>',
    ),
  );

  // Review
  const review = model.review;
  parts.push(
    section(
      'review',
      `Post-incident review${review.part?.title ? `: ${review.part.title}` : ' (Part 5)'}`,
      `${review.source === 'default' ? '<p class="muted">The runbook has no post-incident part; these are the questions of Part 5 of the source procedure.</p>' : ''}${review.items
        .map(
          (item) =>
            `<article class="review"><h3>${item.ref ? `${esc(item.ref)} ` : ''}${esc(item.title ?? item.step ?? 'Review')}</h3>${item.instructions ? `<blockquote>${esc(item.instructions)}</blockquote>` : ''}${
              item.questions.length
                ? `<ul class="check">${item.questions.map((q) => `<li>${esc(q)}</li>`).join('')}</ul>`
                : ''
            }${item.answer !== undefined ? `<p><strong>Answer:</strong> ${esc(typeof item.answer === 'string' ? item.answer : oneLine(item.answer, 2000))}${item.answeredBy ? ` <span class="muted">— ${esc(item.answeredBy)}</span>` : ''}</p>` : item.status ? `<p class="muted">${esc(item.status === 'not reached' ? 'Not reached in this run.' : `Status: ${item.status}`)}</p>` : ''}</article>`,
        )
        .join('\n')}`,
    ),
  );

  parts.push(`</main>
<footer>${banner}Incident report of run <span class="mono">${esc(run.id)}</span>, generated by irun${run.irunVersion ? ` ${esc(run.irunVersion)}` : ''} at ${esc(shortTime(model.generatedAt))}. The run record (journal and evidence) is the source of truth; <code class="cmd">irun verify ${esc(run.id)}</code> checks it.</footer>
</body>
</html>
`);
  return parts.join('\n');
}

function jsonBlock(label: string, value: unknown, open: boolean): string {
  if (value === undefined) return `<h4>${esc(label)}</h4><p class="muted">not recorded</p>`;
  return `<h4>${esc(label)}</h4><details${open ? ' open' : ''}><summary>JSON</summary>${pre(prettyJson(value))}</details>`;
}

function change(c: ChangeEntry, n: number): string {
  const facts: string[] = [];
  if (c.title) facts.push(`<dt>Step</dt><dd>${esc(c.title)}</dd>`);
  if (c.action) facts.push(`<dt>Action</dt><dd class="mono">${esc(c.action)}</dd>`);
  facts.push(
    `<dt>Status</dt><dd>${pill(c.status)}${c.noop ? ' already in the desired state: nothing to change' : ''}${c.time ? ` <span class="muted">${esc(shortTime(c.time))}</span>` : ''}</dd>`,
  );
  if (c.approvedBy)
    facts.push(
      `<dt>Approved by</dt><dd>${esc(c.approvedBy.actor)} <span class="muted">at ${esc(shortTime(c.approvedBy.at))} (${esc(c.approvedBy.source)})</span></dd>`,
    );
  facts.push(
    `<dt>Undo</dt><dd>${c.undo ? `<code class="cmd">${esc(c.undo)}</code>` : `<span class="muted">not available — ${esc(c.noUndo ?? 'no undo recorded')}</span>`}</dd>`,
  );
  for (const u of c.undone ?? [])
    facts.push(
      `<dt>Undo ${esc(u.status)}</dt><dd>${esc(u.actor)} at ${esc(shortTime(u.at))}${u.reason ? `: ${esc(u.reason)}` : ''}</dd>`,
    );
  if (c.error) facts.push(`<dt>Error</dt><dd>${esc(`${c.error.code}: ${c.error.message}`)}</dd>`);
  const planned = c.status === 'planned' || c.status === 'waiting';
  return `<article class="change" id="change-${n}"><h3>${n}. <span class="mono">${esc(c.step)}</span>${c.ref ? ` (${esc(c.ref)})` : ''}: ${esc(c.summary)}</h3>
<dl>${facts.join('')}</dl>
<div class="ba"><div>${jsonBlock('Before', c.before, true)}</div><div>${jsonBlock(planned ? 'After (planned)' : 'After / result', c.after, true)}</div></div>
${c.input !== undefined ? jsonBlock('Input', c.input, false) : ''}${c.details !== undefined ? jsonBlock('Details', c.details, false) : ''}${c.items?.length ? jsonBlock(`Items (${c.items.length})`, c.items, false) : ''}
</article>`;
}

function evidenceRow(e: EvidenceEntry, n: number): string {
  const state = e.state === 'ok' ? '' : ` ${pill(e.state === 'missing' ? 'missing' : 'changed since recorded')}`;
  const body =
    e.content !== undefined
      ? `<details><summary>${esc(e.file)}</summary>${pre(e.content)}</details>`
      : `<span class="mono">${esc(e.file)}</span>${e.contentNote ? `<br><span class="muted">${esc(e.contentNote)}</span>` : ''}`;
  return `<tr><td>${n}</td><td class="mono">${body}${state}</td><td class="mono">${esc(e.step)}</td><td>${esc(e.name)}</td><td>${e.bytes}</td><td class="mono">${esc(e.sha256)}</td></tr>`;
}
