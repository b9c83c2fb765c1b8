import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../../engine/diagnostics.js';
import { Codes } from '../../engine/errors.js';
import { parseRunbook } from '../../engine/load/index.js';
import { PACKAGE_ROOT } from '../../engine/plugins/registry.js';
import { validatePaths, validateRunbook } from '../../engine/validate/index.js';
import { dedent, tempTree } from '../helpers/fs.js';
import { testRegistry } from './helpers.js';

const HEAD = 'irun: 1\nid: t\ntitle: T\n';

async function check(body: string): Promise<Diagnostic[]> {
  const loaded = parseRunbook(HEAD + body, 't.yaml');
  return validateRunbook(loaded, { registry: testRegistry() });
}
const brief = (ds: Diagnostic[]) => ds.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`);

describe('validate: schema messages', () => {
  it('names unknown top-level keys with a suggestion, lists enum values, reduces anyOf to the matching form', async () => {
    const ds = await check(dedent`
      titel: x
      parts:
        - id: main
          steps:
            - id: a
              action: demo.noop
              onError: contine
              retry: { attempts: 2, backoff: linear }
            - id: b
              end: { status: done }
    `);
    expect(brief(ds)).to.deep.equal([
      `4:1 ${Codes.SCHEMA} unknown property 'titel' in runbook (did you mean 'title'?)`,
      `10:18 ${Codes.SCHEMA} 'contine' is not allowed for 'onError'; expected one of: 'fail', 'continue'`,
      `11:40 ${Codes.SCHEMA} 'linear' is not allowed for 'backoff'; expected one of: 'fixed', 'exponential'`,
      `13:24 ${Codes.SCHEMA} 'done' is not allowed for 'status'; expected one of: 'resolved', 'escalated', 'aborted'`,
    ]);
  });

  it('reports a wrong type, a missing id and a non-kebab id readably', async () => {
    const ds = await check(dedent`
      parts:
        - id: Main_Part
          steps:
            - action: demo.noop
              maxVisits: many
    `);
    expect(brief(ds)).to.deep.equal([
      `5:9 ${Codes.SCHEMA} 'id' must be kebab-case: lower-case letters, digits and single dashes (e.g. 'check-policy')`,
      `7:9 ${Codes.SCHEMA} missing required property 'id' in step`,
      `8:20 ${Codes.SCHEMA} 'maxVisits' must be an integer, not a string`,
    ]);
  });

  it('reports a step without a kind, and kind-only keys without their kind, once each', async () => {
    const ds = await check(dedent`
      parts:
        - id: main
          steps:
            - id: a
              title: nothing to do
            - id: b
              set: { x: 1 }
              with: { x: 1 }
    `);
    expect(brief(ds)).to.deep.equal([
      `7:9 ${Codes.SCHEMA} step 'a' has no kind: a step needs exactly one of action | manual | call | goto | branch | set | end | forEach`,
      `11:9 ${Codes.SCHEMA} step 'b': 'with' is only allowed on an 'action' step`,
    ]);
  });
});

describe('validate: action inputs', () => {
  it('checks literal values and skips templated ones', async () => {
    const ds = await check(dedent`
      inputs:
        b: { type: string }
      parts:
        - id: main
          steps:
            - id: templated
              action: demo.tag
              with: { bucket: "{{ inputs.b }}", tags: "{{ inputs.b }}", mode: "{{ inputs.b }}" }
            - id: whole
              action: demo.tag
              with: "{{ steps.templated.output }}"
            - id: literal
              action: demo.tag
              with: { bucket: "Not A Bucket", mode: mrege }
    `);
    expect(brief(ds)).to.deep.equal([
      `17:15 ${Codes.ACTION_INPUT} input of demo.tag: missing required property 'tags'`,
      `17:25 ${Codes.ACTION_INPUT} input of demo.tag: 'bucket' must match ^[a-z0-9.-]{3,63}$`,
      `17:47 ${Codes.ACTION_INPUT} input of demo.tag: 'mrege' is not allowed for 'mode'; expected one of: 'merge', 'replace'`,
    ]);
  });
});

describe('validate: references', () => {
  it('allows item / the as-name inside forEach, result inside outputs, vars from set, parts and run fields', async () => {
    const ds = await check(dedent`
      inputs:
        xs: { type: array }
      vars: { seen: 0 }
      parts:
        - id: main
          steps:
            - id: each
              forEach: "{{ inputs.xs }}"
              as: x
              action: demo.echo
              with: { message: "{{ x }} {{ vars.seen }} {{ vars.total }}" }
              outputs: { n: "{{ length result }}" }
            - id: count
              set: { total: "{{ length steps.each.output }}" }
            - id: say
              if: "{{ eq parts.main.status 'running' }}"
              action: demo.echo
              with: { message: "{{ run.actor }} {{ steps.each.outputs.n }} {{ steps.count.status }}" }
    `);
    expect(brief(ds)).to.deep.equal([]);
  });

  it('rejects item outside forEach, result outside outputs, unknown vars, run and step fields', async () => {
    const ds = await check(dedent`
      parts:
        - id: main
          steps:
            - id: a
              action: demo.echo
              with: { message: "{{ item }} {{ result }} {{ vars.nope }} {{ run.user }} {{ steps.a.outptu }} {{ parts.mian.status }}" }
    `);
    expect(ds.map((d) => d.code)).to.deep.equal(Array(6).fill(Codes.UNKNOWN_REFERENCE));
    expect(ds.map((d) => d.column)).to.deep.equal([30, 41, 54, 70, 85, 106]);
    expect(ds[0].message).to.match(/'item' exists only inside a forEach step's body/);
    expect(ds[1].message).to.match(/'result' exists only in a step's outputs/);
    expect(ds[3].message).to.match(/unknown run field 'user'/);
    expect(ds[4].suggestions).to.deep.equal(['output', 'outputs']);
    expect(ds[5].suggestions).to.deep.equal(['main']);
  });
});

describe('validate: flow rules', () => {
  it('a loop whose exit is a manual answer that a condition reads is bounded', async () => {
    const ds = await check(dedent`
      parts:
        - id: main
          steps:
            - id: look
              manual: { ask: { type: confirm } }
            - id: again
              goto: look
            - id: done
              if: "{{ steps.look.output }}"
              end: { status: resolved }
    `);
    expect(ds.filter((d) => d.code === Codes.UNBOUNDED_LOOP)).to.deep.equal([]);
  });

  it('a call target that is a step is an error that says to use goto', async () => {
    const ds = await check(dedent`
      parts:
        - id: main
          steps:
            - id: a
              call: b
            - id: b
              end: { status: resolved }
    `);
    expect(brief(ds)).to.deep.equal([
      `8:15 ${Codes.UNKNOWN_TARGET} call target 'b' is a step; call runs a part (use goto to jump to a step)`,
    ]);
  });

  it('a step that can run before the referenced one only on a loop is not a ref-before-run', async () => {
    const ds = await check(dedent`
      parts:
        - id: main
          steps:
            - id: a
              if: "{{ steps.b.output }}"
              action: demo.noop
            - id: b
              action: demo.noop
            - id: c
              if: "{{ lt steps.b.visits 2 }}"
              goto: a
    `);
    expect(brief(ds)).to.deep.equal([]);
  });
});

describe('validate: validatePaths', () => {
  it('defaults to ./runbooks, reports a missing path, and finds runbooks recursively', async () => {
    const t = tempTree({
      'runbooks/a.yaml': `${HEAD}parts:\n  - id: p\n    steps:\n      - { id: s, action: demo.noop }\n`,
      'runbooks/nested/b.yml': `${HEAD}parts: []\n`,
      'runbooks/scenarios/c.yaml': `${HEAD}parts: []\n`,
      'runbooks/other.yaml': 'title: not a runbook\n',
    });
    try {
      const results = await validatePaths([], { registry: testRegistry(), cwd: t.dir });
      expect(results.map((r) => [r.file, r.diagnostics.map((d) => d.code)])).to.deep.equal([
        [path.join('runbooks', 'other.yaml'), ['IRUN_NOT_A_RUNBOOK']],
        [path.join('runbooks', 'a.yaml'), []],
        [path.join('runbooks', 'nested', 'b.yml'), [Codes.SCHEMA]],
      ]);
      const missing = await validatePaths(['nope'], { registry: testRegistry(), cwd: t.dir });
      expect(missing).to.have.length(1);
      expect(missing[0].diagnostics[0]).to.include({ code: Codes.FILE_NOT_FOUND, file: 'nope' });
    } finally {
      t.cleanup();
    }
  });

  it('the loader and validator never import the AWS SDK', () => {
    const files = ['engine/load', 'engine/validate'].flatMap((d) =>
      readdirSync(path.join(PACKAGE_ROOT, d)).map((f) => path.join(PACKAGE_ROOT, d, f)),
    );
    expect(files.length).to.be.greaterThan(3);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).to.not.match(/@aws-sdk|plugins\/aws-/);
  });
});

describe('validate: template positions inside YAML scalars', () => {
  it('maps a template position to the file for plain, quoted, literal and folded scalars', async () => {
    const ds = await check(dedent`
      parts:
        - id: main
          steps:
            - id: plain
              action: demo.echo
              with:
                message: a {{ nope1 run.id }} b
            - id: quoted
              action: demo.echo
              with: { message: 'x {{ nope2 run.id }}' }
            - id: folded
              action: demo.echo
              with:
                message: >-
                  first line
                  then {{ nope3 run.id }}
            - id: literal
              manual:
                instructions: |
                  one
                    two {{ nope4 run.id }}
            - id: multi
              action: demo.echo
              with:
                message: words that
                  wrap {{ nope5 run.id }}
            - id: escaped
              action: demo.echo
              with: { message: "tab\\t{{ nope6 run.id }}" }
    `);
    expect(ds.map((d) => `${d.line}:${d.column}-${d.endColumn} ${d.message.slice(0, 22)}`)).to.deep.equal([
      "10:25-30 unknown helper 'nope1'",
      "13:32-37 unknown helper 'nope2'",
      "19:21-26 unknown helper 'nope3'",
      "24:22-27 unknown helper 'nope4'",
      "29:21-26 unknown helper 'nope5'",
      // an escape sequence: the start of the scalar
      "32:26-51 unknown helper 'nope6'",
    ]);
  });
});
