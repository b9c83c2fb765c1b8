import { expect } from 'chai';
import path from 'node:path';
import { Codes } from '../../engine/errors.js';
import { validatePaths } from '../../engine/validate/index.js';
import { FIXTURES, testRegistry } from './helpers.js';

/** One broken runbook per rule: the diagnostics it must produce, exactly. */
const cases: {
  file: string;
  expect: {
    code: string;
    severity: 'error' | 'warning';
    line: number;
    column: number;
    message?: RegExp;
    suggestions?: string[];
  }[];
}[] = [
  {
    file: 'yaml-syntax.yaml',
    expect: [{ code: Codes.YAML_SYNTAX, severity: 'error', line: 8, column: 16, message: /Nested mappings/ }],
  },
  {
    file: 'unknown-key.yaml',
    expect: [
      {
        code: Codes.SCHEMA,
        severity: 'error',
        line: 9,
        column: 9,
        message: /unknown property 'withh' in step \(did you mean 'with'\?\)/,
        suggestions: ['with'],
      },
    ],
  },
  {
    file: 'two-kinds.yaml',
    expect: [
      {
        code: Codes.SCHEMA,
        severity: 'error',
        line: 9,
        column: 9,
        message: /step 'one' has 'action' and 'goto': a step needs exactly one of action \| manual/,
      },
    ],
  },
  {
    file: 'duplicate-id.yaml',
    expect: [
      {
        code: Codes.DUPLICATE_ID,
        severity: 'error',
        line: 7,
        column: 13,
        message: /duplicate id 'main': already used by the part at line 5/,
      },
    ],
  },
  {
    file: 'unknown-goto.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_TARGET,
        severity: 'error',
        line: 9,
        column: 15,
        message: /goto target 'finsh'.*did you mean 'finish'/,
        suggestions: ['finish'],
      },
    ],
  },
  {
    file: 'unknown-call.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_TARGET,
        severity: 'error',
        line: 8,
        column: 15,
        message: /call target 'contian' is not a part id.*'contain'/,
      },
    ],
  },
  {
    file: 'unknown-action.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_ACTION,
        severity: 'error',
        line: 8,
        column: 17,
        message: /unknown action 'demo.ecko'/,
        suggestions: ['demo.echo'],
      },
    ],
  },
  {
    file: 'action-input.yaml',
    expect: [
      {
        code: Codes.ACTION_INPUT,
        severity: 'error',
        line: 13,
        column: 18,
        message: /input of demo.echo: 'count' must be >= 1/,
      },
    ],
  },
  {
    file: 'template-syntax.yaml',
    expect: [{ code: Codes.TEMPLATE_SYNTAX, severity: 'error', line: 10, column: 38, message: /syntax error/ }],
  },
  {
    file: 'unknown-helper.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_HELPER,
        severity: 'error',
        line: 10,
        column: 24,
        message: /unknown helper 'uper'/,
        suggestions: ['upper'],
      },
    ],
  },
  {
    file: 'unknown-reference.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_REFERENCE,
        severity: 'error',
        line: 11,
        column: 30,
        message: /unknown input 'buckt'/,
        suggestions: ['bucket'],
      },
      // inside a literal block scalar: the exact line and column in the file
      {
        code: Codes.UNKNOWN_REFERENCE,
        severity: 'error',
        line: 16,
        column: 26,
        message: /unknown step 'lok'/,
        suggestions: ['look'],
      },
    ],
  },
  {
    file: 'ref-before-run.yaml',
    expect: [
      {
        code: Codes.REF_BEFORE_RUN,
        severity: 'warning',
        line: 9,
        column: 30,
        message: /step 'gather' cannot have run before it/,
      },
    ],
  },
  {
    file: 'unreachable.yaml',
    expect: [
      {
        code: Codes.UNREACHABLE,
        severity: 'warning',
        line: 9,
        column: 13,
        message: /step 'orphan' can never be reached/,
      },
    ],
  },
  {
    file: 'unbounded-loop.yaml',
    expect: [
      {
        code: Codes.UNBOUNDED_LOOP,
        severity: 'error',
        line: 10,
        column: 15,
        message: /'check' -> 'again' form a loop with no conditional exit/,
      },
    ],
  },
  {
    file: 'choice-mismatch.yaml',
    expect: [
      {
        code: Codes.CHOICE_MISMATCH,
        severity: 'warning',
        line: 11,
        column: 40,
        message: /'tiket' is not one of the choices of step 'intake'/,
        suggestions: ['ticket'],
      },
    ],
  },
  // a second fixture per flow rule: the shapes the first one does not cover
  {
    file: 'duplicate-step-id.yaml',
    expect: [
      {
        code: Codes.DUPLICATE_ID,
        severity: 'error',
        line: 11,
        column: 13,
        message: /duplicate id 'look': already used by the step at line 7/,
      },
    ],
  },
  {
    file: 'unbounded-loop-max-visits.yaml',
    expect: [
      {
        code: Codes.UNBOUNDED_LOOP,
        severity: 'error',
        line: 12,
        column: 15,
        message: /'poll' -> 'wait' form a loop with no conditional exit .*maxVisits only stops the run with an error/,
      },
    ],
  },
  {
    file: 'unknown-next.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_TARGET,
        severity: 'error',
        line: 9,
        column: 26,
        message: /onError.goto target 'recover' is not a step or part id$/,
      },
      {
        code: Codes.UNKNOWN_TARGET,
        severity: 'error',
        line: 13,
        column: 15,
        message: /next target 'finnish'.*did you mean 'finish'/,
        suggestions: ['finish'],
      },
    ],
  },
  {
    file: 'call-a-step.yaml',
    expect: [
      {
        code: Codes.UNKNOWN_TARGET,
        severity: 'error',
        line: 8,
        column: 15,
        message: /call target 'finish' is a step; call runs a part/,
      },
    ],
  },
  {
    file: 'unreachable-after-end.yaml',
    expect: [
      {
        code: Codes.UNREACHABLE,
        severity: 'warning',
        line: 11,
        column: 13,
        message: /step 'never' can never be reached from the first step 'start' \(nor can 1 step after it\)/,
      },
    ],
  },
  {
    file: 'ref-in-branch.yaml',
    expect: [
      {
        code: Codes.REF_BEFORE_RUN,
        severity: 'warning',
        line: 9,
        column: 21,
        message: /step 'check' cannot have run before it/,
      },
    ],
  },
  {
    file: 'bad-plugin.yaml',
    expect: [
      {
        code: Codes.PLUGIN_LOAD,
        severity: 'error',
        line: 5,
        column: 5,
        message: /cannot load plugin '.\/plugins\/missing.js'/,
      },
    ],
  },
];

