/** Typed output paths: `steps.X.output...` checked against X's output schema at validate time. */
import { expect } from 'chai';
import { validatePaths } from '../../engine/validate/index.js';
import { walkSchema } from '../../engine/validate/outputs.js';
import { dedent, tempTree } from '../helpers/fs.js';
import { PACKAGE_ROOT } from '../../engine/util/paths.js';
import path from 'node:path';

const RUNBOOK = (message: string, extra = '') => dedent`
  irun: 1
  id: t
  title: T
  parts:
    - id: p
      steps:
        - id: who
          action: aws.iam.listAccessKeys
          with: { userName: alice }
          outputs: { first: "{{ first result.accessKeys }}" }
        - id: each
          forEach: "{{ steps.who.output.accessKeys }}"
          action: aws.iam.getAccessKeyLastUsed
          with: { accessKeyId: "{{ item.AccessKeyId }}" }
        - id: say
          action: core.log
          with: { message: "${message}" }
  ${extra}`;

async function codes(message: string) {
  const t = tempTree({ 'rb.yaml': RUNBOOK(message) });
  try {
    const [r] = await validatePaths([t.file('rb.yaml')]);
    return r.diagnostics.map((d) => `${d.code} ${d.message}`);
  } finally {
    t.cleanup();
  }
}

describe('validate: typed output paths', () => {
  it('a typo in an output path is an error with did-you-mean', async () => {
    const diags = await codes('user is {{ steps.who.output.usrName }}');
    expect(diags).to.have.length(1);
    expect(diags[0]).to.match(/^IRUN_OUTPUT_PATH .*has no 'usrName'.*did you mean 'userName'/);
  });

  it('checks nested fields, list items, forEach outputs and declared outputs:', async () => {
    expect(
      await codes('{{ steps.who.output.accessKeys.[0].AccessKeyId }} {{ length steps.who.output.accessKeys }}'),
    ).to.deep.equal([]);
    expect((await codes('{{ steps.who.output.accessKeys.[0].KeyId }}'))[0]).to.match(/has no 'KeyId'/);
    expect(await codes('{{ steps.who.outputs.first }} {{ steps.each.output.[0] }}')).to.deep.equal([]);
    expect((await codes('{{ steps.who.outputs.frist }}'))[0]).to.match(
      /publishes no output 'frist'.*did you mean 'first'/,
    );
    expect((await codes('{{ steps.each.output.name }}'))[0]).to.match(/IRUN_OUTPUT_PATH/);
  });

  it('the shipped runbooks still validate', async () => {
    const results = await validatePaths([path.join(PACKAGE_ROOT, 'runbooks')]);
    for (const r of results) expect(r.diagnostics, r.file).to.deep.equal([]);
  });

  it('stops where the schema does not say what is there', () => {
    expect(walkSchema({ type: 'object' }, ['a', 'b']).ok).to.equal(true);
    expect(walkSchema({ type: 'object', additionalProperties: { type: 'string' } }, ['k']).ok).to.equal(true);
    expect(walkSchema({ anyOf: [{ type: 'object', properties: { a: {} } }, { type: 'null' }] }, ['a']).ok).to.equal(
      true,
    );
    expect(walkSchema({ type: 'object', properties: { a: { type: 'string' } } }, ['a', 'b']).ok).to.equal(false);
  });
});
