import { Ajv } from 'ajv';
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunbookFile } from '../../engine/load/index.js';
import type { RunbookDoc } from '../../engine/model.js';
import { PACKAGE_ROOT, Registry } from '../../engine/plugins/registry.js';
import { buildPermissions, type PolicyDocument } from '../../engine/report/permissions.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * IAM's JSON policy grammar for an identity-based policy (the IAM User Guide's "grammar of the
 * IAM JSON policy language"), as a JSON schema: Version, a statement or a list of them, each
 * with an effect, exactly one of Action/NotAction and one of Resource/NotResource.
 */
const ACTION = { type: 'string', pattern: '^(\\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$' };
const RESOURCE = {
  type: 'string',
  pattern: '^(\\*|arn:(\\*|aws|aws-cn|aws-us-gov):[a-z0-9*-]*:[a-z0-9*-]*:([0-9]{12}|\\*)?:.+)$',
};
const oneOrMany = (item: object) => ({ anyOf: [item, { type: 'array', items: item, minItems: 1 }] });
const IAM_POLICY_GRAMMAR = {
  type: 'object',
  required: ['Version', 'Statement'],
  additionalProperties: false,
  properties: {
    Version: { enum: ['2012-10-17', '2008-10-17'] },
    Id: { type: 'string' },
    Statement: oneOrMany({
      type: 'object',
      required: ['Effect'],
      additionalProperties: false,
      properties: {
        Sid: { type: 'string', pattern: '^[A-Za-z0-9]*$' },
        Effect: { enum: ['Allow', 'Deny'] },
        Action: oneOrMany(ACTION),
        NotAction: oneOrMany(ACTION),
        Resource: oneOrMany(RESOURCE),
        NotResource: oneOrMany(RESOURCE),
        Condition: { type: 'object' },
      },
      oneOf: [
        { required: ['Action'], not: { required: ['NotAction'] } },
        { required: ['NotAction'], not: { required: ['Action'] } },
      ],
      allOf: [
        {
          oneOf: [
            { required: ['Resource'], not: { required: ['NotResource'] } },
            { required: ['NotResource'], not: { required: ['Resource'] } },
          ],
        },
      ],
    }),
  },
};
const grammar = new Ajv({ allErrors: true, strict: false }).compile(IAM_POLICY_GRAMMAR);

function checkGrammar(policy: PolicyDocument): void {
  const text = JSON.stringify(policy);
  expect(grammar(JSON.parse(text)), JSON.stringify(grammar.errors)).to.equal(true);
  const sids = policy.Statement.map((s) => s.Sid);
  expect(new Set(sids).size).to.equal(sids.length);
  expect(text.length).to.be.below(6144); // IAM's managed policy size limit
}

/**
 * IAM write actions by verb, written out independently of the engine's classification: what an
 * investigation-only policy must never contain.
 */
const WRITE_VERBS =
  /^(Put|Create|Delete|Update|Attach|Detach|Remove|Add|Set|Tag|Untag|Enable|Disable|Start|Stop|Modify|Revoke|Restore|Reset|Replace|Associate|Disassociate|Run|Terminate|Upload|Change|Cancel|Pass|Abort|Copy|Send|Invoke|Import|Export|Apply|Batch(?!Get)|Assume)/;
const isWrite = (p: string) => WRITE_VERBS.test(p.slice(p.indexOf(':') + 1));

/** Independently: every step's action (forEach bodies included) and its declared permissions. */
async function declared(doc: RunbookDoc, registry: Registry) {
  const read = new Set<string>();
  const all = new Set<string>();
  for (const part of doc.parts)
    for (const step of part.steps) {
      if (!step.action) continue;
      const a = await registry.require(step.action);
      for (const p of a.def.permissions) {
        all.add(p);
        if (a.def.effect === 'read') read.add(p);
      }
    }
  return { read, all };
}

const actionsOf = (p: PolicyDocument) => new Set(p.Statement.flatMap((s) => s.Action));
const resourcesOf = (p: PolicyDocument, action: string) =>
  p.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);

