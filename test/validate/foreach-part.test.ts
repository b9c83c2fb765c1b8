/** A part run per forEach item: its steps see the item, and may not change AWS state. */
import { expect } from 'chai';
import { validatePaths } from '../../engine/validate/index.js';
import { tempTree } from '../helpers/fs.js';

const doc = (body: string) => `irun: 1
id: fe
title: ForEach over a part
parts:
  - id: main
    steps:
      - { id: each, forEach: ["a", "b"], as: bucket, call: per-item }
  - id: per-item
    steps:
${body}
`;

async function diagnostics(text: string) {
  const t = tempTree({ 'rb.yaml': text });
  try {
    const [r] = await validatePaths([t.file('rb.yaml')], {});
    return r.diagnostics.map((d) => ({ code: d.code, line: d.line, column: d.column }));
  } finally {
    t.cleanup();
  }
}

describe('validate: forEach over a part', () => {
  it('the part may read item, index and the as-name', async () => {
    expect(
      await diagnostics(
        doc('      - { id: say, action: core.log, with: { message: "{{ index }}: {{ bucket }} {{ item }}" } }'),
      ),
    ).to.deep.equal([]);
  });

  it('the as-name is still unknown in other parts', async () => {
    const text =
      doc('      - { id: say, action: core.log, with: { message: "{{ bucket }}" } }') +
      '  - id: other\n    steps:\n      - { id: elsewhere, action: core.log, with: { message: "{{ bucket }}" } }\n';
    const diags = await diagnostics(text);
    expect(diags.map((d) => d.code)).to.include('IRUN_UNKNOWN_REFERENCE');
    expect(diags.find((d) => d.code === 'IRUN_UNKNOWN_REFERENCE')!.line).to.equal(13);
  });

  it('a change inside the part is an error at the action', async () => {
    expect(
      await diagnostics(
        doc('      - { id: fix, action: aws.s3.putPublicAccessBlock, with: { bucket: "{{ bucket }}" } }'),
      ),
    ).to.deep.equal([{ code: 'IRUN_FOREACH_MUTATION', line: 10, column: 28 }]);
  });
});
