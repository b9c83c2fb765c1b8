/** `approve: auto` on a change: a written reason is required, and every such change is listed. */
import { expect } from 'chai';
import type { Diagnostic } from '../../engine/diagnostics.js';
import { Codes } from '../../engine/errors.js';
import { parseRunbook } from '../../engine/load/index.js';
import { defineAction, definePlugin } from '../../engine/plugins/api.js';
import { Registry } from '../../engine/plugins/registry.js';
import { validateRunbook } from '../../engine/validate/index.js';
import { irun } from '../cli/helpers.js';
import { dedent, tempTree } from '../helpers/fs.js';

function registry(): Registry {
  const r = new Registry({ builtins: false });
  const action = (effect: 'read' | 'mutate') =>
    defineAction({
      description: `a ${effect} action`,
      effect,
      permissions: [],
      input: { type: 'object', properties: { key: { type: 'string' } } },
      output: {},
      run: async () => ({}),
    });
  r.addPack(definePlugin({ namespace: 'demo', actions: { tag: action('mutate'), look: action('read') } }));
  return r;
}

const RUNBOOK = dedent`
  irun: 1
  id: t
  title: T
  parts:
    - id: main
      steps:
        - id: look
          action: demo.look
          approve: auto
        - id: tag-quietly
          action: demo.tag
          approve: auto
        - id: tag-reasoned
          action: demo.tag
          approve: auto
          reason: Tags only mark the bucket as under investigation; they change no access.
        - id: tag-each
          forEach: ["a", "b"]
          action: demo.tag
          with: { key: "{{ item }}" }
          approve: auto
          reason: Marking each key changes no access.
        - id: tag-asked
          action: demo.tag
`;

const brief = (ds: Diagnostic[]) => ds.map((d) => `${d.line} ${d.severity} ${d.code}`);

describe('validate: auto-approved changes', () => {
  it('a change with approve: auto and no reason is an error; each reasoned one is listed as a warning', async () => {
    const ds = await validateRunbook(parseRunbook(RUNBOOK, 't.yaml'), { registry: registry() });
    expect(brief(ds)).to.deep.equal([
      `12 error ${Codes.AUTO_APPROVE_REASON}`,
      `15 warning ${Codes.AUTO_APPROVED}`,
      `21 warning ${Codes.AUTO_APPROVED}`,
    ]);
    expect(ds[1].message).to.include(
      'auto-approved by the runbook: Tags only mark the bucket as under investigation; they change no access.',
    );
    expect(ds[2].message).to.include("every item of forEach step 'tag-each'");
  });

  it('with reasons only, validate passes, and --strict fails listing every auto-approved change', async () => {
    const text = dedent`
      irun: 1
      id: t
      title: T
      parts:
        - id: main
          steps:
            - id: look
              action: aws.s3.getBucketPolicy
              with: { bucket: my-bucket }
              approve: auto
            - id: tag-reasoned
              action: aws.s3.putPublicAccessBlock
              with: { bucket: my-bucket }
              approve: auto
              reason: Tags only mark the bucket as under investigation; they change no access.
            - id: tag-each
              forEach: ["bucket-a", "bucket-b"]
              action: aws.s3.putPublicAccessBlock
              with: { bucket: "{{ item }}" }
              approve: auto
              reason: Marking each key changes no access.
            - id: tag-asked
              action: aws.s3.putPublicAccessBlock
              with: { bucket: my-bucket }
    `;
    const t = tempTree({ 'auto.yaml': text });
    try {
      const loose = irun(['validate', 'auto.yaml'], { cwd: t.dir });
      expect(loose.code, loose.stdout + loose.stderr).to.equal(0);
      const strict = irun(['validate', 'auto.yaml', '--strict'], { cwd: t.dir });
      expect(strict.code, strict.stdout).to.equal(1);
      const listed = strict.stdout.split('\n').filter((l) => l.includes(Codes.AUTO_APPROVED));
      expect(listed).to.have.length(2);
      expect(listed[0]).to.include("step 'tag-reasoned'").and.include('auto-approved by the runbook: Tags only');
      expect(listed[1]).to.include("forEach step 'tag-each'");
    } finally {
      t.cleanup();
    }
  });
});
