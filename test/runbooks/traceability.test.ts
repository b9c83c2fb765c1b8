/**
 * Traceability of a runbook to its source document: every numbered item of the source (listed,
 * with a short title in the project's words, in docs/reference/<name>-items.md) is named by the
 * `ref` of some step (or part), every ref names an item, and each part's steps carry that part's
 * items in document order. `describeTraceability(runbook, items)` runs these checks for any pair.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { RunbookDoc } from '../../engine/model.js';
import { loadDoc } from './scenario-run.js';

/** The items of an items table (`| 1.2.3 | Title |` rows), in document order. */
export function readItems(file: string): { item: string; title: string }[] {
  const rows: { item: string; title: string }[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\|\s*(\d+(?:\.\d+)*)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m) rows.push({ item: m[1], title: m[2] });
  }
  return rows;
}

const refsOf = (ref: string | undefined): string[] =>
  (ref ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

/** The traceability checks of one runbook against one items table. */
export function describeTraceability(runbookFile: string, itemsFile: string): void {
  describe(`${runbookFile} traceability to ${itemsFile}`, () => {
  let doc: RunbookDoc;
  const table = readItems(itemsFile);
  const items = table.map((r) => r.item);

  before(async () => {
    doc = (await loadDoc(runbookFile)).doc;
  });

  it('lists each item once, with a title', () => {
    expect(items.length).to.be.greaterThan(0);
    expect(new Set(items).size, 'item numbers are unique').to.equal(items.length);
    expect(table.filter((r) => !r.title).map((r) => r.item)).to.deep.equal([]);
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
}

describe('runbooks/s3-unintended-access source items', () => {
  it('lists every numbered item of the playbook, nested lists included', () => {
    const items = readItems('docs/reference/s3-unintended-access-items.md').map((r) => r.item);
    expect(items.slice(0, 9)).to.deep.equal(['1', '1.1', '1.1.1', '1.1.2', '1.1.3', '1.1.4', '1.1.5', '1.1.6', '1.2']);
    expect(items).to.include.members(['1.4.1.2', '1.4.2.4', '1.14.3', '2.1.2.3.1', '2.1.2.3.2', '2.4.3', '3.0.1', '3.0.2', '3.2.7', '3.3.5', '4.5', '4.6', '4.7', '5.6.4', '5.7']);
    expect(items).not.to.include.members(['1.15', '2.5', '3.4', '4.8', '5.8', '6']);
    expect(items.length).to.equal(108);
  });
});

describeTraceability('runbooks/s3-unintended-access.yaml', 'docs/reference/s3-unintended-access-items.md');