describe('report/permissions', () => {
  for (const [name, file] of [
    ['the shipped runbook', path.join(PACKAGE_ROOT, 'runbooks/s3-unintended-access.yaml')],
    ['a runbook with forEach bodies', path.join(here, 'fixtures/mini-s3.yaml')],
  ] as const) {
    it(`${name}: every declared permission, in IAM's policy grammar; --read-only has no write`, async () => {
      const registry = new Registry();
      const doc = (await loadRunbookFile(file)).doc!;
      const want = await declared(doc, registry);
      const full = await buildPermissions(doc, registry);
      checkGrammar(full.policy);
      expect([...actionsOf(full.policy)].sort()).to.deep.equal([...want.all].sort());
      expect(full.unknown).to.deep.equal([]);

      const ro = await buildPermissions(doc, registry, { readOnly: true });
      checkGrammar(ro.policy);
      const roActions = [...actionsOf(ro.policy)];
      expect(roActions.filter(isWrite), 'write actions in the read-only policy').to.deep.equal([]);
      expect(
        roActions.filter((p) => !want.read.has(p)),
        'permissions of no read action',
      ).to.deep.equal([]);
      // every read permission that is not a write is there; the writes are listed as left out
      expect(roActions.sort()).to.deep.equal([...want.read].filter((p) => !isWrite(p)).sort());
      for (const p of [...want.read].filter(isWrite)) expect(ro.excluded.map((x) => x.permission)).to.include(p);
    });
  }

  it('scopes S3 and IAM statements to the resource types and ARNs the runbook names; * only with a reason', async () => {
    const registry = new Registry();
    const doc = (await loadRunbookFile(path.join(PACKAGE_ROOT, 'runbooks/s3-unintended-access.yaml'))).doc!;
    const r = await buildPermissions(doc, registry);
    // the buckets of the shipped runbook are found at run time (inputs and discoveries): any bucket, not any resource
    for (const a of ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:PutBucketPublicAccessBlock'])
      expect(resourcesOf(r.policy, a), a).to.deep.equal(['arn:aws:s3:::*']);
    expect(resourcesOf(r.policy, 'iam:UpdateAccessKey')).to.deep.equal(['arn:aws:iam::*:user/*']);
    for (const s of r.policy.Statement)
      for (const res of s.Resource)
        if (res.includes('*'))
          for (const a of s.Action)
            expect(
              r.notes.some((n) => n.permission === a && n.resource === res),
              `${a} on ${res} without a reason`,
            ).to.equal(true);
    const mutations = r.policy.Statement.filter((s) => s.Sid.startsWith('IrunRunbookMutate'));
    const anywhere = mutations.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    const required = (a: string) => r.notes.some((n) => n.permission === a && /IAM requires "\*"/.test(n.note));
    expect(anywhere.filter((a) => (a.startsWith('s3:Put') || a.startsWith('iam:')) && !required(a))).to.deep.equal([]);
    expect(anywhere).to.include('s3:PutAccountPublicAccessBlock'); // an account setting: "*" is all IAM takes
  });

  it('an input becomes ${name} with a note, or its value with --input', async () => {
    const doc = {
      irun: 1 as const,
      id: 'x',
      title: 'x',
      inputs: { bucket: { type: 'string' } },
      parts: [
        {
          id: 'p',
          steps: [{ id: 'pol', action: 'aws.s3.putBucketPolicy', with: { bucket: '{{ inputs.bucket }}', policy: {} } }],
        },
      ],
    } as unknown as RunbookDoc;
    const r = await buildPermissions(doc, new Registry());
    checkGrammar(r.policy);
    expect(resourcesOf(r.policy, 's3:PutBucketPolicy')).to.deep.equal(['arn:aws:s3:::${bucket}']);
    expect(r.notes.some((n) => n.resource === 'arn:aws:s3:::${bucket}' && /input 'bucket'/.test(n.note))).to.equal(
      true,
    );
    const given = await buildPermissions(doc, new Registry(), { inputs: { bucket: 'acme-data' } });
    checkGrammar(given.policy);
    expect(resourcesOf(given.policy, 's3:PutBucketPolicy')).to.deep.equal(['arn:aws:s3:::acme-data']);
    expect(JSON.stringify(given.policy)).to.not.include('${');
  });

  it('literal names become exact ARNs: buckets, objects under them, users and roles', async () => {
    const doc = {
      irun: 1 as const,
      id: 'x',
      title: 'x',
      inputs: { role: { type: 'string' } },
      parts: [
        {
          id: 'p',
          steps: [
            { id: 'acl', action: 'aws.s3.putObjectAcl', with: { bucket: 'b1', key: 'k/1' } },
            { id: 'keys', action: 'aws.iam.listAccessKeys', with: { userName: 'alice' } },
            { id: 'role', action: 'aws.iam.getRole', with: { roleName: '{{ inputs.role }}' } },
          ],
        },
      ],
    } as unknown as RunbookDoc;
    const r = await buildPermissions(doc, new Registry(), { roleArn: 'arn:aws:iam::111122223333:role/ir' });
    checkGrammar(r.policy);
    expect(resourcesOf(r.policy, 's3:PutObjectAcl')).to.deep.equal(['arn:aws:s3:::b1/k/1']);
    expect(resourcesOf(r.policy, 'iam:ListAccessKeys')).to.deep.equal(['arn:aws:iam::*:user/alice']);
    expect(resourcesOf(r.policy, 'iam:GetRole')).to.deep.equal(['arn:aws:iam::*:role/${role}']);
    expect(resourcesOf(r.policy, 'sts:AssumeRole')).to.deep.equal(['arn:aws:iam::111122223333:role/ir']);
    const without = await buildPermissions(doc, new Registry());
    expect(actionsOf(without.policy).has('sts:AssumeRole')).to.equal(false);
  });

  it('forEach bodies count; unreachable steps and unknown actions do not', async () => {
    const doc = {
      irun: 1 as const,
      id: 'x',
      title: 'x',
      parts: [
        {
          id: 'p',
          steps: [
            { id: 'each', forEach: '{{ inputs.keys }}', action: 'aws.iam.updateAccessKey', with: {} },
            { id: 'stop', end: { status: 'resolved' as const } },
            { id: 'orphan', action: 'aws.s3.putBucketVersioning', with: {} },
          ],
        },
        { id: 'q', steps: [{ id: 'nope', action: 'aws.s3.noSuchAction' }] },
      ],
    };
    const r = await buildPermissions(doc, new Registry());
    expect([...actionsOf(r.policy)])
      .to.include('iam:UpdateAccessKey')
      .and.not.include('s3:PutBucketVersioning');
    expect(r.actions.map((a) => a.id)).to.deep.equal(['aws.iam.updateAccessKey']);
  });
});
