import { expect } from 'chai';
import path from 'node:path';
import type { Diagnostic } from '../../engine/diagnostics.js';
import { formatDiagnostics } from '../../engine/validate/format.js';
import { validatePaths } from '../../engine/validate/index.js';
import { FIXTURES, testRegistry } from '../validate/helpers.js';

/**
 * The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json) that irun's output uses, with
 * their required properties and types.
 */
function checkSarif(log: any): void {
  const isInt1 = (n: unknown) => Number.isInteger(n) && (n as number) >= 1;
  expect(log).to.be.an('object');
  expect(log.version).to.equal('2.1.0');
  expect(log.$schema).to.be.a('string').and.match(/sarif/);
  expect(log.runs).to.be.an('array').with.length(1);
  const run = log.runs[0];
  expect(run.tool.driver.name).to.equal('irun');
  expect(run.tool.driver.version)
    .to.be.a('string')
    .and.match(/^\d+\.\d+\.\d+/);
  const rules = run.tool.driver.rules as any[];
  expect(rules).to.be.an('array');
  for (const r of rules) {
    expect(r.id)
      .to.be.a('string')
      .and.match(/^IRUN_[A-Z_]+$/);
    expect(r.shortDescription).to.be.an('object');
    expect(r.shortDescription.text).to.be.a('string').and.not.empty;
  }
  expect(new Set(rules.map((r) => r.id)).size).to.equal(rules.length);
  expect(run.results).to.be.an('array');
  for (const res of run.results as any[]) {
    expect(res.ruleId).to.be.a('string');
    expect(rules[res.ruleIndex].id).to.equal(res.ruleId);
    expect(['error', 'warning', 'note', 'none']).to.include(res.level);
    expect(res.message.text).to.be.a('string').and.not.empty;
    expect(res.locations).to.be.an('array').with.length(1);
    const loc = res.locations[0].physicalLocation;
    const uri = loc.artifactLocation.uri as string;
    expect(uri).to.be.a('string');
    expect(path.isAbsolute(uri) || /^[a-z]+:/i.test(uri), `relative uri ${uri}`).to.equal(false);
    expect(uri).to.not.include('\\');
    const r = loc.region;
    for (const k of ['startLine', 'startColumn', 'endLine', 'endColumn'])
      expect(isInt1(r[k]), `${k}=${r[k]}`).to.equal(true);
    expect(r.endLine >= r.startLine).to.equal(true);
    if (r.endLine === r.startLine) expect(r.endColumn >= r.startColumn).to.equal(true);
  }
}

describe('validate --format sarif', () => {
  it('one result per diagnostic, with rule, level, message and region', async () => {
    const files = [
      'broken/unknown-goto.yaml',
      'broken/unreachable.yaml',
      'broken/unknown-reference.yaml',
      'good/good.yaml',
    ];
    const results = await validatePaths(files, { registry: testRegistry(), cwd: FIXTURES });
    const all: Diagnostic[] = results.flatMap((r) => r.diagnostics);
    expect(all.length).to.be.greaterThan(2);
    const log = JSON.parse(formatDiagnostics(results, 'sarif'));
    checkSarif(log);
    const got = log.runs[0].results.map((r: any) => ({
      ruleId: r.ruleId,
      level: r.level,
      uri: r.locations[0].physicalLocation.artifactLocation.uri,
      line: r.locations[0].physicalLocation.region.startLine,
      column: r.locations[0].physicalLocation.region.startColumn,
      text: r.message.text,
    }));
    expect(got).to.deep.equal(
      all.map((d) => ({
        ruleId: d.code,
        level: d.severity,
        uri: d.file.split(path.sep).join('/'),
        line: d.line,
        column: d.column,
        text: d.message,
      })),
    );
    expect(got.map((g: any) => g.level)).to.include.members(['error', 'warning']);
    expect(log.runs[0].tool.driver.rules.map((r: any) => r.id).sort()).to.deep.equal(
      [...new Set(all.map((d) => d.code))].sort(),
    );
  });

  it('a clean run is a valid log with no results', () => {
    const log = JSON.parse(formatDiagnostics([{ file: 'a.yaml', diagnostics: [] }], 'sarif'));
    checkSarif(log);
    expect(log.runs[0].results).to.deep.equal([]);
  });

  it('the shape check can fail (absolute uri, zero column)', () => {
    const bad = JSON.parse(
      formatDiagnostics(
        [
          {
            file: 'x.yaml',
            diagnostics: [
              {
                code: 'IRUN_SCHEMA',
                severity: 'error',
                message: 'm',
                file: '/abs/x.yaml',
                line: 1,
                column: 1,
                endLine: 1,
                endColumn: 2,
                path: '',
              },
            ],
          },
        ],
        'sarif',
      ),
    );
    expect(bad.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).to.not.match(/^\//);
    bad.runs[0].results[0].locations[0].physicalLocation.region.startColumn = 0;
    expect(() => checkSarif(bad)).to.throw();
  });
});
