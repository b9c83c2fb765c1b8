import { readdirSync, readFileSync } from 'node:fs';
import {
  DeleteBucketEncryptionCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import type { ActionDefinition } from '../../engine/plugins/api.js';
import { compile } from '../../engine/schema/ajv.js';
import { isReadOnlyCommand } from '../../plugins/aws-common/index.js';
import { planStatementRemoval } from '../../plugins/aws-s3/bucket-policy.js';
import { exposureVerdict, type ExposureSettings } from '../../plugins/aws-s3/exposure.js';
import { bucketActions } from '../../plugins/aws-s3/index.js';
import { analyzePolicy } from '../../plugins/aws-s3/policy.js';
import { makeCtx, type TestContext } from '../helpers/ctx.js';
import { type BpaConfig } from '../../plugins/aws-common/bpa.js';

const s3Mock = mockClient(S3Client);
const controlMock = mockClient(S3ControlClient);
const stsMock = mockClient(STSClient);

const B = 'example-bucket';
const IN = { bucket: B, region: 'us-east-1' };
const OWNER = 'owner-canonical-id';
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
const ALL_ON: BpaConfig = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const ALL_OFF: BpaConfig = {
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

function awsError(name: string, status = 404, requestId = 'r-1', message = `${name} message`): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { requestId, httpStatusCode: status },
    $fault: 'client',
  });
}

const action = (name: string): ActionDefinition => {
  const a = bucketActions[name];
  if (!a) throw new Error(`no action ${name}`);
  return a;
};

/** Commands that reached the S3 mock and change state. */
function mutatingCalls(): string[] {
  return s3Mock
    .calls()
    .map((c) => c.args[0] as unknown as { constructor: { name: string } })
    .filter((cmd) => !isReadOnlyCommand(cmd))
    .map((cmd) => cmd.constructor.name);
}

async function rejection(p: Promise<unknown>): Promise<IrunError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(IrunError);
    return err as IrunError;
  }
  throw new Error('expected a rejection');
}

/** capture -> run, as the engine does for a mutating step. */
async function apply(name: string, ctx: TestContext, input: Record<string, unknown>) {
  const a = action(name);
  const before = await a.capture!(ctx, input);
  const output = await a.run(ctx, input, before);
  return { before, output, undo: () => a.undo!(ctx, input, before, output) };
}

