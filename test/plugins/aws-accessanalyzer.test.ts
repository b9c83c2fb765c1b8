import {
  AccessAnalyzerClient,
  GetAnalyzedResourceCommand,
  GetFindingV2Command,
  ListAnalyzersCommand,
  ListFindingsV2Command,
  ResourceNotFoundException,
  StartResourceScanCommand,
  type AnalyzerSummary,
} from '@aws-sdk/client-accessanalyzer';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import pack, { findingsFilter } from '../../plugins/aws-accessanalyzer/index.js';
import { makeCtx } from '../helpers/ctx.js';

const aa = mockClient(AccessAnalyzerClient);
const a = pack.actions;
const ACCOUNT = 'arn:aws:access-analyzer:us-east-1:111122223333:analyzer/account';
const ORG = 'arn:aws:access-analyzer:us-east-1:111122223333:analyzer/org';
const UNUSED = 'arn:aws:access-analyzer:us-east-1:111122223333:analyzer/unused';

const analyzer = (arn: string, type: string, status = 'ACTIVE'): AnalyzerSummary =>
  ({ arn, name: arn.split('/')[1], type, status, createdAt: new Date('2024-01-01T00:00:00Z') }) as AnalyzerSummary;

describe('aws.accessanalyzer', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => aa.reset());

  it('listAnalyzers: none is configured: false', async () => {
    aa.on(ListAnalyzersCommand).resolves({ analyzers: [] });
    expect(await a.listAnalyzers.run(makeCtx(), {}, undefined)).to.deep.equal({ configured: false, analyzers: [] });
  });

  it('listFindings without analyzerArn queries every ACTIVE account/organization analyzer, all pages', async () => {
    aa.on(ListAnalyzersCommand)
      .resolvesOnce({
        analyzers: [analyzer(ACCOUNT, 'ACCOUNT'), analyzer(UNUSED, 'ACCOUNT_UNUSED_ACCESS')],
        nextToken: 'a2',
      })
      .resolvesOnce({
        analyzers: [
          analyzer(ORG, 'ORGANIZATION'),
          analyzer('arn:aws:access-analyzer:us-east-1:111122223333:analyzer/off', 'ACCOUNT', 'DISABLED'),
        ],
      });
    aa.on(ListFindingsV2Command, { analyzerArn: ACCOUNT })
      .resolvesOnce({
        findings: [
          {
            id: 'f1',
            resource: 'arn:aws:s3:::b1',
            resourceType: 'AWS::S3::Bucket',
            status: 'ACTIVE',
            findingType: 'ExternalAccess',
            analyzedAt: new Date('2024-05-01T00:00:00Z'),
            createdAt: new Date(0),
            updatedAt: new Date(0),
            resourceOwnerAccount: '111122223333',
          },
        ],
        nextToken: 'p2',
      })
      .resolvesOnce({
        findings: [
          {
            id: 'f2',
            resource: 'arn:aws:s3:::b2',
            resourceType: 'AWS::S3::Bucket',
            status: 'ACTIVE',
            findingType: 'ExternalAccess',
            analyzedAt: new Date(0),
            createdAt: new Date(0),
            updatedAt: new Date(0),
            resourceOwnerAccount: '111122223333',
          },
        ],
      });
    aa.on(ListFindingsV2Command, { analyzerArn: ORG }).resolves({ findings: [] });
    const out = await a.listFindings.run(makeCtx(), { resourceType: 'AWS::S3::Bucket', isPublic: true }, undefined);
    expect(out.configured).to.equal(true);
    expect(out.analyzers).to.deep.equal([ACCOUNT, ORG]);
    expect(out.findings.map((f: { id: string }) => f.id)).to.deep.equal(['f1', 'f2']);
    expect(out.findings[0]).to.include({ analyzerArn: ACCOUNT, analyzedAt: '2024-05-01T00:00:00.000Z' });
    const calls = aa.commandCalls(ListFindingsV2Command);
    expect(calls).to.have.length(3);
    expect(calls[0].args[0].input.filter).to.deep.equal({
      status: { eq: ['ACTIVE'] },
      resourceType: { eq: ['AWS::S3::Bucket'] },
      isPublic: { eq: ['true'] },
    });
  });

  it('listFindings with no analyzer in the region is { configured: false, findings: [] }', async () => {
    aa.on(ListAnalyzersCommand).resolves({ analyzers: [analyzer(UNUSED, 'ACCOUNT_UNUSED_ACCESS')] });
    const out = await a.listFindings.run(makeCtx(), { resourceType: 'AWS::IAM::Role' }, undefined);
    expect(out).to.include({ configured: false });
    expect(out.findings).to.deep.equal([]);
    expect(aa.commandCalls(ListFindingsV2Command)).to.have.length(0);
  });

  it('listFindings with an analyzerArn does not list analyzers; maxFindings truncates', async () => {
    aa.on(ListFindingsV2Command).resolves({
      findings: [1, 2, 3].map((i) => ({
        id: `f${i}`,
        resource: 'r',
        resourceType: 'AWS::IAM::Role',
        status: 'ACTIVE',
        findingType: 'ExternalAccess',
        analyzedAt: new Date(0),
        createdAt: new Date(0),
        updatedAt: new Date(0),
        resourceOwnerAccount: '1',
      })),
    });
    const out = await a.listFindings.run(
      makeCtx(),
      { analyzerArn: ACCOUNT, maxFindings: 2, status: 'ARCHIVED' },
      undefined,
    );
    expect(aa.commandCalls(ListAnalyzersCommand)).to.have.length(0);
    expect(out).to.include({ count: 2, truncated: true });
    expect(findingsFilter({ status: 'ARCHIVED' })).to.deep.equal({ status: { eq: ['ARCHIVED'] } });
  });

  it('listFindings maps AccessDenied with the request id', async () => {
    aa.on(ListAnalyzersCommand).rejects(
      Object.assign(new Error('denied'), {
        name: 'AccessDeniedException',
        $metadata: { requestId: 'r-1', httpStatusCode: 403 },
        $fault: 'client',
      }),
    );
    const err = await a.listFindings.run(makeCtx(), {}, undefined).catch((e: unknown) => e);
    expect((err as IrunError).code).to.equal('IRUN_AWS_ACCESS_DENIED');
    expect((err as IrunError).details?.requestId).to.equal('r-1');
  });

  it('getFinding concatenates findingDetails across pages', async () => {
    aa.on(GetFindingV2Command)
      .resolvesOnce({
        id: 'f1',
        resource: 'arn:aws:s3:::b1',
        resourceType: 'AWS::S3::Bucket',
        status: 'ACTIVE',
        findingType: 'ExternalAccess',
        analyzedAt: new Date(0),
        createdAt: new Date(0),
        updatedAt: new Date(0),
        resourceOwnerAccount: '1',
        findingDetails: [
          {
            externalAccessDetails: { principal: { AWS: '*' }, isPublic: true, action: ['s3:GetObject'], condition: {} },
          },
        ],
        nextToken: 'd2',
      })
      .resolvesOnce({
        id: 'f1',
        resource: 'arn:aws:s3:::b1',
        resourceType: 'AWS::S3::Bucket',
        status: 'ACTIVE',
        findingType: 'ExternalAccess',
        analyzedAt: new Date(0),
        createdAt: new Date(0),
        updatedAt: new Date(0),
        resourceOwnerAccount: '1',
        findingDetails: [
          { externalAccessDetails: { principal: { AWS: '444455556666' }, isPublic: false, condition: {} } },
        ],
      });
    const out = await a.getFinding.run(makeCtx(), { analyzerArn: ACCOUNT, id: 'f1' }, undefined);
    expect(out.findingDetails).to.have.length(2);
    expect(out.findingDetails[0].externalAccessDetails.isPublic).to.equal(true);
    expect(out).to.not.have.property('nextToken');
    expect(aa.commandCalls(GetFindingV2Command)[1].args[0].input).to.include({ nextToken: 'd2' });
  });

  it('startResourceScan is allowed under dry-run (read) and sends the resource', async () => {
    aa.on(StartResourceScanCommand).resolves({});
    const out = await a.startResourceScan.run(
      makeCtx({ dryRun: true, now: new Date('2024-05-01T00:00:00Z') }),
      { analyzerArn: ACCOUNT, resourceArn: 'arn:aws:s3:::b1' },
      undefined,
    );
    expect(aa.commandCalls(StartResourceScanCommand)[0].args[0].input).to.deep.equal({
      analyzerArn: ACCOUNT,
      resourceArn: 'arn:aws:s3:::b1',
    });
    expect(out).to.deep.equal({
      started: true,
      analyzerArn: ACCOUNT,
      resourceArn: 'arn:aws:s3:::b1',
      startedAt: '2024-05-01T00:00:00.000Z',
    });
  });

  it('getAnalyzedResource waits (bounded) for an analysis newer than analyzedAfter', async () => {
    aa.on(GetAnalyzedResourceCommand)
      .rejectsOnce(
        new ResourceNotFoundException({ message: 'not analyzed', $metadata: {}, resourceId: 'x', resourceType: 'y' }),
      )
      .resolvesOnce({
        resource: {
          resourceArn: 'arn:aws:s3:::b1',
          resourceType: 'AWS::S3::Bucket',
          isPublic: true,
          analyzedAt: new Date('2024-04-30T00:00:00Z'),
          createdAt: new Date(0),
          updatedAt: new Date(0),
          resourceOwnerAccount: '1',
        },
      })
      .resolves({
        resource: {
          resourceArn: 'arn:aws:s3:::b1',
          resourceType: 'AWS::S3::Bucket',
          isPublic: false,
          analyzedAt: new Date('2024-05-01T00:01:00Z'),
          createdAt: new Date(0),
          updatedAt: new Date(0),
          resourceOwnerAccount: '1',
        },
      });
    const ctx = makeCtx();
    const slept: number[] = [];
    ctx.sleep = async (ms: number) => void slept.push(ms);
    const out = await a.getAnalyzedResource.run(
      ctx,
      { analyzerArn: ACCOUNT, resourceArn: 'arn:aws:s3:::b1', analyzedAfter: '2024-05-01T00:00:00Z' },
      undefined,
    );
    expect(out).to.deep.include({ analyzed: true, current: true });
    expect(out.resource.isPublic).to.equal(false);
    expect(slept).to.have.length(2);
  });

  it('getAnalyzedResource without analyzedAfter answers at once; a never-analyzed resource is analyzed: false', async () => {
    aa.on(GetAnalyzedResourceCommand).rejects(
      new ResourceNotFoundException({ message: 'not analyzed', $metadata: {}, resourceId: 'x', resourceType: 'y' }),
    );
    const ctx = makeCtx();
    let sleeps = 0;
    ctx.sleep = async () => void sleeps++;
    const out = await a.getAnalyzedResource.run(
      ctx,
      { analyzerArn: ACCOUNT, resourceArn: 'arn:aws:s3:::b1' },
      undefined,
    );
    expect(out).to.include({ analyzed: false });
    expect(sleeps).to.equal(0);
    const bounded = await a.getAnalyzedResource.run(
      ctx,
      {
        analyzerArn: ACCOUNT,
        resourceArn: 'arn:aws:s3:::b1',
        analyzedAfter: '2024-05-01T00:00:00Z',
        maxWaitSeconds: 10,
      },
      undefined,
    );
    expect(bounded).to.include({ analyzed: false });
    expect(sleeps).to.be.greaterThan(0).and.lessThan(5);
  });
});