describe('validate: broken fixtures, one per rule', () => {
  for (const c of cases) {
    it(`${c.file} -> ${c.expect.map((e) => e.code).join(', ')}`, async () => {
      const [result] = await validatePaths([path.join('broken', c.file)], { registry: testRegistry(), cwd: FIXTURES });
      expect(result.file).to.equal(path.join('broken', c.file));
      const got = result.diagnostics.map((d) => ({
        code: d.code,
        severity: d.severity,
        line: d.line,
        column: d.column,
      }));
      expect(got).to.deep.equal(
        c.expect.map((e) => ({ code: e.code, severity: e.severity, line: e.line, column: e.column })),
      );
      c.expect.forEach((e, i) => {
        const d = result.diagnostics[i];
        if (e.message) expect(d.message).to.match(e.message);
        if (e.suggestions) expect(d.suggestions).to.deep.equal(e.suggestions);
        expect(d.file).to.equal(path.join('broken', c.file));
        expect(d.endLine).to.be.at.least(d.line);
      });
    });
  }

  it('the broken folder yields one file result per fixture, each with an error or a warning', async () => {
    const results = await validatePaths(['broken'], { registry: testRegistry(), cwd: FIXTURES });
    expect(results.map((r) => path.basename(r.file)).sort()).to.deep.equal(cases.map((c) => c.file).sort());
    for (const r of results) expect(r.diagnostics, r.file).to.not.be.empty;
  });
});

describe('validate: good fixture', () => {
  it('validates clean (plugins, call/next, branch, forEach, set, outputs, loops with an exit)', async () => {
    const results = await validatePaths(['good'], { registry: testRegistry(), cwd: FIXTURES });
    // scenarios/ are skipped; a YAML file that is not a runbook is reported with a warning
    expect(results.map((r) => r.file).sort()).to.deep.equal([
      path.join('good', 'good.yaml'),
      path.join('good', 'notes.yaml'),
    ]);
    const good = results.find((r) => r.file === path.join('good', 'good.yaml'))!;
    expect(good.diagnostics).to.deep.equal([]);
    expect(good.loaded?.doc?.id).to.equal('good-example');
    const notes = results.find((r) => r.file === path.join('good', 'notes.yaml'))!;
    expect(notes.diagnostics.map((d) => [d.code, d.severity])).to.deep.equal([['IRUN_NOT_A_RUNBOOK', 'warning']]);
  });
});