const PUBLIC_STMT = {
  Sid: 'PublicRead',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${B}/*`,
};
const SIDLESS_PUBLIC = {
  Effect: 'Allow',
  Principal: { AWS: ['*'] },
  Action: 's3:ListBucket',
  Resource: `arn:aws:s3:::${B}`,
};
const VPCE_STMT = {
  Sid: 'FromVpce',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${B}/*`,
  Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b' } },
};
const CROSS_STMT = {
  Sid: 'Partner',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::999988887777:root' },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${B}/*`,
};
const OWN_STMT = {
  Sid: 'Own',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::111122223333:role/app' },
  Action: 's3:*',
  Resource: `arn:aws:s3:::${B}/*`,
};
const DENY_STMT = {
  Sid: 'TLS',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: `arn:aws:s3:::${B}/*`,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const POLICY = {
  Version: '2012-10-17',
  Statement: [PUBLIC_STMT, SIDLESS_PUBLIC, VPCE_STMT, CROSS_STMT, OWN_STMT, DENY_STMT],
};
const POLICY_TEXT = JSON.stringify(POLICY);

describe('aws.s3 bucket actions', () => {
  // reset() installs a fresh stub on the client prototype: doing it before each test keeps this
  // file's mocks in charge whatever other test files ran (or reset theirs) before.
  beforeEach(() => {
    s3Mock.reset();
    controlMock.reset();
    stsMock.reset();
  });

  describe('definitions', () => {
    for (const [name, def] of Object.entries(bucketActions)) {
      it(`${name}: schemas compile, example is valid, metadata complete`, () => {
        expect(name).to.match(/^[a-z][A-Za-z0-9]*$/);
        expect(def.description).to.be.a('string').and.not.empty;
        expect(def.docsUrl).to.match(/^https:\/\//);
        expect(def.permissions).to.be.an('array').that.is.not.empty;
        for (const p of def.permissions) expect(p).to.match(/^s3:[A-Za-z]+$/);
        const validate = compile(def.input);
        compile(def.output);
        expect(validate(def.example), JSON.stringify(validate.errors)).to.equal(true);
        expect((def.input as { additionalProperties?: boolean }).additionalProperties).to.equal(false);
        if (def.effect === 'mutate') {
          for (const fn of ['capture', 'preview', 'undo', 'reversible'] as const)
            expect(def[fn], fn).to.be.a('function');
        }
      });
    }

    it('rejects bad inputs', () => {
      const v = compile(action('putBucketEncryption').input);
      expect(v({ bucket: B, kmsKeyArn: 'alias/my-key' })).to.equal(false);
      expect(v({ bucket: B, extra: 1 })).to.equal(false);
      expect(compile(action('removePublicPolicyStatements').input)({ bucket: B, allowAccounts: ['12'] })).to.equal(
        false,
      );
      expect(
        compile(action('putBucketPolicy').input)({ bucket: B, policy: { Statement: [{ Effect: 'Maybe' }] } }),
      ).to.equal(false);
    });

    it('loads the SDK only inside functions (type-only imports at top level)', () => {
      const files = ['plugins/aws-s3', 'plugins/aws-s3control', 'plugins/aws-common'].flatMap((dir) =>
        readdirSync(new URL(`../../${dir}`, import.meta.url))
          .filter((n) => n.endsWith('.ts'))
          .map((n) => `${dir}/${n}`),
      );
      expect(files).to.include('plugins/aws-s3/public-access-block.ts');
      for (const f of files) {
        const text = readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8');
        const runtime = text
          .split('\n')
          .filter((l) => /^import\s/.test(l) && /@aws-sdk\//.test(l) && !/^import type\s/.test(l));
        expect(runtime, f).to.deep.equal([]);
      }
    });
  });

  describe('read actions', () => {
    it('getBucketLocation maps the location constraint', async () => {
      s3Mock.on(GetBucketLocationCommand).resolvesOnce({ LocationConstraint: 'EU' }).resolvesOnce({});
      const ctx = makeCtx();
      expect(await action('getBucketLocation').run(ctx, { bucket: B }, undefined)).to.deep.equal({
        bucket: B,
        region: 'eu-west-1',
        locationConstraint: 'EU',
      });
      expect(await action('getBucketLocation').run(ctx, { bucket: B }, undefined)).to.deep.equal({
        bucket: B,
        region: 'us-east-1',
        locationConstraint: null,
      });
    });

    it("discovers the bucket's region when the step does not give one", async () => {
      s3Mock.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'ap-southeast-2' });
      s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT });
      const out = await action('getBucketPolicy').run(makeCtx(), { bucket: B }, undefined);
      expect(out.configured).to.equal(true);
      const call = s3Mock.commandCalls(GetBucketPolicyCommand)[0];
      expect(await (call.thisValue as S3Client).config.region()).to.equal('ap-southeast-2');
      expect(s3Mock.commandCalls(GetBucketLocationCommand)[0].args[0].input).to.deep.equal({ Bucket: B });
    });

    it('getBucketPolicy parses the policy; NoSuchBucketPolicy is configured: false', async () => {
      s3Mock
        .on(GetBucketPolicyCommand)
        .resolvesOnce({ Policy: POLICY_TEXT })
        .rejectsOnce(awsError('NoSuchBucketPolicy'));
      const ctx = makeCtx();
      const out = await action('getBucketPolicy').run(ctx, IN, undefined);
      expect(out).to.deep.equal({ bucket: B, configured: true, policy: POLICY, policyText: POLICY_TEXT });
      expect(await action('getBucketPolicy').run(ctx, IN, undefined)).to.deep.equal({
        bucket: B,
        configured: false,
        policy: null,
        policyText: null,
      });
      expect(s3Mock.commandCalls(GetBucketPolicyCommand)[0].args[0].input).to.deep.equal({ Bucket: B });
    });

    it('maps AccessDenied to IRUN_AWS_ACCESS_DENIED with the request id', async () => {
      s3Mock.on(GetBucketPolicyCommand).rejects(awsError('AccessDenied', 403, 'req-42', 'Access Denied'));
      const err = await rejection(action('getBucketPolicy').run(makeCtx(), IN, undefined));
      expect(err.code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect(err.details).to.include({ awsError: 'AccessDenied', requestId: 'req-42', awsMessage: 'Access Denied' });
      expect(err.message).to.contain('req-42');
    });

    const notConfigured: [string, unknown, string, Record<string, unknown>][] = [
      [
        'getBucketPolicyStatus',
        GetBucketPolicyStatusCommand,
        'NoSuchBucketPolicy',
        { configured: false, isPublic: false },
      ],
      [
        'getPublicAccessBlock',
        GetPublicAccessBlockCommand,
        'NoSuchPublicAccessBlockConfiguration',
        { configured: false, config: null },
      ],
      [
        'getBucketOwnershipControls',
        GetBucketOwnershipControlsCommand,
        'OwnershipControlsNotFoundError',
        { configured: false, objectOwnership: null },
      ],
      [
        'getBucketEncryption',
        GetBucketEncryptionCommand,
        'ServerSideEncryptionConfigurationNotFoundError',
        { configured: false, rules: [] },
      ],
      [
        'getObjectLockConfiguration',
        GetObjectLockConfigurationCommand,
        'ObjectLockConfigurationNotFoundError',
        { configured: false, objectLockEnabled: false, rule: null },
      ],
      [
        'getBucketReplication',
        GetBucketReplicationCommand,
        'ReplicationConfigurationNotFoundError',
        { configured: false, role: null, rules: [] },
      ],
      ['getBucketTagging', GetBucketTaggingCommand, 'NoSuchTagSet', { configured: false, tagSet: [], tags: {} }],
    ];
    for (const [name, Cmd, errName, expected] of notConfigured) {
      it(`${name}: ${errName} is a result`, async () => {
        s3Mock.on(Cmd as typeof GetBucketPolicyCommand).rejects(awsError(errName));
        const out = await action(name).run(makeCtx(), IN, undefined);
        expect(out).to.deep.equal({ bucket: B, ...expected });
        expect(compile(action(name).output)(out)).to.equal(true);
      });
    }

    it('reads configured settings as plain JSON', async () => {
      s3Mock.on(GetBucketPolicyStatusCommand).resolves({ PolicyStatus: { IsPublic: true } });
      s3Mock
        .on(GetPublicAccessBlockCommand)
        .resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true } });
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
      s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended', MFADelete: 'Disabled' });
      s3Mock.on(GetBucketEncryptionCommand).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:k' },
              BucketKeyEnabled: true,
            },
          ],
        },
      });
      s3Mock.on(GetObjectLockConfigurationCommand).resolves({
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
        },
      });
      s3Mock.on(GetBucketReplicationCommand).resolves({
        ReplicationConfiguration: {
          Role: 'arn:aws:iam::1:role/r',
          Rules: [{ Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::dst' } }],
        },
      });
      s3Mock.on(GetBucketTaggingCommand).resolves({
        TagSet: [
          { Key: 'owner', Value: "o'brien {{x}}" },
          { Key: '__proto__', Value: 'p' },
        ],
      });
      s3Mock.on(GetBucketAclCommand).resolves({
        Owner: { ID: OWNER },
        Grants: [
          { Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' },
          { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
          { Grantee: { Type: 'CanonicalUser', ID: 'other-account' }, Permission: 'WRITE' },
        ],
      });
      const ctx = makeCtx();
      const run = (n: string) => action(n).run(ctx, IN, undefined);
      expect(await run('getBucketPolicyStatus')).to.deep.equal({ bucket: B, configured: true, isPublic: true });
      expect(await run('getPublicAccessBlock')).to.deep.equal({
        bucket: B,
        configured: true,
        config: { ...ALL_OFF, BlockPublicAcls: true, BlockPublicPolicy: true },
      });
      expect(await run('getBucketOwnershipControls')).to.deep.equal({
        bucket: B,
        configured: true,
        objectOwnership: 'BucketOwnerEnforced',
      });
      expect(await run('getBucketVersioning')).to.deep.equal({ bucket: B, status: 'Suspended', mfaDelete: 'Disabled' });
      expect((await run('getBucketEncryption')).rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID).to.equal(
        'arn:k',
      );
      expect(await run('getObjectLockConfiguration')).to.deep.equal({
        bucket: B,
        configured: true,
        objectLockEnabled: true,
        rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      });
      expect((await run('getBucketReplication')).rules[0].Destination.Bucket).to.equal('arn:aws:s3:::dst');
      const tags = await run('getBucketTagging');
      expect(tags.tags.owner).to.equal("o'brien {{x}}");
      expect(Object.getPrototypeOf(tags.tags)).to.equal(Object.prototype);
      expect(Object.keys(tags.tags)).to.deep.equal(['owner', '__proto__']);
      const acl = await run('getBucketAcl');
      expect(acl.publicGrants).to.deep.equal(['AllUsers READ']);
      expect(acl.crossAccountGrants).to.deep.equal(['id:other-account WRITE']);
      expect(compile(action('getBucketAcl').output)(acl)).to.equal(true);
    });

    it('getBucketVersioning: never enabled is status null', async () => {
      s3Mock.on(GetBucketVersioningCommand).resolves({});
      expect(await action('getBucketVersioning').run(makeCtx(), IN, undefined)).to.deep.equal({
        bucket: B,
        status: null,
        mfaDelete: null,
      });
    });
  });

  describe('putBucketPolicy / deleteBucketPolicy', () => {
    it('puts the policy and undoes to "absent" with DeleteBucketPolicy', async () => {
      const newPolicy = { Version: '2012-10-17', Statement: [DENY_STMT] };
      s3Mock
        .on(GetBucketPolicyCommand)
        .rejectsOnce(awsError('NoSuchBucketPolicy'))
        .resolves({ Policy: JSON.stringify(newPolicy) });
      const ctx = makeCtx();
      const { before, output, undo } = await apply('putBucketPolicy', ctx, { ...IN, policy: newPolicy });
      expect(before).to.deep.equal({ configured: false, policy: null, policyText: null });
      expect(output.changed).to.equal(true);
      expect(s3Mock.commandCalls(PutBucketPolicyCommand)[0].args[0].input).to.deep.equal({
        Bucket: B,
        Policy: JSON.stringify(newPolicy),
        ConfirmRemoveSelfBucketAccess: false,
      });
      expect(ctx.saved.map((s) => s.name)).to.deep.equal(['bucket-policy-before', 'bucket-policy-after']);
      await undo();
      expect(s3Mock.commandCalls(DeleteBucketPolicyCommand)[0].args[0].input).to.deep.equal({ Bucket: B });
    });

    it('sends nothing when the policy is already the same (key order ignored)', async () => {
      s3Mock
        .on(GetBucketPolicyCommand)
        .resolves({ Policy: JSON.stringify({ Statement: [DENY_STMT], Version: '2012-10-17' }) });
      const { output } = await apply('putBucketPolicy', makeCtx(), {
        ...IN,
        policy: { Version: '2012-10-17', Statement: [DENY_STMT] },
      });
      expect(output.changed).to.equal(false);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('deleteBucketPolicy deletes and undo puts the original text back', async () => {
      s3Mock
        .on(GetBucketPolicyCommand)
        .resolvesOnce({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [OWN_STMT] }) })
        .rejects(awsError('NoSuchBucketPolicy'));
      const { output, undo } = await apply('deleteBucketPolicy', makeCtx(), IN);
      expect(output.changed).to.equal(true);
      expect(output.after.configured).to.equal(false);
      await undo();
      expect(s3Mock.commandCalls(PutBucketPolicyCommand)[0].args[0].input.Policy).to.equal(
        JSON.stringify({ Version: '2012-10-17', Statement: [OWN_STMT] }),
      );
    });
  });

  describe('removePublicPolicyStatements', () => {
    it('plans the removal of public statements only, by Sid or sha224', () => {
      const plan = planStatementRemoval(POLICY);
      expect(plan.removed.map((r) => r.id)).to.deep.equal([
        'PublicRead',
        analyzePolicy({ Statement: [SIDLESS_PUBLIC] })[0].id,
      ]);
      expect(plan.removed[1].id).to.match(/^sha224:[0-9a-f]{56}$/);
      expect(plan.result?.Statement).to.deep.equal([VPCE_STMT, CROSS_STMT, OWN_STMT, DENY_STMT]);
    });

    it('puts the remaining statements back, ConfirmRemoveSelfBucketAccess false', async () => {
      s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT });
      const ctx = makeCtx();
      const { output } = await apply('removePublicPolicyStatements', ctx, IN);
      expect(output.changed).to.equal(true);
      expect(output.removed.map((r: { id: string }) => r.id)[0]).to.equal('PublicRead');
      expect(output.kept).to.equal(4);
      expect(output.policyDeleted).to.equal(false);
      const put = s3Mock.commandCalls(PutBucketPolicyCommand)[0].args[0].input;
      expect(put.ConfirmRemoveSelfBucketAccess).to.equal(false);
      expect(JSON.parse(put.Policy!)).to.deep.equal({
        Version: '2012-10-17',
        Statement: [VPCE_STMT, CROSS_STMT, OWN_STMT, DENY_STMT],
      });
      expect(s3Mock.commandCalls(DeleteBucketPolicyCommand)).to.have.length(0);
      expect(compile(action('removePublicPolicyStatements').output)(output)).to.equal(true);
    });

    it('deletes the policy when no statement remains', async () => {
      s3Mock
        .on(GetBucketPolicyCommand)
        .resolvesOnce({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: PUBLIC_STMT }) })
        .rejects(awsError('NoSuchBucketPolicy'));
      const { output } = await apply('removePublicPolicyStatements', makeCtx(), IN);
      expect(output.policyDeleted).to.equal(true);
      expect(output.after).to.deep.equal({ configured: false, policy: null, policyText: null });
      expect(s3Mock.commandCalls(DeleteBucketPolicyCommand)).to.have.length(1);
      expect(s3Mock.commandCalls(PutBucketPolicyCommand)).to.have.length(0);
    });

    it('with alsoCrossAccount removes grants to accounts outside the caller and allowAccounts', async () => {
      s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT });
      stsMock.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
      const { output } = await apply('removePublicPolicyStatements', makeCtx(), { ...IN, alsoCrossAccount: true });
      expect(output.removed.map((r: { id: string }) => r.id)).to.include('Partner');
      const kept = JSON.parse(s3Mock.commandCalls(PutBucketPolicyCommand)[0].args[0].input.Policy!).Statement.map(
        (s: { Sid: string }) => s.Sid,
      );
      expect(kept).to.deep.equal(['FromVpce', 'Own', 'TLS']);

      s3Mock.resetHistory();
      const again = await apply('removePublicPolicyStatements', makeCtx(), {
        ...IN,
        alsoCrossAccount: true,
        allowAccounts: ['999988887777'],
      });
      expect(again.output.removed.map((r: { id: string }) => r.id)).to.not.include('Partner');
    });

    it('changes nothing when no statement is public', async () => {
      s3Mock
        .on(GetBucketPolicyCommand)
        .resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [VPCE_STMT, DENY_STMT] }) });
      const ctx = makeCtx();
      const { output, undo } = await apply('removePublicPolicyStatements', ctx, IN);
      expect(output.changed).to.equal(false);
      expect(await undo()).to.include({ restored: false });
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('preview lists the statements to remove and the resulting policy without sending a change', async () => {
      s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT });
      const ctx = makeCtx();
      const a = action('removePublicPolicyStatements');
      const before = await a.capture!(ctx, IN);
      const plan = await a.preview!(ctx, IN, before);
      expect(plan.noop).to.equal(false);
      expect(plan.summary).to.match(/Remove 2 statements \(PublicRead, sha224:/);
      expect((plan.details as { removed: { id: string }[] }).removed).to.have.length(2);
      expect((plan.after as { Statement: unknown[] }).Statement).to.have.length(4);
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('undo order: policy restore vs Block Public Access', () => {
    /** A stateful bucket: PutBucketPolicy of a public policy fails while BlockPublicPolicy is on. */
    function fakeBucket(initial: { policy: string | null; bpa: BpaConfig | null; accountBlocks?: boolean }) {
      const state = { ...initial };
      s3Mock.on(GetBucketPolicyCommand).callsFake(async () => {
        if (!state.policy) throw awsError('NoSuchBucketPolicy');
        return { Policy: state.policy };
      });
      s3Mock.on(PutBucketPolicyCommand).callsFake(async (input: { Policy: string }) => {
        const isPublic = analyzePolicy(JSON.parse(input.Policy)).some((s) => s.public);
        if (isPublic && (state.bpa?.BlockPublicPolicy || state.accountBlocks)) {
          throw awsError(
            'AccessDenied',
            403,
            'r-bpa',
            'User is not authorized to perform: s3:PutBucketPolicy because public policies are blocked by the BlockPublicPolicy block public access setting.',
          );
        }
        state.policy = input.Policy;
        return {};
      });
      s3Mock.on(DeleteBucketPolicyCommand).callsFake(async () => {
        state.policy = null;
        return {};
      });
      s3Mock.on(GetPublicAccessBlockCommand).callsFake(async () => {
        if (!state.bpa) throw awsError('NoSuchPublicAccessBlockConfiguration');
        return { PublicAccessBlockConfiguration: state.bpa };
      });
      s3Mock.on(PutPublicAccessBlockCommand).callsFake(async (input: { PublicAccessBlockConfiguration: BpaConfig }) => {
        state.bpa = { ...input.PublicAccessBlockConfiguration };
        return {};
      });
      s3Mock.on(DeletePublicAccessBlockCommand).callsFake(async () => {
        state.bpa = null;
        return {};
      });
      return state;
    }

    it('undone in reverse order, Block Public Access is restored first, then the policy', async () => {
      const state = fakeBucket({ policy: POLICY_TEXT, bpa: null });
      const ctx = makeCtx();
      const removal = await apply('removePublicPolicyStatements', ctx, IN);
      const block = await apply('putPublicAccessBlock', ctx, IN);
      expect(state.bpa).to.deep.equal(ALL_ON);
      expect(analyzePolicy(JSON.parse(state.policy!)).some((s) => s.public)).to.equal(false);

      await block.undo();
      expect(state.bpa).to.equal(null);
      await removal.undo();
      expect(state.policy).to.equal(POLICY_TEXT);
    });

    it('undone in the wrong order, the policy undo fails telling to undo Block Public Access first', async () => {
      const state = fakeBucket({ policy: POLICY_TEXT, bpa: { ...ALL_OFF, BlockPublicAcls: true } });
      const ctx = makeCtx();
      const removal = await apply('removePublicPolicyStatements', ctx, IN);
      const block = await apply('putPublicAccessBlock', ctx, IN);
      s3Mock.resetHistory();

      const err = await rejection(removal.undo());
      expect(err.code).to.equal('IRUN_UNDO_BLOCKED');
      expect(err.message).to.match(/Undo the Block Public Access step first/);
      expect(err.message).to.contain('PublicRead');
      expect(s3Mock.commandCalls(PutBucketPolicyCommand)).to.have.length(0);

      // Then the right order still works, and BPA goes back to its old flags (not deleted).
      await block.undo();
      expect(state.bpa).to.deep.equal({ ...ALL_OFF, BlockPublicAcls: true });
      await removal.undo();
      expect(state.policy).to.equal(POLICY_TEXT);
    });

    it('an account-level block found only when writing maps to the same error', async () => {
      const state = fakeBucket({ policy: POLICY_TEXT, bpa: null });
      const ctx = makeCtx();
      const removal = await apply('removePublicPolicyStatements', ctx, IN);
      state.accountBlocks = true;
      const err = await rejection(removal.undo());
      expect(err.code).to.equal('IRUN_UNDO_BLOCKED');
      expect(err.details).to.include({ level: 'account' });
    });
  });

  describe('putBucketAcl', () => {
    const acl = {
      Owner: { ID: OWNER, DisplayName: 'owner' },
      Grants: [
        {
          Grantee: { Type: 'CanonicalUser' as const, ID: OWNER, DisplayName: 'owner' },
          Permission: 'FULL_CONTROL' as const,
        },
        { Grantee: { Type: 'Group' as const, URI: ALL_USERS }, Permission: 'READ' as const },
        { Grantee: { Type: 'Group' as const, URI: LOG_DELIVERY }, Permission: 'WRITE' as const },
        { Grantee: { Type: 'CanonicalUser' as const, ID: 'partner-id' }, Permission: 'READ' as const },
      ],
    };

    it('removes AllUsers grants keeping the owner and other grants, Grantee.Type set; undo restores', async () => {
      s3Mock.on(GetBucketAclCommand).resolves(acl);
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] } });
      const ctx = makeCtx();
      const { output, undo } = await apply('putBucketAcl', ctx, IN);
      expect(output.changed).to.equal(true);
      expect(output.removed).to.deep.equal(['AllUsers READ']);
      const put = s3Mock.commandCalls(PutBucketAclCommand)[0].args[0].input;
      expect(put.AccessControlPolicy!.Owner!.ID).to.equal(OWNER);
      expect(put.AccessControlPolicy!.Grants).to.deep.equal([
        { Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' },
        { Grantee: { Type: 'Group', URI: LOG_DELIVERY }, Permission: 'WRITE' },
        { Grantee: { Type: 'CanonicalUser', ID: 'partner-id' }, Permission: 'READ' },
      ]);
      await undo();
      const restored = s3Mock.commandCalls(PutBucketAclCommand)[1].args[0].input.AccessControlPolicy!;
      expect(restored.Grants).to.have.length(4);
      expect(restored.Grants![1]).to.deep.equal({ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' });
    });

    it('with removeCrossAccount also removes grants to other accounts (unless kept)', async () => {
      s3Mock.on(GetBucketAclCommand).resolves(acl);
      s3Mock.on(GetBucketOwnershipControlsCommand).rejects(awsError('OwnershipControlsNotFoundError'));
      await apply('putBucketAcl', makeCtx(), { ...IN, removeCrossAccount: true });
      expect(
        s3Mock
          .commandCalls(PutBucketAclCommand)[0]
          .args[0].input.AccessControlPolicy!.Grants!.map((g) => g.Grantee!.ID ?? g.Grantee!.URI),
      ).to.deep.equal([OWNER, LOG_DELIVERY]);
      s3Mock.resetHistory();
      await apply('putBucketAcl', makeCtx(), { ...IN, removeCrossAccount: true, keepGrantees: ['partner-id'] });
      expect(s3Mock.commandCalls(PutBucketAclCommand)[0].args[0].input.AccessControlPolicy!.Grants).to.have.length(3);
    });

    it('does nothing when ACLs are disabled (BucketOwnerEnforced)', async () => {
      s3Mock.on(GetBucketAclCommand).resolves(acl);
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
      const ctx = makeCtx();
      const before = await action('putBucketAcl').capture!(ctx, IN);
      expect((await action('putBucketAcl').preview!(ctx, IN, before)).noop).to.equal(true);
      const output = await action('putBucketAcl').run(ctx, IN, before);
      expect(output).to.include({ changed: false, aclsDisabled: true });
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('putPublicAccessBlock / deletePublicAccessBlock', () => {
    it('sets all four flags by default and undoes to "absent" with DeletePublicAccessBlock', async () => {
      s3Mock
        .on(GetPublicAccessBlockCommand)
        .rejectsOnce(awsError('NoSuchPublicAccessBlockConfiguration'))
        .resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const { before, output, undo } = await apply('putPublicAccessBlock', makeCtx(), IN);
      expect(before).to.deep.equal({ configured: false, config: null });
      expect(s3Mock.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input).to.deep.equal({
        Bucket: B,
        PublicAccessBlockConfiguration: ALL_ON,
      });
      expect(output.after).to.deep.equal({ configured: true, config: ALL_ON });
      expect(action('putPublicAccessBlock').reversible!(IN, before, output)).to.equal(true);
      await undo();
      expect(s3Mock.commandCalls(DeletePublicAccessBlockCommand)[0].args[0].input).to.deep.equal({ Bucket: B });
    });

    it('merges requested flags with the current ones and undo restores the old config', async () => {
      const old = { ...ALL_OFF, IgnorePublicAcls: true };
      s3Mock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: old });
      const { undo } = await apply('putPublicAccessBlock', makeCtx(), { ...IN, blockPublicPolicy: true });
      expect(
        s3Mock.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input.PublicAccessBlockConfiguration,
      ).to.deep.equal({ ...old, BlockPublicPolicy: true });
      await undo();
      expect(
        s3Mock.commandCalls(PutPublicAccessBlockCommand)[1].args[0].input.PublicAccessBlockConfiguration,
      ).to.deep.equal(old);
      expect(s3Mock.commandCalls(DeletePublicAccessBlockCommand)).to.have.length(0);
    });

    it('is idempotent', async () => {
      s3Mock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const { output } = await apply('putPublicAccessBlock', makeCtx(), IN);
      expect(output.changed).to.equal(false);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('deletePublicAccessBlock deletes and undo puts the flags back', async () => {
      s3Mock
        .on(GetPublicAccessBlockCommand)
        .resolvesOnce({ PublicAccessBlockConfiguration: ALL_ON })
        .rejects(awsError('NoSuchPublicAccessBlockConfiguration'));
      const { output, undo } = await apply('deletePublicAccessBlock', makeCtx(), IN);
      expect(output).to.deep.include({ changed: true, after: { configured: false, config: null } });
      await undo();
      expect(
        s3Mock.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input.PublicAccessBlockConfiguration,
      ).to.deep.equal(ALL_ON);
    });
  });

  describe('putBucketOwnershipControls', () => {
    it('enforces bucket ownership and undoes to "absent" with DeleteBucketOwnershipControls', async () => {
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .rejectsOnce(awsError('OwnershipControlsNotFoundError'))
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
      s3Mock.on(GetBucketAclCommand).resolves({
        Owner: { ID: OWNER },
        Grants: [{ Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' }],
      });
      const { output, undo } = await apply('putBucketOwnershipControls', makeCtx(), IN);
      expect(s3Mock.commandCalls(PutBucketOwnershipControlsCommand)[0].args[0].input).to.deep.equal({
        Bucket: B,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(output.after).to.deep.equal({ configured: true, objectOwnership: 'BucketOwnerEnforced' });
      await undo();
      expect(s3Mock.commandCalls(DeleteBucketOwnershipControlsCommand)).to.have.length(1);
    });

    it('maps InvalidBucketAclWithObjectOwnership to a clear error naming the grants', async () => {
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
      s3Mock.on(GetBucketAclCommand).resolves({
        Owner: { ID: OWNER },
        Grants: [
          { Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' },
          { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
        ],
      });
      s3Mock
        .on(PutBucketOwnershipControlsCommand)
        .rejects(
          awsError(
            'InvalidBucketAclWithObjectOwnership',
            400,
            'r-9',
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
          ),
        );
      const ctx = makeCtx();
      const a = action('putBucketOwnershipControls');
      const before = await a.capture!(ctx, IN);
      expect((await a.preview!(ctx, IN, before)).summary).to.match(/will fail: the bucket ACL grants AllUsers READ/);
      const err = await rejection(a.run(ctx, IN, before));
      expect(err.code).to.equal('IRUN_OWNERSHIP_ACL_CONFLICT');
      expect(err.message).to.match(/AllUsers READ.*putBucketAcl/);
    });
  });

  describe('putBucketVersioning', () => {
    it('enables versioning; never enabled before means not reversible', async () => {
      s3Mock.on(GetBucketVersioningCommand).resolvesOnce({}).resolves({ Status: 'Enabled' });
      const a = action('putBucketVersioning');
      const { before, output, undo } = await apply('putBucketVersioning', makeCtx(), IN);
      expect(s3Mock.commandCalls(PutBucketVersioningCommand)[0].args[0].input).to.deep.equal({
        Bucket: B,
        VersioningConfiguration: { Status: 'Enabled' },
      });
      expect(a.reversible!(IN, before, output))
        .to.be.a('string')
        .and.match(/never removed/);
      const err = await rejection(undo());
      expect(err.code).to.equal('IRUN_NOT_REVERSIBLE');
      expect(s3Mock.commandCalls(PutBucketVersioningCommand)).to.have.length(1);
    });

    it('undo suspends again when it was suspended before', async () => {
      s3Mock.on(GetBucketVersioningCommand).resolvesOnce({ Status: 'Suspended' }).resolves({ Status: 'Enabled' });
      const { before, output, undo } = await apply('putBucketVersioning', makeCtx(), IN);
      expect(action('putBucketVersioning').reversible!(IN, before, output)).to.equal(true);
      await undo();
      expect(s3Mock.commandCalls(PutBucketVersioningCommand)[1].args[0].input.VersioningConfiguration).to.deep.equal({
        Status: 'Suspended',
      });
    });

    it('changes nothing when already enabled', async () => {
      s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
      const { output } = await apply('putBucketVersioning', makeCtx(), IN);
      expect(output.changed).to.equal(false);
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('putBucketEncryption', () => {
    const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

    it('sets SSE-KMS with the key and bucket key; undo to "absent" is DeleteBucketEncryption', async () => {
      s3Mock
        .on(GetBucketEncryptionCommand)
        .rejectsOnce(awsError('ServerSideEncryptionConfigurationNotFoundError'))
        .resolves({});
      const { undo } = await apply('putBucketEncryption', makeCtx(), { ...IN, kmsKeyArn: KEY });
      expect(s3Mock.commandCalls(PutBucketEncryptionCommand)[0].args[0].input).to.deep.equal({
        Bucket: B,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY },
              BucketKeyEnabled: true,
            },
          ],
        },
      });
      await undo();
      expect(s3Mock.commandCalls(DeleteBucketEncryptionCommand)).to.have.length(1);
    });

    it('undo puts the previous rules back; same rule is a no-op', async () => {
      const old = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }];
      s3Mock.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: old as never } });
      const same = await apply('putBucketEncryption', makeCtx(), { ...IN, sseAlgorithm: 'AES256' });
      expect(same.output.changed).to.equal(false);
      const { undo } = await apply('putBucketEncryption', makeCtx(), { ...IN, kmsKeyArn: KEY });
      await undo();
      expect(
        s3Mock.commandCalls(PutBucketEncryptionCommand)[1].args[0].input.ServerSideEncryptionConfiguration,
      ).to.deep.equal({ Rules: old });
    });

    it('rejects a KMS key with AES256', async () => {
      s3Mock.on(GetBucketEncryptionCommand).resolves({});
      const err = await rejection(
        apply('putBucketEncryption', makeCtx(), { ...IN, sseAlgorithm: 'AES256', kmsKeyArn: KEY }),
      );
      expect(err.code).to.equal('IRUN_INPUT_INVALID');
    });
  });

  describe('dry-run', () => {
    const cases: [string, Record<string, unknown>, () => void][] = [
      [
        'putBucketPolicy',
        { policy: { Version: '2012-10-17', Statement: [DENY_STMT] } },
        () => s3Mock.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy')),
      ],
      ['deleteBucketPolicy', {}, () => s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT })],
      ['removePublicPolicyStatements', {}, () => s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT })],
      [
        'putBucketAcl',
        {},
        () => {
          s3Mock.on(GetBucketAclCommand).resolves({
            Owner: { ID: OWNER },
            Grants: [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }],
          });
          s3Mock.on(GetBucketOwnershipControlsCommand).rejects(awsError('OwnershipControlsNotFoundError'));
        },
      ],
      [
        'putPublicAccessBlock',
        {},
        () => s3Mock.on(GetPublicAccessBlockCommand).rejects(awsError('NoSuchPublicAccessBlockConfiguration')),
      ],
      [
        'deletePublicAccessBlock',
        {},
        () => s3Mock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON }),
      ],
      [
        'putBucketOwnershipControls',
        {},
        () => {
          s3Mock.on(GetBucketOwnershipControlsCommand).rejects(awsError('OwnershipControlsNotFoundError'));
          s3Mock.on(GetBucketAclCommand).resolves({ Owner: { ID: OWNER }, Grants: [] });
        },
      ],
      ['putBucketVersioning', {}, () => s3Mock.on(GetBucketVersioningCommand).resolves({})],
      [
        'putBucketEncryption',
        {},
        () => s3Mock.on(GetBucketEncryptionCommand).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError')),
      ],
    ];

    it('covers every mutating action', () => {
      const mutating = Object.entries(bucketActions)
        .filter(([, d]) => d.effect === 'mutate')
        .map(([n]) => n);
      expect(cases.map((c) => c[0]).sort()).to.deep.equal(mutating.sort());
    });

    for (const [name, extra, setup] of cases) {
      it(`${name}: capture + preview send no change; run() is blocked by the client layer`, async () => {
        setup();
        const ctx = makeCtx({ dryRun: true });
        const a = action(name);
        const input = { ...IN, ...extra };
        const before = await a.capture!(ctx, input);
        const plan = await a.preview!(ctx, input, before);
        expect(plan.summary).to.be.a('string');
        expect(plan.noop).to.equal(false);
        const err = await rejection(a.run(ctx, input, before));
        expect(err.code).to.equal('IRUN_DRY_RUN_BLOCKED');
        expect(mutatingCalls()).to.deep.equal([]);
      });
    }
  });

  describe('exposureSnapshot', () => {
    function publicBucket() {
      s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: POLICY_TEXT });
      s3Mock.on(GetBucketPolicyStatusCommand).resolves({ PolicyStatus: { IsPublic: true } });
      s3Mock.on(GetBucketAclCommand).resolves({
        Owner: { ID: OWNER },
        Grants: [
          { Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' },
          { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
          { Grantee: { Type: 'CanonicalUser', ID: 'partner-id' }, Permission: 'READ' },
        ],
      });
      s3Mock.on(GetPublicAccessBlockCommand).rejects(awsError('NoSuchPublicAccessBlockConfiguration'));
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
      s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled', MFADelete: 'Disabled' });
      s3Mock.on(GetBucketEncryptionCommand).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      });
      s3Mock.on(GetObjectLockConfigurationCommand).rejects(awsError('ObjectLockConfigurationNotFoundError'));
      s3Mock.on(GetBucketReplicationCommand).rejects(awsError('AccessDenied', 403, 'r-repl', 'Access Denied'));
      s3Mock.on(GetBucketTaggingCommand).rejects(awsError('NoSuchTagSet'));
      stsMock.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    }

    it('reads every setting, tolerates not-configured and AccessDenied per setting, and gives the verdict', async () => {
      publicBucket();
      controlMock.on(GetAccountPublicAccessBlockCommand).rejects(awsError('NoSuchPublicAccessBlockConfiguration'));
      const ctx = makeCtx();
      const a = action('exposureSnapshot');
      const out = await a.run(ctx, IN, undefined);
      expect(compile(a.output)(out), JSON.stringify(compile(a.output).errors)).to.equal(true);
      expect(out.public).to.equal(true);
      expect(out.accountId).to.equal('111122223333');
      expect(out.reasons).to.include('S3 reports the bucket policy as public (PolicyStatus.IsPublic)');
      expect(out.reasons.some((r: string) => r.startsWith('policy statement PublicRead'))).to.equal(true);
      expect(out.reasons).to.include('bucket ACL grants READ to AllUsers');
      expect(
        out.reasons.some((r: string) =>
          /off at both bucket and account level: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets/.test(
            r,
          ),
        ),
      ).to.equal(true);
      expect(out.reasons.join('\n')).to.not.contain('FromVpce');
      expect(out.shared).to.deep.equal([
        { source: 'policy', principal: 'arn:aws:iam::999988887777:root', via: 'Partner' },
        { source: 'acl', principal: 'id:partner-id', via: 'READ' },
      ]);
      expect(out.settings.replication.error).to.include({ code: 'IRUN_AWS_ACCESS_DENIED', requestId: 'r-repl' });
      expect(out.unknown).to.deep.equal(['replication: IRUN_AWS_ACCESS_DENIED']);
      expect(out.settings.tags).to.deep.equal({ configured: false, tagSet: [], tags: {} });
      expect(out.settings.objectLock.configured).to.equal(false);
      expect(out.settings.versioning).to.deep.equal({ status: 'Enabled', mfaDelete: 'Disabled' });
      expect(out.settings.accountPublicAccessBlock).to.deep.equal({
        accountId: '111122223333',
        configured: false,
        config: null,
      });
      expect(controlMock.commandCalls(GetAccountPublicAccessBlockCommand)[0].args[0].input).to.deep.equal({
        AccountId: '111122223333',
      });
      expect(ctx.saved.map((s) => s.name)).to.deep.equal(['exposure-snapshot']);
      expect(out.evidence).to.equal(ctx.saved[0].ref.file);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('account-level RestrictPublicBuckets and IgnorePublicAcls make it not public (noted instead)', async () => {
      publicBucket();
      controlMock.on(GetAccountPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const out = await action('exposureSnapshot').run(makeCtx(), { ...IN, accountId: '111122223333' }, undefined);
      expect(out.public).to.equal(false);
      expect(out.reasons).to.deep.equal([]);
      expect(out.notes.some((n: string) => /RestrictPublicBuckets is on at account level/.test(n))).to.equal(true);
      expect(out.notes.some((n: string) => /IgnorePublicAcls is on at account level/.test(n))).to.equal(true);
      expect(stsMock.commandCalls(GetCallerIdentityCommand)).to.have.length(0);
    });

    it('records an account-level read error without failing', async () => {
      publicBucket();
      controlMock.on(GetAccountPublicAccessBlockCommand).rejects(awsError('AccessDenied', 403));
      const out = await action('exposureSnapshot').run(makeCtx(), IN, undefined);
      expect(out.settings.accountPublicAccessBlock.error.code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect(out.public).to.equal(true);
      expect(out.unknown).to.include('account Block Public Access: IRUN_AWS_ACCESS_DENIED');
    });

    it('fails when the bucket does not exist', async () => {
      publicBucket();
      s3Mock.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucket'));
      controlMock.on(GetAccountPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const err = await rejection(action('exposureSnapshot').run(makeCtx(), IN, undefined));
      expect(err.code).to.equal('IRUN_AWS_NO_SUCH_BUCKET');
    });

    it('exposureVerdict: BucketOwnerEnforced disables public ACL grants', () => {
      const settings: ExposureSettings = {
        policy: { configured: false, policy: null, policyText: null },
        policyStatus: { configured: false, isPublic: false },
        acl: { owner: { id: OWNER }, grants: [{ type: 'Group', uri: ALL_USERS, permission: 'READ' }] },
        publicAccessBlock: { configured: false, config: null },
        ownershipControls: { configured: true, objectOwnership: 'BucketOwnerEnforced' },
        versioning: { status: null, mfaDelete: null },
        encryption: { configured: false, rules: [] },
        objectLock: { configured: false, objectLockEnabled: false, rule: null },
        replication: { configured: false, role: null, rules: [] },
        tags: { configured: false, tagSet: [], tags: {} },
        accountPublicAccessBlock: { accountId: '111122223333', configured: true, config: ALL_OFF },
      };
      const v = exposureVerdict(settings, '111122223333');
      expect(v.public).to.equal(false);
      expect(v.notes[0]).to.match(/ACLs are disabled \(BucketOwnerEnforced\)/);
      expect(
        exposureVerdict(
          { ...settings, ownershipControls: { configured: false, objectOwnership: null } },
          '111122223333',
        ).public,
      ).to.equal(true);
    });
  });
});
