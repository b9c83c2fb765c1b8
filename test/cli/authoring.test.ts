import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Registry } from '../../engine/plugins/registry.js';
import { schemaRows, schemaType } from '../../engine/report/actions.js';
import { compile } from '../../engine/schema/ajv.js';
import { tempTree } from '../helpers/fs.js';
import { irun } from './run-cli.js';

describe('irun actions / schema / --help (CLI)', function () {
  this.timeout(120_000);

  it('actions --json: the whole catalogue with effect and permissions', async () => {
    const r = irun(['actions', '--json'], process.cwd());
    expect(r.status, r.stderr).to.equal(0);
    const list = JSON.parse(r.stdout) as {
      id: string;
      namespace: string;
      action: string;
      effect: string;
      permissions: string[];
      description: string;
    }[];
    const all = await new Registry().all();
    expect(list.map((a) => a.id).sort()).to.deep.equal(all.map((a) => a.id).sort());
    for (const a of list) {
      const def = all.find((x) => x.id === a.id)!.def;
      expect(a.effect).to.equal(def.effect);
      expect(a.permissions).to.deep.equal(def.permissions);
      expect(`${a.namespace}.${a.action}`).to.equal(a.id);
      expect(a.description).to.be.a('string').and.not.empty;
    }
  });

  it('actions <id>: input and output fields; an unknown id is IRUN_UNKNOWN_ACTION with a suggestion', () => {
    const r = irun(['actions', 'aws.s3.putPublicAccessBlock', '--json'], process.cwd());
    expect(r.status, r.stderr).to.equal(0);
    const a = JSON.parse(r.stdout) as {
      effect: string;
      input: { fields: { property: string; type: string; required: boolean }[] };
    };
    expect(a.effect).to.equal('mutate');
    expect(a.input.fields.find((f) => f.property === 'bucket')).to.include({ type: 'string', required: true });
    expect(a.input.fields.find((f) => f.property === 'blockPublicAcls')).to.include({
      type: 'boolean',
      required: false,
    });

    const bad = irun(['actions', 'aws.s3.putPublicAccesBlock'], process.cwd());
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include('IRUN_UNKNOWN_ACTION').and.include("did you mean 'aws.s3.putPublicAccessBlock'");
  });

  it('schema --out writes a schema that compiles under strict ajv', () => {
    const t = tempTree();
    try {
      const r = irun(['schema', '--out', 'out/runbook.schema.json'], t.dir);
      expect(r.status, r.stderr).to.equal(0);
      const s = JSON.parse(readFileSync(t.file('out/runbook.schema.json'), 'utf8'));
      delete s.$id; // the in-process tests compile one with this id already
      expect(() => compile(s)).to.not.throw();
      expect(s.definitions['with_aws.s3.putPublicAccessBlock']).to.be.an('object');
    } finally {
      t.cleanup();
    }
  });

  it('every authoring command has --help with examples', () => {
    const r = irun(['graph', '--help'], process.cwd());
    expect(r.status).to.equal(0);
    expect(r.stdout).to.include('EXAMPLES').and.include('--format').and.include('irun graph');
  });

  it('schemaType and schemaRows', () => {
    expect(schemaType({ type: 'integer', minimum: 1 })).to.equal('integer (≥ 1)');
    expect(schemaType({ enum: ['a', 'b'] })).to.equal('"a" | "b"');
    expect(schemaType({ type: 'array', items: { type: 'string' } })).to.equal('string[]');
    expect(schemaType({ anyOf: [{ type: 'string' }, { type: 'null' }] })).to.equal('string | null');
    const rows = schemaRows({
      type: 'object',
      required: ['a'],
      properties: {
        a: { type: 'string', description: 'A.' },
        b: { type: 'object', properties: { c: { type: 'boolean' } } },
        d: { type: 'array', items: { type: 'object', properties: { e: { type: 'number', default: 2 } } } },
      },
    });
    expect(rows.map((r) => [r.property, r.type, r.required, r.description])).to.deep.equal([
      ['a', 'string', true, 'A.'],
      ['b', 'object', false, ''],
      ['b.c', 'boolean', false, ''],
      ['d', 'object[]', false, ''],
      ['d[].e', 'number', false, 'Default: 2.'],
    ]);
  });
});
