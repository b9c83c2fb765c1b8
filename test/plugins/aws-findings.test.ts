import {
  ArchiveFindingsCommand,
  GetFindingsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFindingsCommand,
  UnarchiveFindingsCommand,
} from '@aws-sdk/client-guardduty';
import {
  BatchUpdateFindingsCommand,
  GetFindingsCommand as HubGetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import guardduty from '../../plugins/aws-guardduty/index.js';
import securityhub from '../../plugins/aws-securityhub/index.js';
import { makeCtx } from '../helpers/ctx.js';

const gd = mockClient(GuardDutyClient);
const hub = mockClient(SecurityHubClient);
const TYPE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

function gdFinding(id: string, archived = false) {
  return {
    Id: id,
    Type: TYPE,
    Severity: 8,
    Title: 'Credentials for instance role used from an external IP',
    AccountId: '111122223333',
    Region: 'us-east-1',
    Arn: `arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/${id}`,
    CreatedAt: '2024-05-10T07:00:00.000Z',
    UpdatedAt: '2024-05-10T07:30:00.000Z',
    SchemaVersion: '2.0',
    Resource: {
      ResourceType: 'AccessKey',
      AccessKeyDetails: {
        AccessKeyId: 'ASIASESSION000000001',
        PrincipalId: 'AROA1:i-0123',
        UserName: 'app-role',
        UserType: 'AssumedRole',
      },
    },
    Service: {
      Archived: archived,
      EventFirstSeen: '2024-05-10T06:58:00.000Z',
      EventLastSeen: '2024-05-10T07:20:00.000Z',
      Count: 4,
    },
  };
}

describe('aws.guardduty and aws.securityhub', () => {
  beforeEach(() => {
    gd.reset();
    hub.reset();
  });

  it('listFindings finds the detector, filters by type and key (not archived) and flattens', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d1'] });
    gd.on(ListFindingsCommand).resolves({ FindingIds: ['f1'] });
    gd.on(GetFindingsCommand).resolves({ Findings: [gdFinding('f1')] as never });
    const out = await guardduty.actions.listFindings.run(
      makeCtx(),
      { findingTypes: [TYPE], accessKeyId: 'ASIASESSION000000001' },
      undefined,
    );
    const criterion = gd.commandCalls(ListFindingsCommand)[0].args[0].input.FindingCriteria?.Criterion;
    expect(criterion).to.deep.equal({
      type: { Eq: [TYPE] },
      'resource.accessKeyDetails.accessKeyId': { Eq: ['ASIASESSION000000001'] },
      'service.archived': { Eq: ['false'] },
    });
    expect(out.findings[0]).to.deep.include({
      id: 'f1',
      accessKeyId: 'ASIASESSION000000001',
      userName: 'app-role',
      eventFirstSeen: '2024-05-10T06:58:00.000Z',
      archived: false,
    });
  });

  it('listFindings without a detector is configured: false', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    const out = await guardduty.actions.listFindings.run(makeCtx(), {}, undefined);
    expect(out).to.deep.include({ configured: false });
  });

  it('archiveFindings archives only the unarchived ones; undo unarchives them', async () => {
    gd.on(ListDetectorsCommand).resolves({ DetectorIds: ['d1'] });
    gd.on(GetFindingsCommand).resolves({ Findings: [gdFinding('f1'), gdFinding('f2', true)] as never });
    const a = guardduty.actions.archiveFindings;
    const ctx = makeCtx();
    const input = { findingIds: ['f1', 'f2'] };
    const before = await a.capture!(ctx, input);
    const out = await a.run(ctx, input, before);
    expect(gd.commandCalls(ArchiveFindingsCommand)[0].args[0].input).to.deep.equal({
      DetectorId: 'd1',
      FindingIds: ['f1'],
    });
    await a.undo!(ctx, input, before, out);
    expect(gd.commandCalls(UnarchiveFindingsCommand)[0].args[0].input).to.deep.equal({
      DetectorId: 'd1',
      FindingIds: ['f1'],
    });
  });

  it('securityhub getFindings filters active unresolved findings of controls', async () => {
    hub.on(HubGetFindingsCommand).resolves({
      Findings: [
        {
          Id: 'f-s3',
          ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
          Title: 'S3 general purpose buckets should block public read access',
          Compliance: { SecurityControlId: 'S3.2', Status: 'FAILED' },
          Workflow: { Status: 'NEW' },
          Resources: [{ Id: 'arn:aws:s3:::acme-reports-prod', Type: 'AwsS3Bucket' }],
        } as never,
      ],
    });
    const out = await securityhub.actions.getFindings.run(makeCtx(), { controlIds: ['S3.2'] }, undefined);
    const filters = hub.commandCalls(HubGetFindingsCommand)[0].args[0].input.Filters;
    expect(filters?.ComplianceSecurityControlId).to.deep.equal([{ Value: 'S3.2', Comparison: 'EQUALS' }]);
    expect(filters?.WorkflowStatus?.map((f) => f.Value)).to.deep.equal(['NEW', 'NOTIFIED']);
    expect(out.findings[0]).to.deep.include({ controlId: 'S3.2', workflowStatus: 'NEW' });
    expect(out.findings[0].resources).to.deep.equal([{ id: 'arn:aws:s3:::acme-reports-prod', type: 'AwsS3Bucket' }]);
  });

  it('securityhub updateFindings sets status and note; undo restores the previous status and note', async () => {
    const ref = { id: 'f-1', productArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' };
    hub.on(HubGetFindingsCommand).resolves({
      Findings: [
        {
          Id: 'f-1',
          ProductArn: ref.productArn,
          Workflow: { Status: 'NEW' },
          Note: { Text: 'seen', UpdatedBy: 'x', UpdatedAt: 'y' },
        } as never,
      ],
    });
    hub
      .on(BatchUpdateFindingsCommand)
      .resolves({ ProcessedFindings: [{ Id: 'f-1', ProductArn: ref.productArn }], UnprocessedFindings: [] });
    const u = securityhub.actions.updateFindings;
    const ctx = makeCtx();
    const input = { findings: [ref], workflowStatus: 'NOTIFIED' as const, note: 'SEC-1' };
    const before = await u.capture!(ctx, input);
    const out = await u.run(ctx, input, before);
    expect(hub.commandCalls(BatchUpdateFindingsCommand)[0].args[0].input).to.deep.include({
      Workflow: { Status: 'NOTIFIED' },
    });
    expect(out.processed).to.deep.equal(['f-1']);
    hub.resetHistory();
    await u.undo!(ctx, input, before, out);
    const undo = hub.commandCalls(BatchUpdateFindingsCommand)[0].args[0].input;
    expect(undo.Workflow).to.deep.equal({ Status: 'NEW' });
    expect(undo.Note?.Text).to.equal('seen');
  });
});
