/**
 * Traceability of runbooks/s3-unintended-access.yaml to its source document: every numbered item
 * of docs/reference/s3-unintended-access-runbook.md is named by the `ref` of some step (or part),
 * every ref names an item, and each part's steps carry that part's items in document order.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { RunbookDoc } from '../../engine/model.js';
import { loadDoc } from './scenario-run.js';

const SOURCE = 'docs/reference/s3-unintended-access-runbook.md';

/**
 * How a part's numbered lists are numbered when it has more than one. Part 3 opens with a
 * two-item summary ("Mitigate any vulnerabilities / Rotate compromised credentials"): 3.0.1, 3.0.2.
 * Part 4's second list ("if suspicious activity recurs") continues the restore list: 4.6, 4.7.
 */
const LISTS: Record<string, { prefix: string; offset: number }[]> = {
  '3': [
    { prefix: '3.0', offset: 0 },
    { prefix: '3', offset: 0 },
  ],
  '4': [
    { prefix: '4', offset: 0 },
    { prefix: '4', offset: 5 },
  ],
};

/** Item numbers of the document in order: "1", "1.1", "1.1.1", ..., "5.7". */
export function documentItems(markdown: string): string[] {
  const items: string[] = [];
  let part: string | undefined;
  let list = -1;
  let stack: { indent: number; n: number }[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,3}\s+(.*)$/.exec(line);
    if (heading) {
      const p = /^Part\s+(\d+)\b/.exec(heading[1]);
      part = p ? p[1] : undefined;
      if (part) items.push(part);
      list = -1;
      stack = [];
      continue;
    }
    if (!part) continue;
    const m = /^(\s*)(\d+)\.\s+\S/.exec(line);
    if (!m) continue;
    const indent = m[1].replace(/\t/g, '    ').length;
    const n = Number(m[2]);
    while (stack.length && stack[stack.length - 1].indent > indent) stack.pop();
    if (stack.length && stack[stack.length - 1].indent === indent) stack[stack.length - 1].n = n;
    else stack.push({ indent, n });
    if (stack.length === 1 && n === 1) list++; // a new top-level list starts
    const numbering = LISTS[part]?.[list] ?? { prefix: part, offset: 0 };
    const nums = stack.map((s, i) => (i === 0 ? s.n + numbering.offset : s.n));
    items.push([numbering.prefix, ...nums].join('.'));
  }
  return items;
}

const refsOf = (ref: string | undefined): string[] =>
  (ref ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

describe('runbooks/s3-unintended-access traceability', () => {
  let doc: RunbookDoc;
  const items = documentItems(readFileSync(SOURCE, 'utf8'));

  before(async () => {
    doc = (await loadDoc()).doc;
  });

  it('reads every numbered item of the source document, nested lists included', () => {
    expect(items.slice(0, 9)).to.deep.equal(['1', '1.1', '1.1.1', '1.1.2', '1.1.3', '1.1.4', '1.1.5', '1.1.6', '1.2']);
    expect(items).to.include.members(['1.4.1.2', '1.4.2.4', '1.14.3', '2.1.2.3.1', '2.1.2.3.2', '2.4.3', '3.0.1', '3.0.2', '3.2.7', '3.3.5', '4.5', '4.6', '4.7', '5.6.4', '5.7']);
    expect(items).not.to.include.members(['1.15', '2.5', '3.4', '4.8', '5.8', '6']);
    expect(new Set(items).size, 'item numbers are unique').to.equal(items.length);
    expect(items.length).to.equal(108);
  });

  it('has a step (or part) whose ref names each item', () => {
    const named = new Set([...doc.parts.flatMap((p) => refsOf(p.ref)), ...doc.parts.flatMap((p) => p.steps.flatMap((s) => refsOf(s.ref)))]);
    const missing = items.filter((i) => !named.has(i));
    expect(missing, 'items of the document no step names').to.deep.equal([]);
  });

  it('names only items that exist', () => {
    const known = new Set(items);
    const unknown = doc.parts.flatMap((p) => [...refsOf(p.ref), ...p.steps.flatMap((s) => refsOf(s.ref).map((r) => `${s.id}: ${r}`))]).filter((r) => !known.has(r.split(': ').pop()!));
    expect(unknown).to.deep.equal([]);
  });

  it("puts each part's items in that part, in document order", () => {
    const index = new Map(items.map((i, k) => [i, k]));
    const problems: string[] = [];
    doc.parts.forEach((part, p) => {
      const partNo = String(p + 1);
      expect(refsOf(part.ref)[0], `part ${part.id} ref`).to.equal(partNo);
      let last = -1;
      let lastStep = '';
      for (const step of part.steps) {
        const refs = refsOf(step.ref);
        for (const r of refs) if (r.split('.')[0] !== partNo) problems.push(`${step.id}: ${r} is not an item of Part ${partNo}`);
        if (!refs.length) continue;
        const at = Math.min(...refs.map((r) => index.get(r) ?? Infinity));
        if (at < last) problems.push(`${step.id} (${step.ref}) comes after ${lastStep} but its items come first in the document`);
        last = Math.max(last, at);
        lastStep = step.id;
      }
    });
    expect(problems).to.deep.equal([]);
  });

  it('gives every step a title', () => {
    const untitled = doc.parts.flatMap((p) => p.steps.filter((s) => !s.title).map((s) => s.id));
    expect(untitled).to.deep.equal([]);
  });
});
