/**
 * runbooks/credential-leakage.yaml: traceability to the numbered items of its source document
 * (docs/reference/credential-leakage-items.md), its scenarios run through the engine in
 * simulation, and every conditional edge taken by some scenario.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { RunbookDoc } from '../../engine/model.js';
import { scenarioFiles } from '../../engine/run/simulate.js';
import { checkExpect, conditionalEdges, loadDoc, runScenario, uncoveredEdges, type ScenarioRun } from './scenario-run.js';

const RUNBOOK = path.resolve('runbooks/credential-leakage.yaml');
const ITEMS = 'docs/reference/credential-leakage-items.md';

/** Item numbers of the list in document order, parts included ("1", "1.1", ..., "5.5"). */
export function listItems(markdown: string): string[] {
  const items: string[] = [];
  let part: string | undefined;
  let stack: { indent: number; n: number }[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,3}\s+Part\s+(\d+)\b/.exec(line);
    if (heading) {
      part = heading[1];
      items.push(part);
      stack = [];
      continue;
    }
    const m = /^(\s*)(\d+)\.\s+\S/.exec(line);
    if (!part || !m) continue;
    const indent = m[1].length;
    while (stack.length && stack[stack.length - 1].indent > indent) stack.pop();
    if (stack.length && stack[stack.length - 1].indent === indent) stack[stack.length - 1].n = Number(m[2]);
    else stack.push({ indent, n: Number(m[2]) });
    items.push([part, ...stack.map((s) => s.n)].join('.'));
  }
  return items;
}

const refsOf = (ref: string | undefined): string[] =>
  (ref ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

describe('runbooks/credential-leakage', function () {
  this.timeout(120_000);
  let doc: RunbookDoc;
  const items = listItems(readFileSync(ITEMS, 'utf8'));
  const files = scenarioFiles(RUNBOOK);
  const runs = new Map<string, ScenarioRun>();

  before(async () => {
    doc = (await loadDoc(RUNBOOK)).doc;
    for (const f of files) runs.set(path.basename(f), await runScenario(f, RUNBOOK));
  });

  describe('traceability', () => {
    it('reads the 68 items of the five parts', () => {
      const numbered = items.filter((i) => i.includes('.'));
      expect(numbered).to.have.length(68);
      expect(numbered.slice(0, 5)).to.deep.equal(['1.1', '1.2', '1.3', '1.4', '1.4.1']);
      expect(numbered).to.include.members(['2.1.2.2', '3.4.3.14', '3.6.3', '4.1.2.3', '5.3', '5.5']);
      expect(new Set(items).size).to.equal(items.length);
    });

    it('has a step (or part) whose ref names each item, and names only items', () => {
      const named = doc.parts.flatMap((p) => [...refsOf(p.ref), ...p.steps.flatMap((s) => refsOf(s.ref))]);
      expect(items.filter((i) => !named.includes(i)), 'items no step names').to.deep.equal([]);
      expect(named.filter((r) => !items.includes(r)), 'refs to no item').to.deep.equal([]);
    });

    it("puts each part's items in that part, in document order", () => {
      const index = new Map(items.map((i, k) => [i, k]));
      const problems: string[] = [];
      doc.parts.forEach((part, p) => {
        expect(refsOf(part.ref)[0], `part ${part.id}`).to.equal(String(p + 1));
        let last = -1;
        for (const step of part.steps) {
          const refs = refsOf(step.ref);
          for (const r of refs) if (r.split('.')[0] !== String(p + 1)) problems.push(`${step.id}: ${r} is not in Part ${p + 1}`);
          if (!refs.length) continue;
          const at = Math.min(...refs.map((r) => index.get(r) ?? Infinity));
          if (at < last) problems.push(`${step.id} (${step.ref}) is out of document order`);
          last = Math.max(last, at);
        }
      });
      expect(problems).to.deep.equal([]);
    });

    it('gives every step a title', () => {
      expect(doc.parts.flatMap((p) => p.steps.filter((s) => !s.title).map((s) => s.id))).to.deep.equal([]);
    });
  });

  describe('scenarios', () => {
    it('has at least eight scenarios, and only this runbook\'s', () => {
      expect(files.length).to.be.at.least(8);
      for (const r of runs.values()) expect(r.scenario.runbookId ?? r.scenario.runbook).to.match(/credential-leakage/);
    });

    it('each states its full expectation and meets it', () => {
      const failures: string[] = [];
      for (const [name, run] of runs) {
        const x = run.scenario.expect;
        if (!x?.status || !x.outcome || !x.path?.length) failures.push(`${name}: expect needs status, outcome and path`);
        for (const f of checkExpect(run)) failures.push(`${name}: ${f} ${run.result.error?.message ?? ''}`);
      }
      expect(failures).to.deep.equal([]);
    });

    it('takes every conditional edge of the runbook in some scenario', () => {
      const missing = uncoveredEdges(doc, [...runs.values()]).map((e) => `${e.step} ${e.edge}`);
      expect(missing, `of ${conditionalEdges(doc).length} edges`).to.deep.equal([]);
    });
  });
});
