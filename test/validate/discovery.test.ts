/** `irun validate dir/`: runbooks are found by parsing; other YAML files are reported, not skipped. */
import { expect } from 'chai';
import { validatePaths } from '../../engine/validate/index.js';
import { yamlFileKind } from '../../engine/load/index.js';
import { dedent, tempTree } from '../helpers/fs.js';

const BODY = dedent`
  id: found
  title: Found
  parts:
    - id: p
      steps:
        - { id: s, manual: { instructions: look } }
`;

describe('validate: finding runbooks in a directory', () => {
  it('finds runbooks with a byte-order mark, a quoted irun key or in flow style', async () => {
    const t = tempTree({
      'rb/bom.yaml': `\uFEFFirun: 1\n${BODY}`,
      'rb/quoted.yaml': `"irun": 1\n${BODY}`,
      'rb/single.yml': `'irun': 1\n${BODY}`,
      'rb/flow.yaml': `{ irun: 1, id: flow, title: Flow, parts: [ { id: p, steps: [ { id: s, manual: { instructions: look } } ] } ] }\n`,
      'rb/commented.yaml': `# a runbook\n---\nirun: 1\n${BODY}`,
      'rb/scenarios/x.yaml': 'scenario: x\ntitle: X\n',
      'rb/other-scenario.yaml': 'scenario: y\ntitle: Y\n',
      'rb/irun.config.yaml': 'plugins: []\n',
    });
    try {
      const results = await validatePaths([t.file('rb')], { cwd: t.dir });
      expect(results.map((r) => r.file).sort()).to.deep.equal(
        ['rb/bom.yaml', 'rb/commented.yaml', 'rb/flow.yaml', 'rb/quoted.yaml', 'rb/single.yml'].sort(),
      );
      for (const r of results) expect(r.diagnostics, r.file).to.deep.equal([]);
    } finally {
      t.cleanup();
    }
  });

  it('reports a YAML file that is neither a runbook nor a scenario with a warning code', async () => {
    const t = tempTree({
      'rb/runbook.yaml': `irun: 1\n${BODY}`,
      'rb/compose.yaml': 'services:\n  web: { image: nginx }\n',
      'rb/list.yaml': '- a\n- b\n',
    });
    try {
      const results = await validatePaths([t.file('rb')], { cwd: t.dir });
      const warned = results.filter((r) => r.diagnostics.some((d) => d.code === 'IRUN_NOT_A_RUNBOOK'));
      expect(warned.map((r) => r.file).sort()).to.deep.equal(['rb/compose.yaml', 'rb/list.yaml']);
      for (const r of warned) expect(r.diagnostics[0].severity).to.equal('warning');
    } finally {
      t.cleanup();
    }
  });

  it('a runbook with a syntax error is still found, so that the error is reported', () => {
    expect(yamlFileKind('irun: 1\nid: "broken\n  - x: [\n')).to.equal('runbook');
    expect(yamlFileKind('{"irun": 1, id: x')).to.equal('runbook');
    expect(yamlFileKind('a: [\n')).to.equal('other');
    expect(yamlFileKind('plugins: []\n', 'irun.config.yml')).to.equal('config');
  });
});
