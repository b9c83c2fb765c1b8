import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import pack, {
  ACCOUNT_BPA_EVENTS,
  ANTI_FORENSICS_EVENTS,
  BUCKET_CONFIG_EVENTS,
  IAM_EVENTS,
  flagCategory,
  parseEvent,
} from '../../plugins/aws-cloudtrail/index.js';
import { makeCtx } from '../helpers/ctx.js';

const ct = mockClient(CloudTrailClient);
const { lookupEvents } = pack.actions;

function event(id: string, name: string, detail: Record<string, unknown> = {}): Event {
  return {
    EventId: id,
    EventName: name,
    EventTime: new Date('2024-05-01T12:00:00Z'),
    EventSource: 's3.amazonaws.com',
    Username: 'alice',
    AccessKeyId: 'ASIAEXAMPLE',
    ReadOnly: 'false',
    Resources: [{ ResourceType: 'AWS::S3::Bucket', ResourceName: 'bucket-1' }],
    CloudTrailEvent: JSON.stringify({
      eventName: name,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.7',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/app/alice' },
      requestParameters: { bucketName: 'bucket-1' },
      ...detail,
    }),
  };
}

describe('aws.cloudtrail', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => ct.reset());

  it('lookupEvents by resource name: one attribute, all pages, CloudTrailEvent parsed, flagged names listed', async () => {
    ct.on(LookupEventsCommand)
      .resolvesOnce({ Events: [event('e1', 'PutBucketPolicy'), event('e2', 'GetBucketAcl')], NextToken: 'n2' })
      .resolvesOnce({
        Events: [
          event('e3', 'DeleteTrail', { errorCode: 'AccessDenied' }),
          event('e4', 'PutBucketAcl', { requestParameters: { bucketName: '{{ inputs.bucket }}' } }),
        ],
      });
    const ctx = makeCtx({ aws: { region: 'eu-west-1' } });
    const out = await lookupEvents.run(
      ctx,
      { resourceName: 'bucket-1', startTime: '2024-04-01T00:00:00Z', endTime: '2024-05-02T00:00:00Z' },
      undefined,
    );
    const calls = ct.commandCalls(LookupEventsCommand);
    expect(calls).to.have.length(2);
    const input = calls[0].args[0].input;
    expect(input.LookupAttributes).to.deep.equal([{ AttributeKey: 'ResourceName', AttributeValue: 'bucket-1' }]);
    expect(input.StartTime).to.deep.equal(new Date('2024-04-01T00:00:00Z'));
    expect(input.MaxResults).to.equal(50);
    expect(calls[1].args[0].input.NextToken).to.equal('n2');
    expect(out.count).to.equal(4);
    expect(out.region).to.equal('eu-west-1');
    expect(out.events[0]).to.deep.include({
      eventId: 'e1',
      eventName: 'PutBucketPolicy',
      eventTime: '2024-05-01T12:00:00.000Z',
      sourceIPAddress: '203.0.113.7',
      flag: 'bucketConfig',
      requestParameters: { bucketName: 'bucket-1' },
    });
    expect(out.events[0].userIdentity.arn).to.equal('arn:aws:sts::111122223333:assumed-role/app/alice');
    expect(out.events[2]).to.include({ errorCode: 'AccessDenied', flag: 'antiForensics' });
    // data from AWS stays data: a template-looking value is returned as is
    expect(out.events[3].requestParameters.bucketName).to.equal('{{ inputs.bucket }}');
    expect(out.flagged.map((f: { eventId: string; flag: string }) => `${f.eventId}:${f.flag}`)).to.deep.equal([
      'e1:bucketConfig',
      'e3:antiForensics',
      'e4:bucketConfig',
    ]);
  });

  it('eventNames filters client-side and maxEvents truncates', async () => {
    ct.on(LookupEventsCommand).resolves({
      Events: [
        event('e1', 'GetObject'),
        event('e2', 'PutBucketPolicy'),
        event('e3', 'PutBucketAcl'),
        event('e4', 'PutBucketPolicy'),
      ],
    });
    const out = await lookupEvents.run(
      makeCtx(),
      { resourceName: 'bucket-1', eventNames: [...BUCKET_CONFIG_EVENTS], maxEvents: 2 },
      undefined,
    );
    expect(out.events.map((e: { eventId: string }) => e.eventId)).to.deep.equal(['e2', 'e3']);
    expect(out.truncated).to.equal(true);
  });

  it('iam: true queries us-east-1 whatever the step region', async () => {
    ct.on(LookupEventsCommand).resolves({ Events: [event('e1', 'UpdateAssumeRolePolicy')] });
    const out = await lookupEvents.run(
      makeCtx({ aws: { region: 'eu-west-1' } }),
      { resourceName: 'app-role', iam: true },
      undefined,
    );
    const client = ct.commandCalls(LookupEventsCommand)[0].thisValue as CloudTrailClient;
    expect(await client.config.region()).to.equal('us-east-1');
    expect(out.region).to.equal('us-east-1');
    expect(out.flagged[0].flag).to.equal('iam');
  });

  it('insight events set EventCategory', async () => {
    ct.on(LookupEventsCommand).resolves({ Events: [] });
    await lookupEvents.run(makeCtx(), { insight: true, eventName: 'PutObject' }, undefined);
    expect(ct.commandCalls(LookupEventsCommand)[0].args[0].input).to.deep.include({
      EventCategory: 'insight',
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutObject' }],
    });
  });

  it('refuses two lookup attributes (the API takes one) without calling AWS', async () => {
    const err = await lookupEvents
      .run(makeCtx(), { resourceName: 'b', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, undefined)
      .catch((e: unknown) => e);
    expect((err as IrunError).code).to.equal('IRUN_INPUT_INVALID');
    expect((err as Error).message).to.contain('resourceName, accessKeyId');
    const none = await lookupEvents.run(makeCtx(), {}, undefined).catch((e: unknown) => e);
    expect((none as IrunError).code).to.equal('IRUN_INPUT_INVALID');
    expect(ct.commandCalls(LookupEventsCommand)).to.have.length(0);
  });

  it('maps AccessDenied with the request id', async () => {
    ct.on(LookupEventsCommand).rejects(
      Object.assign(new Error('no'), {
        name: 'AccessDeniedException',
        $metadata: { requestId: 'r-3', httpStatusCode: 403 },
        $fault: 'client',
      }),
    );
    const err = await lookupEvents
      .run(makeCtx(), { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, undefined)
      .catch((e: unknown) => e);
    expect((err as IrunError).code).to.equal('IRUN_AWS_ACCESS_DENIED');
    expect((err as IrunError).details?.requestId).to.equal('r-3');
  });

  it('flag lists and parsing of a malformed CloudTrailEvent', () => {
    expect(ACCOUNT_BPA_EVENTS).to.deep.equal(['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock']);
    expect(IAM_EVENTS).to.include.members([
      'UpdateAssumeRolePolicy',
      'AttachRolePolicy',
      'DetachRolePolicy',
      'PutRolePermissionsBoundary',
      'CreateAccessKey',
    ]);
    expect(ANTI_FORENSICS_EVENTS).to.deep.equal(['StopLogging', 'DeleteTrail', 'PutEventSelectors', 'DeleteAnalyzer']);
    expect(BUCKET_CONFIG_EVENTS).to.include.members([
      'DeleteBucketPublicAccessBlock',
      'DeleteBucketOwnershipControls',
      'PutBucketWebsite',
    ]);
    expect(flagCategory('AssumeRole')).to.equal('sts');
    expect(flagCategory('GetObject')).to.equal(undefined);
    const e = parseEvent({ EventId: 'x', EventName: 'PutBucketAcl', CloudTrailEvent: '{not json' });
    expect(e).to.include({ eventId: 'x', flag: 'bucketConfig' });
    expect(e.userIdentity).to.equal(null);
  });
});
