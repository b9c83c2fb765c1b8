import {
  AccessDeniedException,
  DescribeBucketsCommand,
  GetBucketStatisticsCommand,
  GetMacieSessionCommand,
  Macie2Client,
} from '@aws-sdk/client-macie2';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import pack from '../../plugins/aws-macie2/index.js';
import { makeCtx } from '../helpers/ctx.js';

const macie = mockClient(Macie2Client);
const a = pack.actions;

describe('aws.macie2', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => macie.reset());

  it('getMacieSession: enabled session is configured, dates as ISO strings', async () => {
    macie.on(GetMacieSessionCommand).resolves({
      status: 'ENABLED',
      createdAt: new Date('2024-01-01T00:00:00Z'),
      findingPublishingFrequency: 'FIFTEEN_MINUTES',
    });
    const out = await a.getMacieSession.run(makeCtx(), {}, undefined);
    expect(out).to.deep.include({ configured: true, status: 'ENABLED', createdAt: '2024-01-01T00:00:00.000Z' });
  });

  it('getMacieSession: any error (Macie not enabled) is configured: false with the reason', async () => {
    macie.on(GetMacieSessionCommand).rejects(
      new AccessDeniedException({
        message: 'Macie is not enabled.',
        $metadata: { requestId: 'r-1', httpStatusCode: 403 },
      }),
    );
    const out = await a.getMacieSession.run(makeCtx(), {}, undefined);
    expect(out.configured).to.equal(false);
    expect(out.reason).to.contain('Macie is not enabled');
    expect(out.awsError).to.equal('AccessDeniedException');
  });

  it('getBucketStatistics returns the counts', async () => {
    macie.on(GetBucketStatisticsCommand).resolves({
      bucketCount: 3,
      bucketCountByEffectivePermission: { publiclyAccessible: 1, publiclyReadable: 1, publiclyWritable: 0, unknown: 0 },
      bucketCountBySharedAccessType: { external: 1, internal: 0, notShared: 2, unknown: 0 },
      lastUpdated: new Date('2024-05-01T00:00:00Z'),
    });
    const out = await a.getBucketStatistics.run(makeCtx(), { accountId: '111122223333' }, undefined);
    expect(macie.commandCalls(GetBucketStatisticsCommand)[0].args[0].input).to.deep.equal({
      accountId: '111122223333',
    });
    expect(out.bucketCountByEffectivePermission.publiclyAccessible).to.equal(1);
    expect(out.lastUpdated).to.equal('2024-05-01T00:00:00.000Z');
  });

  it('describeBuckets sends the criteria and follows nextToken', async () => {
    macie
      .on(DescribeBucketsCommand)
      .resolvesOnce({
        buckets: [{ bucketName: 'a', publicAccess: { effectivePermission: 'PUBLIC' }, sharedAccess: 'EXTERNAL' }],
        nextToken: 'n1',
      })
      .resolvesOnce({
        buckets: [{ bucketName: 'b', publicAccess: { effectivePermission: 'NOT_PUBLIC' }, sharedAccess: 'NOT_SHARED' }],
      });
    const out = await a.describeBuckets.run(
      makeCtx(),
      { criteria: { 'publicAccess.effectivePermission': { eq: ['PUBLIC', 'NOT_PUBLIC'] } }, bucketName: 'a' },
      undefined,
    );
    const calls = macie.commandCalls(DescribeBucketsCommand);
    expect(calls).to.have.length(2);
    expect(calls[0].args[0].input.criteria).to.deep.equal({
      'publicAccess.effectivePermission': { eq: ['PUBLIC', 'NOT_PUBLIC'] },
      bucketName: { eq: ['a'] },
    });
    expect(calls[1].args[0].input.nextToken).to.equal('n1');
    expect(out.buckets.map((b: { bucketName: string }) => b.bucketName)).to.deep.equal(['a', 'b']);
    expect(out).to.include({ count: 2, truncated: false });
  });

  it('describeBuckets maps AccessDenied with the request id', async () => {
    macie.on(DescribeBucketsCommand).rejects(
      Object.assign(new Error('no'), {
        name: 'AccessDeniedException',
        $metadata: { requestId: 'r-5', httpStatusCode: 403 },
      }),
    );
    const err = await a.describeBuckets.run(makeCtx(), {}, undefined).catch((e: unknown) => e);
    expect((err as IrunError).code).to.equal('IRUN_AWS_ACCESS_DENIED');
    expect((err as IrunError).details?.requestId).to.equal('r-5');
  });
});
