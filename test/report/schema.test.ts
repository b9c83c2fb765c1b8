import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRunbookFile } from '../../engine/load/index.js';
import type { RunbookDoc, Step } from '../../engine/model.js';
import { PACKAGE_ROOT, Registry } from '../../engine/plugins/registry.js';
import { actionInfo } from '../../engine/report/actions.js';
import { allowTemplates, enrichRunbookSchema, withKey } from '../../engine/report/schema.js';
import { compile, type ValidateFunction } from '../../engine/schema/ajv.js';

const CORE = path.join(PACKAGE_ROOT, 'schemas/runbook.schema.json');

describe('report/schema: runbook schema enriched with action inputs', () => {
  let validate: ValidateFunction;
  let schema: Record<string, any>;
  let shipped: RunbookDoc;
  let ids: string[];

  before(async () => {
    const core = JSON.parse(readFileSync(CORE, 'utf8'));
    const actions = (await new Registry().all()).map(actionInfo);
    ids = actions.map((a) => a.id);
    schema = enrichRunbookSchema(core, actions) as Record<string, any>;
    validate = compile(schema); // the shared strict ajv: throws if the schema is not valid
    shipped = (await loadRunbookFile(path.join(PACKAGE_ROOT, 'runbooks/s3-unintended-access.yaml'))).doc!;
    // the core schema is left alone
    expect(JSON.parse(readFileSync(CORE, 'utf8'))).to.deep.equal(core);
    expect(core.definitions[withKey('aws.s3.getBucketPolicy')]).to.equal(undefined);
  });

  const clone = (d: RunbookDoc) => structuredClone(d);
  const stepOf = (d: RunbookDoc, action: string): Step =>
    d.parts.flatMap((p) => p.steps).find((s) => s.action === action && s.with && typeof s.with === 'object')!;

  it('has one input definition and one if/then per installed action, and offers the ids', () => {
    for (const id of ids) expect(schema.definitions[withKey(id)], id).to.be.an('object');
    const conds = (schema.definitions.step.allOf as any[]).filter((x) => x.if?.properties?.action?.const);
    expect(conds.map((c) => c.if.properties.action.const).sort()).to.deep.equal([...ids].sort());
    expect([...schema.definitions.step.properties.action.examples].sort()).to.deep.equal([...ids].sort());
  });

  it('validates the shipped runbook and the test fixtures', async () => {
    expect(validate(shipped), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true);
    const mini = (await loadRunbookFile(path.join(PACKAGE_ROOT, 'test/report/fixtures/mini-s3.yaml'))).doc!;
    expect(validate(mini), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true);
  });

  it('rejects an unknown with: key of a real action, at that step', () => {
    const d = clone(shipped);
    const step = stepOf(d, 'aws.s3.putPublicAccessBlock');
    (step.with as Record<string, unknown>).bucktet = 'x';
    expect(validate(d)).to.equal(false);
    const err = validate.errors!.find(
      (e) => e.keyword === 'additionalProperties' && (e.params as any).additionalProperty === 'bucktet',
    );
    expect(err).to.exist;
    expect(err!.schemaPath).to.include(withKey('aws.s3.putPublicAccessBlock'));
  });

  it('rejects a literal of the wrong type, but accepts a template in its place', () => {
    const d = clone(shipped);
    const step = stepOf(d, 'aws.s3.putPublicAccessBlock');
    (step.with as Record<string, unknown>).blockPublicAcls = 'yes';
    expect(validate(d)).to.equal(false);
    expect(validate.errors!.some((e) => /blockPublicAcls$/.test(e.instancePath) && e.keyword === 'type')).to.equal(
      true,
    );
    (step.with as Record<string, unknown>).blockPublicAcls = '{{ inputs.block }}';
    expect(validate(d), JSON.stringify(validate.errors?.slice(0, 3))).to.equal(true);
  });

  it('rejects a missing required input of a real action', () => {
    const d = clone(shipped);
    const step = stepOf(d, 'aws.iam.updateAssumeRolePolicy') ?? stepOf(d, 'aws.s3.putPublicAccessBlock');
    const required = ((schema.definitions[withKey(step.action!)] as any).required ?? []) as string[];
    expect(required).to.not.be.empty;
    delete (step.with as Record<string, unknown>)[required[0]];
    expect(validate(d)).to.equal(false);
    expect(
      validate.errors!.some((e) => e.keyword === 'required' && (e.params as any).missingProperty === required[0]),
    ).to.equal(true);
  });

  it('allowTemplates: values anywhere accept a template, the structure stays checked', () => {
    const s = allowTemplates({
      type: 'object',
      properties: { n: { type: 'integer' }, xs: { type: 'array', items: { type: 'boolean' } } },
      additionalProperties: false,
    }) as any;
    expect(s.properties.n.anyOf[1]).to.deep.equal({ type: 'integer' });
    expect(s.properties.xs.anyOf[1].items.anyOf[1]).to.deep.equal({ type: 'boolean' });
    expect(s.additionalProperties).to.equal(false);
  });
});
