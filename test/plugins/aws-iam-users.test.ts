import {
  AttachRolePolicyCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import pack from '../../plugins/aws-iam/index.js';
import { USER_DENY_ALL_DOCUMENT } from '../../plugins/aws-iam/users.js';
import { makeCtx } from '../helpers/ctx.js';

const iam = mockClient(IAMClient);
const a = pack.actions;
const noSuchEntity = () =>
  Object.assign(new NoSuchEntityException({ message: 'not found', $metadata: { httpStatusCode: 404 } }), {
    Code: 'NoSuchEntity',
  });
const NOW = new Date('2024-05-10T08:10:00.123Z');

async function change(name: string, input: Record<string, unknown>, ctx = makeCtx({ now: NOW })) {
  const def = a[name];
  const before = await def.capture!(ctx, input);
  const preview = await def.preview!(ctx, input, before);
  const output = await def.run(ctx, input, before);
  return { before, preview, output, reversible: def.reversible!(input, before, output), ctx };
}

describe('aws.iam user containment', () => {
  beforeEach(() => iam.reset());

  it('describeUser gathers policies, groups, MFA devices, keys and the console password', async () => {
    iam.on(GetUserCommand).resolves({
      User: {
        UserName: 'u',
        Arn: 'arn:aws:iam::111122223333:user/u',
        UserId: 'AIDA1',
        Path: '/',
        CreateDate: new Date(0),
      },
    });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ['inline-1'] });
    iam.on(ListAttachedUserPoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyName: 'Admin', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
    });
    iam
      .on(ListGroupsForUserCommand)
      .resolves({ Groups: [{ GroupName: 'ops', GroupId: 'g', Arn: 'arn', Path: '/', CreateDate: new Date(0) }] });
    iam.on(ListMFADevicesCommand).resolves({
      MFADevices: [
        {
          UserName: 'u',
          SerialNumber: 'arn:aws:iam::111122223333:mfa/u',
          EnableDate: new Date('2024-01-01T00:00:00Z'),
        },
      ],
    });
    iam
      .on(ListAccessKeysCommand)
      .resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Active' }] });
    iam.on(GetLoginProfileCommand).resolves({
      LoginProfile: { UserName: 'u', CreateDate: new Date('2023-01-01T00:00:00Z'), PasswordResetRequired: false },
    });
    const out = await a.describeUser.run(makeCtx(), { userName: 'u' }, undefined);
    expect(out).to.deep.include({ configured: true, inlinePolicies: ['inline-1'], groups: ['ops'] });
    expect(out.attachedPolicies[0].PolicyName).to.equal('Admin');
    expect(out.mfaDevices).to.deep.equal([
      { SerialNumber: 'arn:aws:iam::111122223333:mfa/u', EnableDate: '2024-01-01T00:00:00.000Z' },
    ]);
    expect(out.accessKeys).to.deep.equal([{ AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Active' }]);
    expect(out.loginProfile).to.deep.include({ exists: true });
    const validated = (await import('../../engine/plugins/registry.js')).Registry;
    const reg = new validated();
    expect((await reg.require('aws.iam.describeUser')).validateOutput(out).ok).to.equal(true);
  });

  it('describeUser of a user that does not exist is configured: false', async () => {
    iam.on(GetUserCommand).rejects(noSuchEntity());
    const out = await a.describeUser.run(makeCtx(), { userName: 'gone' }, undefined);
    expect(out).to.deep.include({ configured: false, userName: 'gone' });
  });

  it('denyAllUserPolicy puts the deny-all document; undo deletes it when there was none', async () => {
    iam
      .on(GetUserPolicyCommand)
      .rejectsOnce(noSuchEntity())
      .resolves({
        UserName: 'u',
        PolicyName: 'IrunDenyAll',
        PolicyDocument: encodeURIComponent(JSON.stringify(USER_DENY_ALL_DOCUMENT)),
      });
    const r = await change('denyAllUserPolicy', { userName: 'u' });
    expect(r.before).to.deep.include({ exists: false });
    expect(r.output.changed).to.equal(true);
    const put = iam.commandCalls(PutUserPolicyCommand)[0].args[0].input;
    expect(put).to.deep.include({ UserName: 'u', PolicyName: 'IrunDenyAll' });
    expect(JSON.parse(put.PolicyDocument!)).to.deep.equal(USER_DENY_ALL_DOCUMENT);
    await a.denyAllUserPolicy.undo!(r.ctx, { userName: 'u' }, r.before, r.output);
    expect(iam.commandCalls(DeleteUserPolicyCommand)[0].args[0].input).to.deep.equal({
      UserName: 'u',
      PolicyName: 'IrunDenyAll',
    });
  });

  it('denyAllUserPolicy changes nothing when the same policy is in place', async () => {
    iam.on(GetUserPolicyCommand).resolves({
      UserName: 'u',
      PolicyName: 'IrunDenyAll',
      PolicyDocument: encodeURIComponent(JSON.stringify(USER_DENY_ALL_DOCUMENT)),
    });
    const r = await change('denyAllUserPolicy', { userName: 'u' });
    expect(r.preview.noop).to.equal(true);
    expect(r.output.changed).to.equal(false);
    expect(iam.commandCalls(PutUserPolicyCommand)).to.have.length(0);
  });

  it('revokeUserSessions denies tokens issued before now (seconds, UTC) and always puts', async () => {
    iam.on(GetUserPolicyCommand).rejects(noSuchEntity());
    const r = await change('revokeUserSessions', { userName: 'u' });
    const doc = JSON.parse(iam.commandCalls(PutUserPolicyCommand)[0].args[0].input.PolicyDocument!);
    expect(doc.Statement.Condition).to.deep.equal({ DateLessThan: { 'aws:TokenIssueTime': '2024-05-10T08:10:00Z' } });
    expect(r.preview.summary).to.include('2024-05-10T08:10:00Z');
    expect(iam.commandCalls(PutUserPolicyCommand)[0].args[0].input.PolicyName).to.equal('AWSRevokeOlderSessions');
  });

  it('disableUserAccessKeys deactivates the active keys only; undo reactivates exactly those', async () => {
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({
        AccessKeyMetadata: [
          { AccessKeyId: 'AKIAAAAAAAAAAAAAAAA1', Status: 'Active' },
          { AccessKeyId: 'AKIAAAAAAAAAAAAAAAA2', Status: 'Inactive' },
        ],
      })
      .resolves({
        AccessKeyMetadata: [
          { AccessKeyId: 'AKIAAAAAAAAAAAAAAAA1', Status: 'Inactive' },
          { AccessKeyId: 'AKIAAAAAAAAAAAAAAAA2', Status: 'Inactive' },
        ],
      });
    const r = await change('disableUserAccessKeys', { userName: 'u' });
    expect(r.output.deactivated).to.deep.equal(['AKIAAAAAAAAAAAAAAAA1']);
    expect(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).to.deep.equal([
      { UserName: 'u', AccessKeyId: 'AKIAAAAAAAAAAAAAAAA1', Status: 'Inactive' },
    ]);
    iam.resetHistory();
    await a.disableUserAccessKeys.undo!(r.ctx, { userName: 'u' }, r.before, r.output);
    expect(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).to.deep.equal([
      { UserName: 'u', AccessKeyId: 'AKIAAAAAAAAAAAAAAAA1', Status: 'Active' },
    ]);
  });

  it('disableUserAccessKeys refuses a key of another user', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    const err = await a.disableUserAccessKeys.capture!(makeCtx(), {
      userName: 'u',
      accessKeyIds: ['AKIAAAAAAAAAAAAAAAA9'],
    }).catch((e: { code: string }) => e);
    expect((err as { code: string }).code).to.equal('IRUN_INPUT_INVALID');
  });

  it('deleteAccessKey says in its preview that it cannot be undone, and is not reversible', async () => {
    iam
      .on(ListAccessKeysCommand)
      .resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' }] });
    const r = await change('deleteAccessKey', { userName: 'u', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
    expect(r.preview.summary).to.match(/CANNOT BE UNDONE/);
    expect(iam.commandCalls(DeleteAccessKeyCommand)[0].args[0].input).to.deep.equal({
      UserName: 'u',
      AccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    });
    expect(r.reversible)
      .to.be.a('string')
      .that.match(/cannot be restored/);
  });

  it('deleteLoginProfile records whether a password existed; undo cannot restore it and says so', async () => {
    iam
      .on(GetLoginProfileCommand)
      .resolves({ LoginProfile: { UserName: 'u', CreateDate: new Date('2023-01-01T00:00:00Z') } });
    const r = await change('deleteLoginProfile', { userName: 'u' });
    expect(r.before).to.deep.include({ exists: true });
    expect(r.output).to.deep.equal({ changed: true, userName: 'u', hadPassword: true });
    expect(iam.commandCalls(DeleteLoginProfileCommand)).to.have.length(1);
    expect(r.reversible).to.match(/password cannot be restored/);
    iam.reset();
    iam.on(GetLoginProfileCommand).rejects(noSuchEntity());
    const none = await change('deleteLoginProfile', { userName: 'u' });
    expect(none.preview.noop).to.equal(true);
    expect(none.output.hadPassword).to.equal(false);
    expect(none.reversible).to.equal(true);
    expect(iam.commandCalls(DeleteLoginProfileCommand)).to.have.length(0);
  });

  it('detachAllRolePolicies detaches every managed policy; undo attaches them again', async () => {
    const arns = ['arn:aws:iam::aws:policy/A', 'arn:aws:iam::111122223333:policy/B'];
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: arns.map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.slice(-1) })) });
    const r = await change('detachAllRolePolicies', { roleName: 'app' });
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).to.deep.equal(arns);
    await a.detachAllRolePolicies.undo!(r.ctx, { roleName: 'app' }, r.before, r.output);
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).to.deep.equal(arns);
  });
});
