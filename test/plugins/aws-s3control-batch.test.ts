import { GetBucketAclCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import type { IrunError } from '../../engine/errors.js';
import { compile } from '../../engine/schema/ajv.js';
import { batchActions } from '../../plugins/aws-s3control/batch.js';
import { makeCtx } from '../helpers/ctx.js';
import { jobToken, partitionOf } from '../../plugins/aws-common/s3-batch.js';

/** Take an own `send` (another file's stub) off a client prototype; returns how to put it back. */
function setAside(proto: object): () => void {
  const own = Object.getOwnPropertyDescriptor(proto, 'send');
  if (own) delete (proto as Record<string, unknown>).send;
  return () => {
    if (own) Object.defineProperty(proto, 'send', own);
  };
}

let s3Mock: AwsClientStub<S3Client>;
let s3cMock: AwsClientStub<S3ControlClient>;
let stsMock: AwsClientStub<STSClient>;
describe('aws.s3control batch (mocked SDK)', () => {
  // Other test files stub these clients at load time: set their stubs aside while this file's
  // stubs are installed, and put them back afterwards.
  let aside: (() => void)[] = [];
  before(() => {
    aside = [S3Client, S3ControlClient, STSClient].map((C) => setAside(C.prototype));
    s3Mock = mockClient(S3Client);
    s3cMock = mockClient(S3ControlClient);
    stsMock = mockClient(STSClient);
  });
  after(() => {
    s3Mock.restore();
    s3cMock.restore();
    stsMock.restore();
    for (const putBack of aside) putBack();
  });
  const job = batchActions.createAclJob;

  const input = {
    roleArn: 'arn:aws:iam::111122223333:role/batch-acl',
    bucket: 'victim-bucket',
    region: 'eu-west-1',
    manifest: { bucket: 'ir-manifests', key: 'acl/manifest.csv' },
    reportBucket: 'ir-reports',
    pollSeconds: 0,
  };

  async function rejects(p: Promise<unknown>): Promise<IrunError> {
    try {
      await p;
    } catch (err) {
      return err as IrunError;
    }
    throw new Error('expected a rejection');
  }

  function basics() {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    s3Mock.on(GetBucketAclCommand).resolves({ Owner: { ID: 'owner-canonical' } });
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"abc123"' });
    s3cMock.on(CreateJobCommand).resolves({ JobId: 'job-42' });
  }

  afterEach(() => {
    s3Mock.reset();
    s3cMock.reset();
    stsMock.reset();
  });

  describe('aws.s3control.createAclJob', () => {
    it('schemas compile and the example is valid', () => {
      expect(compile(job.input)(job.example)).to.equal(true);
      compile(job.output);
      expect(job.permissions).to.include.members(['s3:CreateJob', 's3:DescribeJob', 'iam:PassRole']);
      expect(compile(job.input)({ ...input, extra: 1 })).to.equal(false);
    });

    it('creates the job (account from STS, owner from GetBucketAcl, ETag from HeadObject) and polls DescribeJob until Complete', async () => {
      basics();
      s3cMock
        .on(DescribeJobCommand)
        .resolvesOnce({ Job: { Status: 'New' } })
        .resolvesOnce({
          Job: {
            Status: 'Active',
            ProgressSummary: { TotalNumberOfTasks: 3, NumberOfTasksSucceeded: 1, NumberOfTasksFailed: 0 },
          },
        })
        .resolves({
          Job: {
            Status: 'Complete',
            ProgressSummary: { TotalNumberOfTasks: 3, NumberOfTasksSucceeded: 3, NumberOfTasksFailed: 0 },
          },
        });
      const ctx = makeCtx({ stepId: 'reset-acls' });
      const before = await job.capture!(ctx, input);
      const out = await job.run(ctx, input, before);

      const create = s3cMock.commandCalls(CreateJobCommand)[0].args[0].input;
      expect(create).to.deep.include({
        AccountId: '111122223333',
        RoleArn: input.roleArn,
        ConfirmationRequired: false,
        Priority: 10,
        ClientRequestToken: jobToken(ctx),
      });
      expect(create.Operation?.S3PutObjectAcl?.AccessControlPolicy?.AccessControlList).to.deep.equal({
        Owner: { ID: 'owner-canonical' },
        Grants: [{ Grantee: { TypeIdentifier: 'id', Identifier: 'owner-canonical' }, Permission: 'FULL_CONTROL' }],
      });
      expect(create.Manifest?.Location).to.deep.equal({
        ObjectArn: 'arn:aws:s3:::ir-manifests/acl/manifest.csv',
        ETag: 'abc123',
      });
      expect(create.Report).to.deep.equal({
        Enabled: true,
        Bucket: 'arn:aws:s3:::ir-reports',
        Format: 'Report_CSV_20180820',
        Prefix: 'irun/test-run/reset-acls',
        ReportScope: 'AllTasks',
      });
      expect(s3Mock.commandCalls(HeadObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'ir-manifests',
        Key: 'acl/manifest.csv',
      });
      expect(s3cMock.commandCalls(DescribeJobCommand)).to.have.length(3);
      expect(out).to.deep.include({
        jobId: 'job-42',
        status: 'Complete',
        accountId: '111122223333',
        region: 'eu-west-1',
        waited: true,
      });
      expect(out.progress).to.deep.equal({ total: 3, succeeded: 3, failed: 0 });
      expect(ctx.progressed.length).to.equal(2);
      expect(compile(job.output)(out)).to.equal(true);
    });

    it('the client request token is stable for a run + step and differs between steps', () => {
      const a = jobToken(makeCtx({ stepId: 's1' }));
      expect(a).to.equal(jobToken(makeCtx({ stepId: 's1' })));
      expect(a).to.not.equal(jobToken(makeCtx({ stepId: 's2' })));
      expect(a).to.have.length(64);
    });

    it('wait: false returns after the first DescribeJob; given accountId, ownerId and etag skip the lookups', async () => {
      s3cMock.on(CreateJobCommand).resolves({ JobId: 'job-7' });
      s3cMock.on(DescribeJobCommand).resolves({ Job: { Status: 'Preparing' } });
      const out = await job.run(
        makeCtx(),
        {
          ...input,
          accountId: '999988887777',
          ownerId: 'given-owner',
          manifest: { ...input.manifest, etag: 'e1' },
          wait: false,
        },
        undefined,
      );
      expect(out).to.deep.include({ jobId: 'job-7', status: 'Preparing', waited: false });
      expect(stsMock.calls()).to.have.length(0);
      expect(s3Mock.calls()).to.have.length(0);
      expect(s3cMock.commandCalls(CreateJobCommand)[0].args[0].input.AccountId).to.equal('999988887777');
    });

    it('a Failed job fails the step with IRUN_BATCH_JOB_FAILED and the reasons', async () => {
      basics();
      s3cMock.on(DescribeJobCommand).resolves({
        Job: { Status: 'Failed', FailureReasons: [{ FailureCode: 'ManifestInvalid', FailureReason: 'bad line 3' }] },
      });
      const err = await rejects(job.run(makeCtx(), input, undefined));
      expect(err.code).to.equal('IRUN_BATCH_JOB_FAILED');
      expect(err.message).to.contain('job-42 ended Failed');
      expect(err.details).to.deep.include({ failureReasons: [{ code: 'ManifestInvalid', reason: 'bad line 3' }] });
    });

    it('a Complete job with failed tasks fails too, pointing at the report', async () => {
      basics();
      s3cMock.on(DescribeJobCommand).resolves({
        Job: {
          Status: 'Complete',
          ProgressSummary: { TotalNumberOfTasks: 5, NumberOfTasksSucceeded: 4, NumberOfTasksFailed: 1 },
        },
      });
      const err = await rejects(job.run(makeCtx(), input, undefined));
      expect(err.code).to.equal('IRUN_BATCH_JOB_FAILED');
      expect(err.message).to.contain('1 failed task(s)').and.contain('s3://ir-reports/');
    });

    it('an abort while polling stops waiting and says the job keeps running', async () => {
      basics();
      s3cMock.on(DescribeJobCommand).resolves({ Job: { Status: 'Active' } });
      const ctx = makeCtx();
      const p = job.run(ctx, { ...input, pollSeconds: 60 }, undefined);
      setImmediate(() => ctx.controller.abort(new Error('step timeout')));
      const err = await rejects(p);
      expect(err.code).to.equal('IRUN_ABORTED');
      expect(err.message).to.contain('keeps running');
    });

    it('maps AccessDenied on CreateJob to IRUN_AWS_ACCESS_DENIED with the request id', async () => {
      basics();
      s3cMock.on(CreateJobCommand).rejects(
        Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { requestId: 'r-1', httpStatusCode: 403 },
          $fault: 'client',
        }),
      );
      const err = await rejects(job.run(makeCtx(), input, undefined));
      expect(err.code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect(err.details).to.deep.include({ requestId: 'r-1' });
    });

    it('dry-run: preview sends nothing; run() is blocked before CreateJob reaches the client; not reversible', async () => {
      basics();
      const ctx = makeCtx({ dryRun: true });
      const plan = await job.preview!(ctx, input, await job.capture!(ctx, input));
      expect(plan.summary).to.contain('s3://ir-manifests/acl/manifest.csv');
      expect(s3cMock.calls()).to.have.length(0);
      const err = await rejects(job.run(ctx, input, undefined));
      expect(err.code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(s3cMock.commandCalls(CreateJobCommand)).to.have.length(0);
      expect(job.reversible!(input, undefined, {} as never))
        .to.be.a('string')
        .and.contain('undo is manual');
    });

    it('partitionOf', () => {
      expect(partitionOf('cn-north-1')).to.equal('aws-cn');
      expect(partitionOf('us-gov-west-1')).to.equal('aws-us-gov');
      expect(partitionOf('eu-west-1')).to.equal('aws');
    });
  });
});
