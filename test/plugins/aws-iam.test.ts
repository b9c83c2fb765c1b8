import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IrunError } from '../../engine/errors.js';
import type { ActionDefinition } from '../../engine/plugins/api.js';
import pack, {
  DENY_ALL_DOCUMENT,
  DENY_ALL_TRUST_DOCUMENT,
  revokeSessionsDocument,
} from '../../plugins/aws-iam/index.js';
import { makeCtx, type TestContext } from '../helpers/ctx.js';

let iam = mockClient(IAMClient);
const a = pack.actions;
const KEY = 'AKIAIOSFODNN7EXAMPLE';
const MUTATING = [
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  DetachRolePolicyCommand,
  AttachRolePolicyCommand,
  PutRolePolicyCommand,
  DeleteRolePolicyCommand,
];

function awsError(name: string, requestId = 'r-1', status = 403): Error {
  return Object.assign(new Error(`${name} message`), {
    name,
    $metadata: { requestId, httpStatusCode: status },
    $fault: 'client',
  });
}
// On the wire IAM says <Code>NoSuchEntity</Code>; the SDK keeps it as `Code` on the exception
// (checked against a local server below).
const noSuchEntity = () =>
  Object.assign(
    new NoSuchEntityException({
      message: 'The role cannot be found.',
      $metadata: { requestId: 'r-404', httpStatusCode: 404 },
    }),
    { Code: 'NoSuchEntity' },
  );

/** capture → run, the way the engine drives a mutating action. */
async function apply(action: ActionDefinition, ctx: TestContext, input: unknown) {
  const before = await action.capture!(ctx, input);
  const output = await action.run(ctx, input, before);
  return { before, output };
}

function mutatingCalls(): number {
  // Every call that reached the mock, filtered by command class.
  return iam.calls().filter((call) => MUTATING.some((C) => call.args[0] instanceof C)).length;
}

const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const role = (over: Record<string, unknown> = {}) => ({
  Role: {
    RoleName: 'app-role',
    Arn: 'arn:aws:iam::111122223333:role/app-role',
    Path: '/',
    RoleId: 'AROAEXAMPLE',
    CreateDate: new Date('2024-01-02T03:04:05Z'),
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)),
    RoleLastUsed: { LastUsedDate: new Date('2024-05-01T00:00:00Z'), Region: 'us-east-1' },
    ...over,
  },
});

