/**
 * The walk of the README's "Customize a runbook" section, through the CLI in a temp folder: init -> edit -> validate ->
 * test -> graph (and docs, permissions), each output parsed.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { tempTree } from '../helpers/fs.js';
import { hasDot, parseMermaid, runDot } from '../report/parsers.js';
import { irun } from './run-cli.js';

describe('customize a runbook: init -> edit -> validate -> test -> graph (CLI in a temp dir)', function () {
  this.timeout(180_000);
  const t = tempTree();
  after(() => t.cleanup());
  const rb = 'runbooks/s3-unintended-access.yaml';

  it('init lists the built-ins, copies one, and refuses to overwrite it', () => {
    const list = irun(['init', '--json'], t.dir);
    expect(list.status, list.stderr).to.equal(0);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((b) => b.id)).to.include('s3-unintended-access');

    const init = irun(['init', 's3-unintended-access'], t.dir);
    expect(init.status, init.stderr).to.equal(0);
    expect(init.stdout).to.include(`copied ${rb}`);
    expect(parse(readFileSync(t.file(rb), 'utf8')).id).to.equal('s3-unintended-access');

    const again = irun(['init', 's3-unintended-access'], t.dir);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.include('IRUN_FILE_EXISTS').and.include(rb);
  });

  it('an edit with a mistake fails validation with a positioned code; fixed, it validates', () => {
    const original = readFileSync(t.file(rb), 'utf8');
    expect(original).to.include('title: Incident resolved');
    const edited = original.replace('title: Incident resolved', 'title: Incident closed by the Acme security team');
    // a typo in a jump target
    const broken = edited.replace(/^(\s+)goto: (\S+)$/m, '$1goto: $2-typo');
    expect(broken).to.not.equal(edited);
    writeFileSync(t.file(rb), broken);
    const bad = irun(['validate', 'runbooks', '--format', 'json'], t.dir);
    expect(bad.status).to.equal(1);
    const diags = JSON.parse(bad.stdout) as { code: string; file: string; line: number }[];
    expect(diags.some((d) => d.code === 'IRUN_UNKNOWN_TARGET' && d.file === rb && d.line > 1)).to.equal(true);

    writeFileSync(t.file(rb), edited);
    const good = irun(['validate', 'runbooks', '--format', 'sarif'], t.dir);
    const sarif = JSON.parse(good.stdout);
    expect(sarif.runs[0].results.filter((r: { level: string }) => r.level === 'error')).to.deep.equal([]);
    expect(good.status, good.stdout).to.equal(0);
  });

  it('the copied scenarios still rehearse the edited runbook', () => {
    // one scenario keeps this walk quick; test/runbooks covers them all
    const r = irun(['test', 'runbooks', '--grep', 'third-party-bucket', '--reporter', 'json'], t.dir);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('third-party-bucket');
  });

  it('graph draws the edited runbook (Mermaid parses; DOT renders when Graphviz is installed)', async () => {
    const m = irun(['graph', rb], t.dir);
    expect(m.status, m.stderr).to.equal(0);
    const parsed = await parseMermaid(m.stdout);
    expect(parsed.subgraphs.length).to.equal(5);
    expect(parsed.vertices.some((v) => v.text.includes('Incident closed by the Acme security team'))).to.equal(true);

    const d = irun(['graph', rb, '--format', 'dot', '--out', 'flow.dot'], t.dir);
    expect(d.status, d.stderr).to.equal(0);
    const dot = readFileSync(t.file('flow.dot'), 'utf8');
    expect(dot).to.match(/^digraph /);
    if (hasDot()) expect(runDot(dot, 'svg').status).to.equal(0);
  });

  it('docs and permissions of the copy', () => {
    const docs = irun(['docs', rb, '--out', 'docs/ir.md'], t.dir);
    expect(docs.status, docs.stderr).to.equal(0);
    expect(readFileSync(t.file('docs/ir.md'), 'utf8')).to.include('Incident closed by the Acme security team');
    const perms = irun(['permissions', rb, '--read-only', '--json'], t.dir);
    expect(perms.status, perms.stderr).to.equal(0);
    const policy = JSON.parse(perms.stdout) as { Version: string; Statement: { Sid: string; Action: string[] }[] };
    expect(policy.Version).to.equal('2012-10-17');
    expect(policy.Statement.every((s) => s.Sid.startsWith('IrunRunbookRead'))).to.equal(true);
    expect(policy.Statement.flatMap((s) => s.Action)).to.include('s3:GetBucketPolicy');
  });
});
