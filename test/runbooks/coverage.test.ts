/**
 * The scenarios of runbooks/scenarios/ run through the engine in simulation mode: each must meet
 * its own `expect`, and together they must take every conditional edge of the runbook (each
 * `if` both ways, every branch case and default, every onError both ways).
 */
import path from 'node:path';
import { expect } from 'chai';
import type { RunbookDoc } from '../../engine/model.js';
import { scenarioFiles } from '../../engine/run/simulate.js';
import { checkExpect, conditionalEdges, loadDoc, RUNBOOK, runScenario, takenEdges, uncoveredEdges, type ScenarioRun } from './scenario-run.js';

// the scenarios of this runbook (the folder also holds other runbooks' scenarios)
const files = scenarioFiles(RUNBOOK);

describe('runbooks/s3-unintended-access scenarios', function () {
  this.timeout(60_000);
  const runs = new Map<string, ScenarioRun>();
  let doc: RunbookDoc;

  before(async () => {
    doc = (await loadDoc()).doc;
    for (const f of files) runs.set(path.basename(f), await runScenario(f));
  });

  it('has the scenarios the runbook must ship', () => {
    const names = [...runs.values()].map((r) => r.scenario.scenario);
    expect(names).to.include.members([
      'public-bucket-policy',
      'object-key-known',
      'nothing-known',
      'leaked-access-key',
      'leaked-role-session',
      'public-object-acls',
      'public-object-acls-owner-enforced',
      'third-party-bucket',
      'deleted-objects-restored',
      'service-not-enabled',
      'recurrence',
    ]);
  });

  for (const f of files) {
    const name = path.basename(f);
    it(`${name} states its full expectation and meets it`, () => {
      const run = runs.get(name)!;
      const x = run.scenario.expect;
      expect(x?.status, 'expect.status').to.be.a('string');
      expect(x?.outcome, 'expect.outcome').to.be.a('string');
      expect(x?.path, 'expect.path').to.be.an('array').that.is.not.empty;
      expect(checkExpect(run), `${name}: ${run.result.error?.message ?? ''}`).to.deep.equal([]);
    });
  }

  it('takes every conditional edge of the runbook in some scenario', () => {
    const all = conditionalEdges(doc);
    const missing = uncoveredEdges(doc, [...runs.values()]);
    const pct = Math.round((1000 * (all.length - missing.length)) / all.length) / 10;
    expect(
      missing.map((e) => `${e.step} ${e.edge}`),
      `branch coverage ${pct}% of ${all.length} edges; uncovered`,
    ).to.deep.equal([]);
  });

  it('counts an edge only when a scenario takes it', () => {
    // One scenario alone leaves edges uncovered: the coverage check can fail.
    const one = runs.get('public-bucket-policy.yaml')!;
    const missing = uncoveredEdges(doc, [one]).map((e) => `${e.step} ${e.edge}`);
    expect(missing).to.include('bucket-known branch:case 2');
    expect(missing).to.include('analyzer-buckets onError:error');
    expect(missing).to.include('recurrence branch:case 1');
    expect(missing).not.to.include('bucket-known branch:case 1');
    expect(takenEdges(doc, one.events)).to.deep.include({ step: 'alarms', edge: 'if:true' });
  });
});