describe('aws.iam', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => iam.reset());

  it('a real IAM NoSuchEntity answer (local server, real deserializer) is not configured', async () => {
    iam.restore();
    const server = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/xml', 'x-amzn-requestid': 'rid-1' });
      res.end(
        '<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name ghost cannot be found.</Message></Error><RequestId>rid-1</RequestId></ErrorResponse>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    try {
      const { port } = server.address() as AddressInfo;
      const ctx = makeCtx({ aws: { region: 'us-east-1', endpointUrl: `http://127.0.0.1:${port}`, maxAttempts: 1 } });
      expect(await a.getRole.run(ctx, { roleName: 'ghost' }, undefined)).to.deep.equal({
        configured: false,
        roleName: 'ghost',
      });
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      server.close();
      iam = mockClient(IAMClient);
    }
  });

  describe('access keys', () => {
    it('listAccessKeys follows Marker across pages and returns ISO dates', async () => {
      iam
        .on(ListAccessKeysCommand)
        .resolvesOnce({
          AccessKeyMetadata: [
            { AccessKeyId: 'AKIA1', Status: 'Active', UserName: 'alice', CreateDate: new Date('2024-01-01T00:00:00Z') },
          ],
          IsTruncated: true,
          Marker: 'm1',
        })
        .resolvesOnce({
          AccessKeyMetadata: [{ AccessKeyId: 'AKIA2', Status: 'Inactive', UserName: 'alice' }],
          IsTruncated: false,
        });
      const out = await a.listAccessKeys.run(makeCtx(), { userName: 'alice' }, undefined);
      expect(out.configured).to.equal(true);
      expect(out.accessKeys.map((k: { AccessKeyId: string }) => k.AccessKeyId)).to.deep.equal(['AKIA1', 'AKIA2']);
      expect(out.accessKeys[0].CreateDate).to.equal('2024-01-01T00:00:00.000Z');
      expect(iam.commandCalls(ListAccessKeysCommand)).to.have.length(2);
      expect(iam.commandCalls(ListAccessKeysCommand)[1].args[0].input).to.include({ UserName: 'alice', Marker: 'm1' });
    });

    it('listAccessKeys of an unknown user is not configured', async () => {
      iam.on(ListAccessKeysCommand).rejects(noSuchEntity());
      const out = await a.listAccessKeys.run(makeCtx(), { userName: 'ghost' }, undefined);
      expect(out).to.include({ configured: false });
      expect(out.accessKeys).to.deep.equal([]);
    });

    it('getAccessKeyLastUsed returns the owner and the last use', async () => {
      iam.on(GetAccessKeyLastUsedCommand).resolves({
        UserName: 'alice',
        AccessKeyLastUsed: { LastUsedDate: new Date('2024-05-06T07:08:09Z'), ServiceName: 's3', Region: 'eu-west-1' },
      });
      const out = await a.getAccessKeyLastUsed.run(makeCtx(), { accessKeyId: KEY }, undefined);
      expect(out).to.deep.equal({
        accessKeyId: KEY,
        userName: 'alice',
        lastUsed: { LastUsedDate: '2024-05-06T07:08:09.000Z', ServiceName: 's3', Region: 'eu-west-1' },
      });
    });

    it('disableAccessKey finds the owner, always passes UserName, and undo re-activates', async () => {
      iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'alice' });
      iam
        .on(ListAccessKeysCommand)
        .resolvesOnce({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Active', UserName: 'alice' }] })
        .resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Inactive', UserName: 'alice' }] });
      iam.on(UpdateAccessKeyCommand).resolves({});
      const ctx = makeCtx();
      const { before, output } = await apply(a.disableAccessKey, ctx, { accessKeyId: KEY });
      expect(before).to.include({ userName: 'alice', status: 'Active' });
      expect(iam.commandCalls(UpdateAccessKeyCommand)[0].args[0].input).to.deep.equal({
        UserName: 'alice',
        AccessKeyId: KEY,
        Status: 'Inactive',
      });
      expect(output).to.include({ changed: true, status: 'Inactive' });
      expect(ctx.saved.map((s) => s.name)).to.deep.equal(['access-key-before', 'access-key-after']);
      expect(a.disableAccessKey.reversible!({ accessKeyId: KEY }, before, output)).to.equal(true);
      await a.disableAccessKey.undo!(ctx, { accessKeyId: KEY }, before, output);
      expect(iam.commandCalls(UpdateAccessKeyCommand)[1].args[0].input).to.deep.equal({
        UserName: 'alice',
        AccessKeyId: KEY,
        Status: 'Active',
      });
    });

    it('disableAccessKey changes nothing when the key is already inactive', async () => {
      iam
        .on(ListAccessKeysCommand)
        .resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Inactive', UserName: 'bob' }] });
      const ctx = makeCtx();
      const { output } = await apply(a.disableAccessKey, ctx, { accessKeyId: KEY, userName: 'bob' });
      expect(output.changed).to.equal(false);
      expect(iam.commandCalls(GetAccessKeyLastUsedCommand)).to.have.length(0);
      expect(mutatingCalls()).to.equal(0);
      const plan = await a.disableAccessKey.preview!(
        ctx,
        { accessKeyId: KEY, userName: 'bob' },
        { userName: 'bob', accessKeyId: KEY, status: 'Inactive' },
      );
      expect(plan.noop).to.equal(true);
    });

    it('updateAccessKey preview sends no mutating command; under dry-run run() is blocked before the client', async () => {
      iam
        .on(ListAccessKeysCommand)
        .resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Inactive', UserName: 'bob' }] });
      iam.on(UpdateAccessKeyCommand).resolves({});
      const ctx = makeCtx({ dryRun: true });
      const input = { accessKeyId: KEY, userName: 'bob', status: 'Active' };
      const before = await a.updateAccessKey.capture!(ctx, input);
      const plan = await a.updateAccessKey.preview!(ctx, input, before);
      expect(plan).to.include({ noop: false });
      expect(plan.summary).to.contain('Active');
      const err = await a.updateAccessKey.run(ctx, input, before).catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.equal(0);
    });

    it('maps AccessDenied on UpdateAccessKey with the request id', async () => {
      iam
        .on(ListAccessKeysCommand)
        .resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Active', UserName: 'bob' }] });
      iam.on(UpdateAccessKeyCommand).rejects(awsError('AccessDenied', 'req-7'));
      const err = await apply(a.disableAccessKey, makeCtx(), { accessKeyId: KEY, userName: 'bob' }).catch(
        (e: unknown) => e,
      );
      expect((err as IrunError).code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect((err as IrunError).details).to.include({ requestId: 'req-7', awsError: 'AccessDenied' });
    });

    it('refuses a key that does not belong to the given user', async () => {
      iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAOTHER', Status: 'Active' }] });
      const err = await a.disableAccessKey.capture!(makeCtx(), { accessKeyId: KEY, userName: 'bob' }).catch(
        (e: unknown) => e,
      );
      expect((err as IrunError).code).to.equal('IRUN_INPUT_INVALID');
    });
  });

  describe('roles', () => {
    it('getRole decodes and parses the trust document', async () => {
      iam.on(GetRoleCommand).resolves(role());
      const out = await a.getRole.run(makeCtx(), { roleName: 'app-role' }, undefined);
      expect(out.configured).to.equal(true);
      expect(out.role.AssumeRolePolicyDocument).to.deep.equal(trust);
      expect(out.role.RoleLastUsed.LastUsedDate).to.equal('2024-05-01T00:00:00.000Z');
      expect(out.serviceLinked).to.equal(false);
    });

    it('getRole of a missing role is not configured', async () => {
      iam.on(GetRoleCommand).rejects(noSuchEntity());
      expect(await a.getRole.run(makeCtx(), { roleName: 'ghost' }, undefined)).to.deep.equal({
        configured: false,
        roleName: 'ghost',
      });
    });

    it('updateAssumeRolePolicy denyAll: sends the deny trust policy; undo puts the decoded original back', async () => {
      const locked = encodeURIComponent(JSON.stringify(DENY_ALL_TRUST_DOCUMENT));
      iam
        .on(GetRoleCommand)
        .resolvesOnce(role())
        .resolves(role({ AssumeRolePolicyDocument: locked }));
      iam.on(UpdateAssumeRolePolicyCommand).resolves({});
      const ctx = makeCtx();
      const input = { roleName: 'app-role', denyAll: true };
      const { before, output } = await apply(a.updateAssumeRolePolicy, ctx, input);
      expect(before.document).to.deep.equal(trust);
      const sent = iam.commandCalls(UpdateAssumeRolePolicyCommand)[0].args[0].input;
      expect(sent.RoleName).to.equal('app-role');
      expect(JSON.parse(sent.PolicyDocument!)).to.deep.equal(DENY_ALL_TRUST_DOCUMENT);
      expect(output).to.include({ changed: true });
      expect(output.after.document).to.deep.equal(DENY_ALL_TRUST_DOCUMENT);
      await a.updateAssumeRolePolicy.undo!(ctx, input, before, output);
      expect(
        JSON.parse(iam.commandCalls(UpdateAssumeRolePolicyCommand)[1].args[0].input.PolicyDocument!),
      ).to.deep.equal(trust);
    });

    it('updateAssumeRolePolicy is a no-op when the document is already in place (key order ignored)', async () => {
      iam.on(GetRoleCommand).resolves(role());
      const reordered = {
        Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' }, Effect: 'Allow' }],
        Version: '2012-10-17',
      };
      const { output } = await apply(a.updateAssumeRolePolicy, makeCtx(), {
        roleName: 'app-role',
        policyDocument: JSON.stringify(reordered),
      });
      expect(output.changed).to.equal(false);
      expect(mutatingCalls()).to.equal(0);
    });

    it('listAttachedRolePolicies pages; detachRolePolicy detaches and undo attaches again', async () => {
      const arn = 'arn:aws:iam::aws:policy/AmazonS3FullAccess';
      iam
        .on(ListAttachedRolePoliciesCommand)
        .resolvesOnce({
          AttachedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
          IsTruncated: true,
          Marker: 'p2',
        })
        .resolvesOnce({ AttachedPolicies: [{ PolicyName: 'AmazonS3FullAccess', PolicyArn: arn }] })
        .resolves({
          AttachedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
        });
      iam.on(DetachRolePolicyCommand).resolves({});
      iam.on(AttachRolePolicyCommand).resolves({});
      const ctx = makeCtx();
      const input = { roleName: 'app-role', policyArn: arn };
      const { before, output } = await apply(a.detachRolePolicy, ctx, input);
      expect(before.attached).to.equal(true);
      expect(before.attachedPolicies).to.have.length(2);
      expect(iam.commandCalls(DetachRolePolicyCommand)[0].args[0].input).to.deep.equal({
        RoleName: 'app-role',
        PolicyArn: arn,
      });
      expect(output.after.attached).to.equal(false);
      await a.detachRolePolicy.undo!(ctx, input, before, output);
      expect(iam.commandCalls(AttachRolePolicyCommand)[0].args[0].input).to.deep.equal({
        RoleName: 'app-role',
        PolicyArn: arn,
      });
    });

    it('detachRolePolicy does nothing when the policy is not attached', async () => {
      iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
      const ctx = makeCtx();
      const input = { roleName: 'app-role', policyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' };
      const { before, output } = await apply(a.detachRolePolicy, ctx, input);
      expect(output.changed).to.equal(false);
      await a.detachRolePolicy.undo!(ctx, input, before, output);
      expect(mutatingCalls()).to.equal(0);
    });

    it('listRolePolicies and getRolePolicy (decoded; missing is not configured)', async () => {
      iam
        .on(ListRolePoliciesCommand)
        .resolvesOnce({ PolicyNames: ['a'], IsTruncated: true, Marker: 'x' })
        .resolvesOnce({ PolicyNames: ['b'] });
      expect((await a.listRolePolicies.run(makeCtx(), { roleName: 'app-role' }, undefined)).policyNames).to.deep.equal([
        'a',
        'b',
      ]);
      iam.on(GetRolePolicyCommand, { PolicyName: 'a' }).resolves({
        RoleName: 'app-role',
        PolicyName: 'a',
        PolicyDocument: encodeURIComponent(JSON.stringify(DENY_ALL_DOCUMENT)),
      });
      iam.on(GetRolePolicyCommand, { PolicyName: 'zz' }).rejects(noSuchEntity());
      const got = await a.getRolePolicy.run(makeCtx(), { roleName: 'app-role', policyName: 'a' }, undefined);
      expect(got).to.deep.include({ configured: true, policyDocument: DENY_ALL_DOCUMENT });
      expect(await a.getRolePolicy.run(makeCtx(), { roleName: 'app-role', policyName: 'zz' }, undefined)).to.include({
        configured: false,
      });
    });

    it('putRolePolicy replaces an existing policy; undo puts the old document back', async () => {
      const old = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
      const next = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }] };
      iam
        .on(GetRolePolicyCommand)
        .resolvesOnce({ PolicyDocument: encodeURIComponent(JSON.stringify(old)) })
        .resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(next)) });
      iam.on(PutRolePolicyCommand).resolves({});
      const ctx = makeCtx();
      const input = { roleName: 'app-role', policyName: 'inline', policyDocument: next };
      const { before, output } = await apply(a.putRolePolicy, ctx, input);
      expect(before).to.deep.include({ exists: true, document: old });
      expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument!)).to.deep.equal(next);
      await a.putRolePolicy.undo!(ctx, input, before, output);
      const back = iam.commandCalls(PutRolePolicyCommand)[1].args[0].input;
      expect(back.PolicyName).to.equal('inline');
      expect(JSON.parse(back.PolicyDocument!)).to.deep.equal(old);
      expect(iam.commandCalls(DeleteRolePolicyCommand)).to.have.length(0);
    });

    it('revokeRoleSessions puts the exact AWSRevokeOlderSessions document; undo deletes it when it was absent', async () => {
      const now = new Date('2024-05-07T23:47:00.123Z');
      iam.on(GetRoleCommand).resolves(role());
      iam
        .on(GetRolePolicyCommand)
        .rejectsOnce(noSuchEntity())
        .resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(revokeSessionsDocument(now))) });
      iam.on(PutRolePolicyCommand).resolves({});
      iam.on(DeleteRolePolicyCommand).resolves({});
      const ctx = makeCtx({ now });
      const { before, output } = await apply(a.revokeRoleSessions, ctx, { roleName: 'app-role' });
      expect(before.exists).to.equal(false);
      const sent = iam.commandCalls(PutRolePolicyCommand)[0].args[0].input;
      expect(sent.RoleName).to.equal('app-role');
      expect(sent.PolicyName).to.equal('AWSRevokeOlderSessions');
      expect(JSON.parse(sent.PolicyDocument!)).to.deep.equal({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2024-05-07T23:47:00Z' } },
        },
      });
      expect(output.changed).to.equal(true);
      await a.revokeRoleSessions.undo!(ctx, { roleName: 'app-role' }, before, output);
      expect(iam.commandCalls(DeleteRolePolicyCommand)[0].args[0].input).to.deep.equal({
        RoleName: 'app-role',
        PolicyName: 'AWSRevokeOlderSessions',
      });
    });

    it('revokeRoleSessions re-revoking refreshes the timestamp and undo restores the older one', async () => {
      const earlier = revokeSessionsDocument(new Date('2024-01-01T00:00:00Z'));
      iam.on(GetRoleCommand).resolves(role());
      iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(earlier)) });
      iam.on(PutRolePolicyCommand).resolves({});
      const ctx = makeCtx({ now: new Date('2024-06-01T10:00:00Z') });
      const { before, output } = await apply(a.revokeRoleSessions, ctx, { roleName: 'app-role' });
      expect(
        JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument!).Statement.Condition
          .DateLessThan['aws:TokenIssueTime'],
      ).to.equal('2024-06-01T10:00:00Z');
      await a.revokeRoleSessions.undo!(ctx, { roleName: 'app-role' }, before, output);
      expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[1].args[0].input.PolicyDocument!)).to.deep.equal(
        earlier,
      );
    });

    it('revokeRoleSessions refuses a service-linked role before sending anything', async () => {
      iam
        .on(GetRoleCommand)
        .resolves(role({ RoleName: 'AWSServiceRoleForSupport', Path: '/aws-service-role/support.amazonaws.com/' }));
      const err = await apply(a.revokeRoleSessions, makeCtx(), { roleName: 'AWSServiceRoleForSupport' }).catch(
        (e: unknown) => e,
      );
      expect((err as IrunError).code).to.equal('IRUN_IAM_SERVICE_LINKED_ROLE');
      expect(mutatingCalls()).to.equal(0);
    });

    it('denyAllRolePolicy puts IrunDenyAll once and is a no-op when it is already there', async () => {
      iam.on(GetRoleCommand).resolves(role());
      iam
        .on(GetRolePolicyCommand)
        .rejectsOnce(noSuchEntity())
        .resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(DENY_ALL_DOCUMENT)) });
      iam.on(PutRolePolicyCommand).resolves({});
      const first = await apply(a.denyAllRolePolicy, makeCtx(), { roleName: 'app-role' });
      expect(first.output.changed).to.equal(true);
      const put = iam.commandCalls(PutRolePolicyCommand)[0].args[0].input;
      expect(put.PolicyName).to.equal('IrunDenyAll');
      expect(JSON.parse(put.PolicyDocument!)).to.deep.equal({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
      });
      const second = await apply(a.denyAllRolePolicy, makeCtx(), { roleName: 'app-role' });
      expect(second.output.changed).to.equal(false);
      expect(iam.commandCalls(PutRolePolicyCommand)).to.have.length(1);
    });

    it('revokeRoleSessions preview sends nothing mutating; dry-run run() is blocked', async () => {
      iam.on(GetRoleCommand).resolves(role());
      iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
      iam.on(PutRolePolicyCommand).resolves({});
      const ctx = makeCtx({ dryRun: true, now: new Date('2024-05-07T23:47:00Z') });
      const before = await a.revokeRoleSessions.capture!(ctx, { roleName: 'app-role' });
      const plan = await a.revokeRoleSessions.preview!(ctx, { roleName: 'app-role' }, before);
      expect(plan.summary).to.contain('2024-05-07T23:47:00Z');
      expect(plan.noop).to.equal(false);
      const err = await a.revokeRoleSessions.run(ctx, { roleName: 'app-role' }, before).catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.equal(0);
    });

    it('listInstanceProfilesForRole pages and keeps role names', async () => {
      iam
        .on(ListInstanceProfilesForRoleCommand)
        .resolvesOnce({
          InstanceProfiles: [
            {
              InstanceProfileName: 'p1',
              Arn: 'arn:aws:iam::111122223333:instance-profile/p1',
              InstanceProfileId: 'AIPA1',
              Path: '/',
              CreateDate: new Date(0),
              Roles: [role().Role],
            },
          ],
          IsTruncated: true,
          Marker: 'n',
        })
        .resolvesOnce({
          InstanceProfiles: [
            {
              InstanceProfileName: 'p2',
              Arn: 'arn:aws:iam::111122223333:instance-profile/p2',
              InstanceProfileId: 'AIPA2',
              Path: '/',
              CreateDate: new Date(0),
              Roles: [],
            },
          ],
        });
      const out = await a.listInstanceProfilesForRole.run(makeCtx(), { roleName: 'app-role' }, undefined);
      expect(out.instanceProfiles.map((p: { InstanceProfileName: string }) => p.InstanceProfileName)).to.deep.equal([
        'p1',
        'p2',
      ]);
      expect(out.instanceProfiles[0].roleNames).to.deep.equal(['app-role']);
      expect(out.instanceProfiles[0]).to.not.have.property('Roles');
    });
  });

  describe('dry-run', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['disableAccessKey', { accessKeyId: KEY }],
      ['updateAccessKey', { accessKeyId: KEY, userName: 'alice', status: 'Inactive' }],
      ['updateAssumeRolePolicy', { roleName: 'app-role', denyAll: true }],
      ['detachRolePolicy', { roleName: 'app-role', policyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }],
      ['putRolePolicy', { roleName: 'app-role', policyName: 'x', policyDocument: DENY_ALL_DOCUMENT }],
      ['revokeRoleSessions', { roleName: 'app-role' }],
      ['denyAllRolePolicy', { roleName: 'app-role' }],
    ];
    for (const [name, input] of cases) {
      it(`${name}: capture and preview run, run() is blocked, no mutating command reaches IAM`, async () => {
        iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'alice' });
        iam
          .on(ListAccessKeysCommand)
          .resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Active', UserName: 'alice' }] });
        iam.on(GetRoleCommand).resolves(role());
        iam.on(GetRolePolicyCommand).rejects(noSuchEntity());
        iam.on(ListAttachedRolePoliciesCommand).resolves({
          AttachedPolicies: [
            { PolicyName: 'AmazonS3FullAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' },
          ],
        });
        for (const C of MUTATING) iam.on(C as never).resolves({} as never);
        const action = a[name];
        expect(action.effect).to.equal('mutate');
        const ctx = makeCtx({ dryRun: true });
        const before = await action.capture!(ctx, input);
        const plan = await action.preview!(ctx, input, before);
        expect(plan.noop, plan.summary).to.equal(false);
        const err = await action.run(ctx, input, before).catch((e: unknown) => e);
        expect((err as IrunError).code).to.equal('IRUN_DRY_RUN_BLOCKED');
        expect(mutatingCalls()).to.equal(0);
      });
    }
  });
});
