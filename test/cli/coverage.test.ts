/**
 * `irun test --coverage`, scenarios that need no stubs for local actions, the scenario clock in
 * `exec --scenario`, and one diagnostic per YAML syntax error (CLI in a temp dir).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dedent, tempTree } from '../helpers/fs.js';
import { irun, ROOT } from './helpers.js';

const RUNBOOK = dedent`
  irun: 1
  id: cov
  title: Coverage
  inputs:
    mode: { type: string, enum: [a, b, c] }
    fail: { type: boolean, default: false }
  parts:
    - id: main
      steps:
        - id: note
          action: core.log
          with: { message: "mode {{ inputs.mode }} at {{ dateFormat (now) 'yyyy-MM-dd' }}" }
        - id: check
          action: core.assert
          with: { that: "{{ inputs.mode }}", message: mode is required }
        - id: pick
          branch:
            - { if: "{{ eq inputs.mode 'a' }}", goto: only-a }
            - { if: "{{ eq inputs.mode 'b' }}", call: helper }
          default: finish
        - id: only-a
          if: "{{ eq inputs.mode 'a' }}"
          action: core.noop
        - id: finish
          end: { status: resolved, message: done }
    - id: helper
      steps:
        - id: fetch
          action: core.http
          with: { url: "https://example.invalid/x" }
          onError: continue
`;

const scenario = (name: string, mode: string, extra = '') =>
  dedent`
  scenario: ${name}
  title: ${name}
  now: "2021-03-04T05:06:07Z"
  inputs: { mode: ${mode} }
  ` + extra;

describe('irun test --coverage, local actions in scenarios, the scenario clock', function () {
  this.timeout(120_000);

  it('reports the steps and edges no scenario took, gates on --min, and includes it in json and junit', () => {
    const t = tempTree({
      'runbooks/cov.yaml': RUNBOOK,
      'runbooks/scenarios/a.yaml': scenario('a', 'a'),
    });
    try {
      let r = irun(['test', 'runbooks', '--coverage'], { cwd: t.dir });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/coverage \d+(\.\d)?% \(steps 5\/6, branch edges \d+\/\d+\)/);
      expect(r.stdout).to.match(/not taken: fetch \(never ran\)/);
      expect(r.stdout).to.match(/not taken: pick branch case 2 .*call helper/);
      expect(r.stdout).to.match(/not taken: only-a if eq inputs.mode 'a': false/);

      r = irun(['test', 'runbooks', '--min', '100'], { cwd: t.dir });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/under the minimum 100%/);

      r = irun(['test', 'runbooks', '--reporter', 'json', '--min', '50'], { cwd: t.dir });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const [json] = JSON.parse(r.stdout) as {
        coverage: { percent: number; min: number; missed: string[]; steps: { covered: number; total: number } };
      }[];
      expect(json.coverage.steps).to.deep.equal({ covered: 5, total: 6 });
      expect(json.coverage.min).to.equal(50);
      expect(json.coverage.missed).to.include('fetch: ran');

      r = irun(['test', 'runbooks', '--reporter', 'junit', '--min', '100'], { cwd: t.dir });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/<property name="coverage" value="[\d.]+"\/>/);
      expect(r.stdout).to.match(
        /<testcase classname="[^"]*" name="coverage"><failure message="coverage [\d.]+% is under the minimum 100%"/,
      );
    } finally {
      t.cleanup();
    }
  });

  it('reaches 100% when the scenarios take every way out, and the shipped runbook is at 100%', () => {
    const t = tempTree({
      'runbooks/cov.yaml': RUNBOOK,
      'runbooks/scenarios/a.yaml': scenario('a', 'a'),
      'runbooks/scenarios/b-ok.yaml': scenario(
        'b-ok',
        'b',
        'stubs:\n  - { step: fetch, output: { status: 200, headers: {}, body: ok } }\n',
      ),
      'runbooks/scenarios/b-fails.yaml': scenario(
        'b-fails',
        'b',
        'stubs:\n  - { step: fetch, error: { name: TimeoutError, message: no answer } }\n',
      ),
      'runbooks/scenarios/c.yaml': scenario('c', 'c'),
    });
    try {
      const r = irun(['test', 'runbooks', '--min', '100'], { cwd: t.dir });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/coverage 100% \(steps 6\/6, branch edges (\d+)\/\1\)/);
      const shipped = irun(['test', path.join(ROOT, 'runbooks'), '--min', '100'], { cwd: t.dir });
      expect(shipped.code, shipped.stdout + shipped.stderr).to.equal(0);
      expect(shipped.stdout).to.match(/coverage 100%/);
    } finally {
      t.cleanup();
    }
  });

  it('exec --scenario runs local actions without stubs and on the scenario clock', () => {
    const t = tempTree({
      'runbooks/cov.yaml': RUNBOOK,
      'runbooks/scenarios/a.yaml': scenario('a', 'a'),
    });
    try {
      const r = irun(['exec', 'runbooks/cov.yaml', '--scenario', 'a', '--run-dir', 'runs'], { cwd: t.dir });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const [run] = readdirSync(t.file('runs'));
      const journal = readFileSync(t.file(`runs/${run}/journal.jsonl`), 'utf8');
      expect(journal).to.include('mode a at 2021-03-04');
      expect(journal).to.match(/"startedAt":"2021-03-04T05:06/);
    } finally {
      t.cleanup();
    }
  });

  it('a YAML syntax error is one diagnostic, not a cascade', () => {
    const t = tempTree({
      'rb.yaml': dedent`
        irun: 1
        id: x
        title: X
        parts:
          - id: p
            steps:
              - id: a
                manual:
                  instructions: "Check the bucket
                  then: look at the logs: and more
              - id: b
                manual: { instructions: "ok" }
              - id: c
                manual: { instructions: ok }
      `,
    });
    try {
      const r = irun(['validate', 'rb.yaml', '--format', 'json'], { cwd: t.dir });
      expect(r.code).to.equal(1);
      const diagnostics = JSON.parse(r.stdout) as { code: string; line: number }[];
      expect(diagnostics.map((d) => d.code)).to.deep.equal(['IRUN_YAML_SYNTAX']);
    } finally {
      t.cleanup();
    }
  });
});
