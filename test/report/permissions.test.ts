import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunbookFile } from '../../engine/load/index.js';
import type { RunbookDoc } from '../../engine/model.js';
import { PACKAGE_ROOT, Registry } from '../../engine/plugins/registry.js';
import { buildPermissions, MUTATE_SID, READ_SID, type PolicyDocument } from '../../engine/report/permissions.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The shape IAM accepts for an identity policy document (what aws iam create-policy checks first). */
function checkPolicyShape(json: string): PolicyDocument {
  const p = JSON.parse(json) as Record<string, unknown>;
  expect(Object.keys(p).sort()).to.deep.equal(['Statement', 'Version']);
  expect(p.Version).to.equal('2012-10-17');
  expect(p.Statement).to.be.an('array');
  const sids = new Set<string>();
  for (const s of p.Statement as Record<string, unknown>[]) {
    expect(Object.keys(s).sort()).to.deep.equal(['Action', 'Effect', 'Resource', 'Sid']);
    expect(s.Sid)
      .to.be.a('string')
      .and.match(/^[A-Za-z0-9]+$/);
    expect(sids.has(s.Sid as string)).to.equal(false);
    sids.add(s.Sid as string);
    expect(s.Effect).to.equal('Allow');
    expect(s.Resource).to.equal('*');
    const actions = s.Action as string[];
    expect(actions).to.be.an('array').that.is.not.empty;
    for (const a of actions) expect(a).to.match(/^[a-z0-9-]+:[A-Za-z0-9*]+$/);
    expect(actions).to.deep.equal([...new Set(actions)].sort((a, b) => a.localeCompare(b, 'en')));
  }
  expect(json.length).to.be.below(6144); // IAM's managed policy size limit (without whitespace it is smaller still)
  return p as unknown as PolicyDocument;
}

/** Independently: every step's action (forEach bodies included) and its declared permissions. */
async function expected(doc: RunbookDoc, registry: Registry) {
  const read = new Set<string>();
  const all = new Set<string>();
  for (const part of doc.parts) {
    for (const step of part.steps) {
      if (!step.action) continue;
      const a = await registry.require(step.action);
      for (const p of a.def.permissions) {
        all.add(p);
        if (a.def.effect === 'read') read.add(p);
      }
    }
  }
  return { read, all };
}

const union = (p: PolicyDocument) => new Set(p.Statement.flatMap((s) => s.Action));

describe('report/permissions', () => {
  for (const [name, file] of [
    ['the shipped runbook', path.join(PACKAGE_ROOT, 'runbooks/s3-unintended-access.yaml')],
    ['a runbook with forEach bodies', path.join(here, 'fixtures/mini-s3.yaml')],
  ] as const) {
    it(`${name}: exactly the union of its actions' permissions, reads and changes apart`, async () => {
      const registry = new Registry();
      const doc = (await loadRunbookFile(file)).doc!;
      const want = await expected(doc, registry);
      const full = await buildPermissions(doc, registry);
      const policy = checkPolicyShape(JSON.stringify(full.policy, null, 2));
      expect([...union(policy)].sort()).to.deep.equal([...want.all].sort());
      expect(policy.Statement.map((s) => s.Sid)).to.deep.equal([READ_SID, MUTATE_SID]);
      expect(policy.Statement[0].Action).to.deep.equal([...want.read].sort((a, b) => a.localeCompare(b, 'en')));
      // each IAM action once
      expect(policy.Statement.flatMap((s) => s.Action)).to.have.length(want.all.size);

      const ro = checkPolicyShape(JSON.stringify((await buildPermissions(doc, registry, { readOnly: true })).policy));
      expect(ro.Statement.map((s) => s.Sid)).to.deep.equal([READ_SID]);
      expect([...union(ro)].sort()).to.deep.equal([...want.read].sort());
      expect(full.unknown).to.deep.equal([]);
    });
  }

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
    expect(r.policy.Statement.map((s) => s.Sid)).to.deep.equal([MUTATE_SID]);
    expect(r.policy.Statement[0].Action).to.include('iam:UpdateAccessKey').and.not.include('s3:PutBucketVersioning');
    expect(r.actions.map((a) => a.id)).to.deep.equal(['aws.iam.updateAccessKey']);
  });
});
