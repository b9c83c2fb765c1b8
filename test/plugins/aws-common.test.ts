/** The shared AWS layer: client settings and caching, the dry-run guard, error mapping. */
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';
import { expect } from 'chai';
import { mockClient } from 'aws-sdk-client-mock';
import {
  awsCode,
  client,
  decodePolicy,
  isNotConfigured,
  isReadOnlyCommand,
  send,
  toIrunError,
} from '../../plugins/aws-common/index.js';
import { makeCtx } from '../helpers/ctx.js';

describe('aws-common', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  after(() => s3.restore());

  it('builds one client per service, region and settings, reused across steps of a run', async () => {
    const ctx = makeCtx({ aws: { region: 'eu-west-1' } });
    const a = await client(ctx, S3Client);
    const b = await client(ctx, S3Client);
    const c = await client(ctx, S3Client, { region: 'us-west-2' });
    const i = await client(ctx, IAMClient);
    expect(a).to.equal(b);
    expect(c).to.not.equal(a);
    expect(i).to.not.equal(a);
    expect(await a.config.region()).to.equal('eu-west-1');
    expect(await c.config.region()).to.equal('us-west-2');
    // another run has its own cache
    expect(await client(makeCtx({ aws: { region: 'eu-west-1' } }), S3Client)).to.not.equal(a);
  });

  it('applies adaptive retries, the attempt count, the irun user agent, and the endpoint with path-style for S3', async () => {
    const ctx = makeCtx({ aws: { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:4566', maxAttempts: 7 } });
    const c = await client(ctx, S3Client);
    expect(await c.config.maxAttempts()).to.equal(7);
    const mode = (c.config as unknown as { retryMode: string | (() => Promise<string>) }).retryMode;
    expect(typeof mode === 'function' ? await mode() : mode).to.equal('adaptive');
    expect(c.config.forcePathStyle).to.equal(true);
    const ep = await c.config.endpoint!();
    expect(`${ep.protocol}//${ep.hostname}:${ep.port}`).to.equal('http://127.0.0.1:4566');
    expect(JSON.stringify(c.config.customUserAgent)).to.include('irun/0.0.0-test');
    const i = await client(ctx, IAMClient);
    expect((i.config as { forcePathStyle?: boolean }).forcePathStyle).to.equal(undefined);
  });

  it('assumes --role-arn (with external id) through temporary credentials', async () => {
    const ctx = makeCtx({
      aws: { region: 'us-east-1', roleArn: 'arn:aws:iam::111122223333:role/Responder', externalId: 'ext-1' },
    });
    const c = await client(ctx, S3Client);
    expect(typeof c.config.credentials).to.equal('function');
    const key = [...ctx.shared.keys()].find((k) => k.startsWith('aws.credentials'));
    expect(key).to.include('arn:aws:iam::111122223333:role/Responder').and.include('ext-1');
  });

  it('under dry-run, a mutating command never reaches the client; reads do', async () => {
    s3.on(GetBucketPolicyCommand).resolves({ Policy: '{}' });
    s3.on(PutBucketPolicyCommand).resolves({});
    const ctx = makeCtx({ dryRun: true });
    const c = await client(ctx, S3Client);
    await c.send(new GetBucketPolicyCommand({ Bucket: 'b' }));
    const err = await c
      .send(new PutBucketPolicyCommand({ Bucket: 'b', Policy: '{}' }))
      .catch((e: { code: string }) => e);
    expect((err as { code: string }).code).to.equal('IRUN_DRY_RUN_BLOCKED');
    expect(s3.commandCalls(GetBucketPolicyCommand)).to.have.length(1);
    expect(s3.commandCalls(PutBucketPolicyCommand)).to.have.length(0);
  });

  it('classifies commands: reads by name, Athena by statement', () => {
    expect(isReadOnlyCommand(new GetBucketPolicyCommand({ Bucket: 'b' }))).to.equal(true);
    expect(isReadOnlyCommand(new PutBucketPolicyCommand({ Bucket: 'b', Policy: '' }))).to.equal(false);
    expect(isReadOnlyCommand(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }))).to.equal(true);
    expect(
      isReadOnlyCommand(new StartQueryExecutionCommand({ QueryString: '  with x as (select 1) select * from x' })),
    ).to.equal(true);
    expect(
      isReadOnlyCommand(new StartQueryExecutionCommand({ QueryString: 'CREATE EXTERNAL TABLE t (a string)' })),
    ).to.equal(false);
    expect(isReadOnlyCommand(new StartQueryExecutionCommand({ QueryString: 'DROP TABLE t' }))).to.equal(false);
    void AthenaClient;
  });

  it('maps AWS errors to IRUN_AWS_* codes with name, message and request id; not-configured is a result', async () => {
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { requestId: 'REQ123', httpStatusCode: 403 },
    });
    const e = toIrunError(denied, 'GetBucketPolicy');
    expect(e.code).to.equal('IRUN_AWS_ACCESS_DENIED');
    expect(e.message).to.include('GetBucketPolicy failed: AccessDenied: Access Denied (request id REQ123)');
    expect(e.details).to.include({ awsError: 'AccessDenied', requestId: 'REQ123', httpStatus: 403 });
    expect(awsCode('NoSuchBucket')).to.equal('IRUN_AWS_NO_SUCH_BUCKET');
    expect(awsCode('ThrottlingException')).to.equal('IRUN_AWS_THROTTLING');
    expect(isNotConfigured({ name: 'NoSuchBucketPolicy' })).to.equal(true);
    expect(isNotConfigured({ name: 'NoSuchEntityException', Code: 'NoSuchEntity' })).to.equal(true);
    expect(isNotConfigured({ name: 'AccessDenied' })).to.equal(false);

    s3.on(GetBucketPolicyCommand).rejects(
      Object.assign(new Error('none'), { name: 'NoSuchBucketPolicy', $metadata: {} }),
    );
    const ctx = makeCtx();
    const c = await client(ctx, S3Client);
    expect(await send(c, new GetBucketPolicyCommand({ Bucket: 'b' }), ctx, { allowNotConfigured: true })).to.equal(
      undefined,
    );
    const failed = await send(c, new GetBucketPolicyCommand({ Bucket: 'b' }), ctx).catch((x: { code: string }) => x);
    expect((failed as { code: string }).code).to.equal('IRUN_AWS_NO_SUCH_BUCKET_POLICY');
  });

  it('says clearly when there are no credentials or AWS cannot be reached', () => {
    const noCreds = toIrunError(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'GetCallerIdentity',
    );
    expect(noCreds.code).to.equal('IRUN_AWS_NO_CREDENTIALS');
    expect(noCreds.message).to.include('--profile').and.include('--scenario');
    const refused = toIrunError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      'ListBuckets',
    );
    expect(refused.code).to.equal('IRUN_AWS_NETWORK');
  });

  it('S3 Control reaches a custom endpoint as given (no account-id host prefix)', async () => {
    const { S3ControlClient, GetPublicAccessBlockCommand } = await import('@aws-sdk/client-s3-control');
    const http = await import('node:http');
    const seen: { url?: string; host?: string; account?: string }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host, account: req.headers['x-amz-account-id'] as string });
      res.setHeader('content-type', 'application/xml');
      res.end(
        '<?xml version="1.0"?><PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>',
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
    try {
      const ctx = makeCtx({ aws: { region: 'us-east-1', endpointUrl: `http://127.0.0.1:${port}`, maxAttempts: 1 } });
      const c = await client(ctx, S3ControlClient);
      // Other test files stub S3ControlClient.prototype.send with aws-sdk-client-mock; call the
      // SDK's own Client.send so this request really goes over HTTP.
      const realSend = (
        Object.getPrototypeOf(S3ControlClient.prototype) as { send: (cmd: unknown) => Promise<unknown> }
      ).send;
      const out = (await realSend.call(c, new GetPublicAccessBlockCommand({ AccountId: '111122223333' }))) as {
        PublicAccessBlockConfiguration?: { BlockPublicPolicy?: boolean };
      };
      expect(out.PublicAccessBlockConfiguration?.BlockPublicPolicy).to.equal(true);
      expect(seen[0].host).to.equal(`127.0.0.1:${port}`);
      expect(seen[0].url).to.match(/^\/v20180820\/configuration\/publicAccessBlock/);
      expect(seen[0].account).to.equal('111122223333');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      server.close();
    }
  });

  it('decodes URL-encoded IAM documents', () => {
    const doc = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    expect(decodePolicy(encodeURIComponent(JSON.stringify(doc)))).to.deep.equal(doc);
    expect(decodePolicy(JSON.stringify(doc))).to.deep.equal(doc);
    expect(decodePolicy(undefined)).to.equal(null);
  });
});
