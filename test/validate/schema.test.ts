import { expect } from 'chai';
import type { AskSpec, InputSpec, Part, RunbookDoc, Step } from '../../engine/model.js';
import { compile } from '../../engine/schema/ajv.js';
import { runbookSchema } from '../../engine/validate/schema.js';

type Schema = Record<string, any>;
const schema = runbookSchema() as Schema;
const defs = schema.definitions as Record<string, Schema>;
const keysOf = (s: Schema) => Object.keys(s.properties ?? {}).sort();

// Compile-time lists of the model's keys: adding a field to model.ts without listing it here
// fails the typecheck, and the tests below fail until the schema has it too.
const STEP_KEYS: Record<keyof Step, true> = {
  id: true,
  title: true,
  description: true,
  ref: true,
  if: true,
  next: true,
  onError: true,
  retry: true,
  timeout: true,
  approve: true,
  reason: true,
  maxVisits: true,
  outputs: true,
  aws: true,
  action: true,
  with: true,
  manual: true,
  call: true,
  goto: true,
  branch: true,
  default: true,
  set: true,
  end: true,
  forEach: true,
  as: true,
  concurrency: true,
};
const PART_KEYS: Record<keyof Part, true> = { id: true, title: true, description: true, ref: true, steps: true };
const DOC_KEYS: Record<keyof RunbookDoc, true> = {
  irun: true,
  id: true,
  title: true,
  description: true,
  version: true,
  source: true,
  inputs: true,
  aws: true,
  plugins: true,
  vars: true,
  parts: true,
};
const INPUT_KEYS: Record<keyof InputSpec, true> = {
  type: true,
  description: true,
  title: true,
  default: true,
  enum: true,
  pattern: true,
  format: true,
  items: true,
  minimum: true,
  maximum: true,
  minItems: true,
  maxItems: true,
  required: true,
  secret: true,
  examples: true,
};
const ASK_KEYS: Record<keyof AskSpec, true> = {
  type: true,
  message: true,
  choices: true,
  default: true,
  schema: true,
  required: true,
};

describe('runbook schema', () => {
  it('is draft-07 with an $id and compiles under the strict ajv instance', () => {
    expect(schema.$schema).to.equal('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).to.be.a('string');
    expect(() => compile(schema)).to.not.throw();
  });

  it('agrees with the model (engine/model.ts)', () => {
    expect(keysOf(schema)).to.deep.equal(Object.keys(DOC_KEYS).sort());
    expect(keysOf(defs.step)).to.deep.equal(Object.keys(STEP_KEYS).sort());
    expect(keysOf(defs.part)).to.deep.equal(Object.keys(PART_KEYS).sort());
    expect(keysOf(defs.inputSpec)).to.deep.equal(Object.keys(INPUT_KEYS).sort());
    expect(keysOf(defs.ask)).to.deep.equal(Object.keys(ASK_KEYS).sort());
  });

  it('has a title and a description on every property, and forbids unknown keys on every object', () => {
    const problems: string[] = [];
    const visit = (s: unknown, where: string) => {
      if (Array.isArray(s)) return s.forEach((x, i) => visit(x, `${where}/${i}`));
      if (!s || typeof s !== 'object') return;
      const node = s as Schema;
      if (node.properties) {
        if (node.additionalProperties !== false) problems.push(`${where}: additionalProperties is not false`);
        for (const [k, p] of Object.entries(node.properties as Record<string, Schema>)) {
          if (!p.title || !p.description) problems.push(`${where}/properties/${k}: missing title or description`);
        }
      }
      // `if` subschemas are conditions on a value, not shapes of one
      for (const [k, v] of Object.entries(node))
        if (k !== 'enum' && k !== 'const' && k !== 'if') visit(v, `${where}/${k}`);
    };
    visit(schema, '#');
    expect(problems).to.deep.equal([]);
  });

  it('accepts each step kind and rejects a step without one', () => {
    const validate = compile(schema);
    const doc = (steps: unknown[]) => ({ irun: 1, id: 'x', title: 'X', parts: [{ id: 'p', steps }] });
    const good = [
      { id: 'a', action: 'core.log', with: { message: 'hi' } },
      {
        id: 'b',
        manual: {
          instructions: 'do it',
          checklist: ['one'],
          ask: { type: 'select', choices: ['x', { value: 'y', name: 'Y' }] },
        },
      },
      { id: 'c', call: 'p' },
      { id: 'd', goto: 'p' },
      {
        id: 'e',
        branch: [
          { if: '{{ x }}', goto: 'a' },
          { if: true, call: 'p' },
        ],
        default: 'a',
      },
      { id: 'f', set: { n: 1 } },
      { id: 'g', end: { status: 'escalated', message: 'bye' } },
      {
        id: 'h',
        forEach: '{{ inputs.xs }}',
        as: 'x',
        concurrency: 4,
        action: 'core.log',
        with: { message: '{{ x }}' },
      },
      {
        id: 'i',
        forEach: [1, 2],
        call: 'p',
        timeout: '5m',
        retry: { attempts: 3, delay: 500, backoff: 2 },
        onError: { goto: 'a' },
      },
    ];
    expect(validate(doc(good)), JSON.stringify(validate.errors)).to.equal(true);
    expect(validate(doc([{ id: 'z', title: 'nothing' }]))).to.equal(false);
    expect(validate(doc([{ id: 'z', forEach: 'x', action: 'a.b', call: 'p' }]))).to.equal(false);
    expect(validate(doc([{ id: 'z', manual: { ask: { type: 'select' } } }]))).to.equal(false); // select needs choices
    expect(validate(doc([{ id: 'Bad_Id', goto: 'p' }]))).to.equal(false);
  });
});
