import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3ControlClient,
  S3ControlServiceException,
} from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import { compile } from '../../engine/schema/ajv.js';
import { accountActions } from '../../plugins/aws-s3control/account.js';
import { makeCtx, type TestContext } from '../helpers/ctx.js';
import { READS } from '../helpers/aws-commands.js';
import type { BpaConfig } from '../../plugins/aws-common/bpa.js';
import { resolveAccountId } from '../../plugins/aws-common/s3.js';

const controlMock = mockClient(S3ControlClient);
const stsMock = mockClient(STSClient);

const ACCT = '111122223333';
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

function notConfigured(): Error {
  return new S3ControlServiceException({
    name: 'NoSuchPublicAccessBlockConfiguration',
    $fault: 'client',
    $metadata: { httpStatusCode: 404, requestId: 'r-nc' },
    message: 'The public access block configuration was not found',
  });
}

function mutatingCalls(): string[] {
  return controlMock
    .calls()
    .map((c) => c.args[0] as unknown as { constructor: { name: string } })
    .filter((cmd) => !READS.s3control.includes(cmd.constructor.name.replace(/Command$/, '')))
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

async function apply(name: string, ctx: TestContext, input: Record<string, unknown>) {
  const a = accountActions[name];
  const before = await a.capture!(ctx, input);
  const output = await a.run(ctx, input, before);
  return { before, output, undo: () => a.undo!(ctx, input, before, output) };
}

describe('aws.s3control account actions', () => {
  // reset() installs a fresh stub on the client prototype: doing it before each test keeps this
  // file's mocks in charge whatever other test files ran (or reset theirs) before.
  beforeEach(() => {
    controlMock.reset();
    stsMock.reset();
  });

  for (const [name, def] of Object.entries(accountActions)) {
    it(`${name}: schemas compile, example is valid, metadata complete`, () => {
      const v = compile(def.input);
      compile(def.output);
      expect(v(def.example), JSON.stringify(v.errors)).to.equal(true);
      expect(v({ accountId: '12' })).to.equal(false);
      expect(def.permissions.every((p) => /^s3:[A-Za-z]+AccountPublicAccessBlock$/.test(p))).to.equal(true);
      if (def.effect === 'mutate')
        for (const fn of ['capture', 'preview', 'undo', 'reversible'] as const) expect(def[fn], fn).to.be.a('function');
    });
  }

  describe('account id', () => {
    it('comes from the input, then the run settings, then STS (cached)', async () => {
      stsMock
        .on(GetCallerIdentityCommand)
        .resolves({ Account: '444455556666', Arn: 'arn:aws:iam::444455556666:user/x' });
      expect(await resolveAccountId(makeCtx({ aws: { accountId: '999988887777' } }), ACCT)).to.equal(ACCT);
      expect(await resolveAccountId(makeCtx({ aws: { accountId: '999988887777' } }))).to.equal('999988887777');
      expect(stsMock.calls()).to.have.length(0);
      const ctx = makeCtx();
      expect(await resolveAccountId(ctx)).to.equal('444455556666');
      expect(await resolveAccountId(ctx)).to.equal('444455556666');
      expect(stsMock.commandCalls(GetCallerIdentityCommand)).to.have.length(1);
    });
  });

  describe('getAccountPublicAccessBlock', () => {
    it('reads the flags with the account id', async () => {
      controlMock
        .on(GetPublicAccessBlockCommand)
        .resolves({ PublicAccessBlockConfiguration: { BlockPublicPolicy: true } });
      const out = await accountActions.getAccountPublicAccessBlock.run(makeCtx(), { accountId: ACCT }, undefined);
      expect(out).to.deep.equal({ accountId: ACCT, configured: true, config: { ...ALL_OFF, BlockPublicPolicy: true } });
      expect(controlMock.commandCalls(GetPublicAccessBlockCommand)[0].args[0].input).to.deep.equal({ AccountId: ACCT });
    });

    it('maps NoSuchPublicAccessBlockConfiguration to configured: false', async () => {
      controlMock.on(GetPublicAccessBlockCommand).rejects(notConfigured());
      stsMock.on(GetCallerIdentityCommand).resolves({ Account: ACCT });
      const out = await accountActions.getAccountPublicAccessBlock.run(makeCtx(), {}, undefined);
      expect(out).to.deep.equal({ accountId: ACCT, configured: false, config: null });
      expect(compile(accountActions.getAccountPublicAccessBlock.output)(out)).to.equal(true);
    });

    it('maps AccessDenied with its request id', async () => {
      controlMock.on(GetPublicAccessBlockCommand).rejects(
        Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { requestId: 'r-1', httpStatusCode: 403 },
          $fault: 'client',
        }),
      );
      const err = await rejection(
        accountActions.getAccountPublicAccessBlock.run(makeCtx(), { accountId: ACCT }, undefined),
      );
      expect(err.code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect(err.details).to.include({ requestId: 'r-1', awsError: 'AccessDenied' });
    });
  });

  describe('putAccountPublicAccessBlock', () => {
    it('sets all four flags by default and undo deletes when there was no configuration', async () => {
      controlMock
        .on(GetPublicAccessBlockCommand)
        .rejectsOnce(notConfigured())
        .resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const ctx = makeCtx();
      const { before, output, undo } = await apply('putAccountPublicAccessBlock', ctx, { accountId: ACCT });
      expect(before).to.deep.equal({ accountId: ACCT, configured: false, config: null });
      expect(controlMock.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input).to.deep.equal({
        AccountId: ACCT,
        PublicAccessBlockConfiguration: ALL_ON,
      });
      expect(output).to.deep.include({ changed: true, after: { accountId: ACCT, configured: true, config: ALL_ON } });
      expect(ctx.saved.map((s) => s.name)).to.deep.equal([
        'account-public-access-block-before',
        'account-public-access-block-after',
      ]);
      await undo();
      expect(controlMock.commandCalls(DeletePublicAccessBlockCommand)[0].args[0].input).to.deep.equal({
        AccountId: ACCT,
      });
    });

    it('merges requested flags and undo restores the old configuration', async () => {
      const old = { ...ALL_OFF, BlockPublicAcls: true };
      controlMock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: old });
      const { undo } = await apply('putAccountPublicAccessBlock', makeCtx(), {
        accountId: ACCT,
        restrictPublicBuckets: true,
      });
      expect(
        controlMock.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input.PublicAccessBlockConfiguration,
      ).to.deep.equal({ ...old, RestrictPublicBuckets: true });
      await undo();
      expect(
        controlMock.commandCalls(PutPublicAccessBlockCommand)[1].args[0].input.PublicAccessBlockConfiguration,
      ).to.deep.equal(old);
      expect(controlMock.commandCalls(DeletePublicAccessBlockCommand)).to.have.length(0);
    });

    it('is idempotent', async () => {
      controlMock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const { output, undo } = await apply('putAccountPublicAccessBlock', makeCtx(), { accountId: ACCT });
      expect(output.changed).to.equal(false);
      expect(await undo()).to.include({ restored: false });
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('previews without changing anything and is blocked under dry-run', async () => {
      controlMock.on(GetPublicAccessBlockCommand).rejects(notConfigured());
      const ctx = makeCtx({ dryRun: true });
      const a = accountActions.putAccountPublicAccessBlock;
      const before = await a.capture!(ctx, { accountId: ACCT });
      const plan = await a.preview!(ctx, { accountId: ACCT }, before);
      expect(plan.noop).to.equal(false);
      expect(plan.summary).to.contain('BlockPublicPolicy: false -> true');
      const err = await rejection(a.run(ctx, { accountId: ACCT }, before));
      expect(err.code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('deleteAccountPublicAccessBlock', () => {
    it('deletes, and undo puts the flags back', async () => {
      controlMock
        .on(GetPublicAccessBlockCommand)
        .resolvesOnce({ PublicAccessBlockConfiguration: ALL_ON })
        .rejects(notConfigured());
      const { output, undo } = await apply('deleteAccountPublicAccessBlock', makeCtx(), { accountId: ACCT });
      expect(output.changed).to.equal(true);
      expect(controlMock.commandCalls(DeletePublicAccessBlockCommand)).to.have.length(1);
      await undo();
      expect(controlMock.commandCalls(PutPublicAccessBlockCommand)[0].args[0].input).to.deep.equal({
        AccountId: ACCT,
        PublicAccessBlockConfiguration: ALL_ON,
      });
    });

    it('does nothing when not configured, and is blocked under dry-run otherwise', async () => {
      controlMock.on(GetPublicAccessBlockCommand).rejects(notConfigured());
      const { output } = await apply('deleteAccountPublicAccessBlock', makeCtx(), { accountId: ACCT });
      expect(output.changed).to.equal(false);

      controlMock.reset();
      controlMock.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
      const ctx = makeCtx({ dryRun: true });
      const a = accountActions.deleteAccountPublicAccessBlock;
      const before = await a.capture!(ctx, { accountId: ACCT });
      expect((await a.preview!(ctx, { accountId: ACCT }, before)).noop).to.equal(false);
      expect((await rejection(a.run(ctx, { accountId: ACCT }, before))).code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });
});
