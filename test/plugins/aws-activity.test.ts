import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import { activityQuery } from '../../plugins/aws-athena/activity.js';
import athenaPack from '../../plugins/aws-athena/index.js';
import cloudtrailPack from '../../plugins/aws-cloudtrail/index.js';
import { classifyEvent, credentialResources, summarizeActivity } from '../../plugins/aws-common/activity.js';
import { makeCtx } from '../helpers/ctx.js';

const ct = mockClient(CloudTrailClient);
const athena = mockClient(AthenaClient);

function event(
  id: string,
  name: string,
  source: string,
  detail: Record<string, unknown> = {},
  key = 'AKIAIOSFODNN7EXAMPLE',
): Event {
  return {
    EventId: id,
    EventName: name,
    EventTime: new Date(`2024-05-10T0${id.length}:00:00Z`),
    EventSource: source,
    AccessKeyId: key,
    ReadOnly: /^(Get|List|Describe)/.test(name) ? 'true' : 'false',
    CloudTrailEvent: JSON.stringify({ eventName: name, eventSource: source, awsRegion: 'us-east-1', ...detail }),
  };
}

describe('credential activity', () => {
  beforeEach(() => {
    ct.reset();
    athena.reset();
  });

  describe('classification (3.4)', () => {
    const table: [string, string, string, Record<string, unknown>?][] = [
      ['GetObject', 's3.amazonaws.com', 'dataAccess'],
      ['GetSecretValue', 'secretsmanager.amazonaws.com', 'dataAccess'],
      ['CreateUser', 'iam.amazonaws.com', 'identity', { pattern: '3.4.3.1' }],
      ['AssumeRole', 'sts.amazonaws.com', 'identity', { pattern: '3.4.3.3' }],
      ['GetSessionToken', 'sts.amazonaws.com', 'identity', { pattern: '3.4.3.4' }],
      ['AttachUserPolicy', 'iam.amazonaws.com', 'identity', { pattern: '3.4.3.5' }],
      ['RunInstances', 'ec2.amazonaws.com', 'identity', { pattern: '3.4.3.6', highValue: true }],
      ['CreateImage', 'ec2.amazonaws.com', 'identity', { pattern: '3.4.3.7' }],
      ['CreateOpenIDConnectProvider', 'iam.amazonaws.com', 'identity', { pattern: '3.4.3.8' }],
      ['TagRole', 'iam.amazonaws.com', 'identity', { pattern: '3.4.3.9' }],
      ['DeleteRolePolicy', 'iam.amazonaws.com', 'identity', { pattern: '3.4.3.12' }],
      ['CreateAutoScalingGroup', 'autoscaling.amazonaws.com', 'creation', { highValue: true }],
      ['CreateCluster', 'eks.amazonaws.com', 'creation', { highValue: true }],
      ['CreateQueue', 'sqs.amazonaws.com', 'creation'],
      ['TerminateInstances', 'ec2.amazonaws.com', 'deletion'],
      ['DeleteBucket', 's3.amazonaws.com', 'deletion'],
      ['PutBucketPolicy', 's3.amazonaws.com', 'modification'],
      ['ModifyInstanceAttribute', 'ec2.amazonaws.com', 'modification'],
      ['TagResource', 'lambda.amazonaws.com', 'modification'],
      ['ListBuckets', 's3.amazonaws.com', 'read'],
      ['DescribeInstances', 'ec2.amazonaws.com', 'read'],
    ];
    for (const [name, source, cls, extra] of table) {
      it(`${source} ${name} is ${cls}`, () => {
        const c = classifyEvent({ eventName: name, eventSource: source });
        expect(c.class).to.equal(cls);
        for (const [k, v] of Object.entries(extra ?? {})) expect(c[k as keyof typeof c]).to.equal(v);
      });
    }

    it('finds the resources that can obtain credentials, only from calls that succeeded', () => {
      const found = [
        { eventName: 'CreateUser', requestParameters: { userName: 'backdoor' } },
        {
          eventName: 'CreateAccessKey',
          responseElements: { accessKey: { accessKeyId: 'AKIANEWKEY0000000001', userName: 'backdoor' } },
        },
        { eventName: 'CreateRole', requestParameters: { roleName: 'persist' } },
        {
          eventName: 'AssumeRole',
          requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/persist' },
          responseElements: { credentials: { accessKeyId: 'ASIASESSION000000001' } },
        },
        {
          eventName: 'RunInstances',
          requestParameters: { iamInstanceProfile: { name: 'admin' } },
          responseElements: JSON.stringify({ instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0' }] } }),
        },
        {
          eventName: 'RunInstances',
          requestParameters: {},
          responseElements: { instancesSet: { items: [{ instanceId: 'i-0000000000000000a' }] } },
        },
        { eventName: 'CreateUser', errorCode: 'AccessDenied', requestParameters: { userName: 'denied' } },
      ].flatMap((e) => credentialResources(e));
      expect(found.map((r) => `${r.kind}:${r.id}${r.owner ? `@${r.owner}` : ''}`)).to.deep.equal([
        'user:backdoor',
        'accessKey:AKIANEWKEY0000000001@backdoor',
        'role:persist',
        'session:ASIASESSION000000001@persist',
        'instance:i-0123456789abcdef0',
      ]);
    });

    it('summarizes: counts per class without failed calls, one entry per resource', () => {
      const { summary } = summarizeActivity([
        { eventName: 'GetObject', eventSource: 's3.amazonaws.com' },
        { eventName: 'CreateUser', eventSource: 'iam.amazonaws.com', requestParameters: { userName: 'x' } },
        { eventName: 'CreateLoginProfile', eventSource: 'iam.amazonaws.com', requestParameters: { userName: 'x' } },
        { eventName: 'DeleteTrail', eventSource: 'cloudtrail.amazonaws.com', errorCode: 'AccessDenied' },
      ]);
      expect(summary.counts).to.include({ dataAccess: 1, identity: 2, deletion: 0 });
      expect(summary.failed).to.equal(1);
      expect(summary.credentialResources.map((r) => r.id)).to.deep.equal(['x']);
    });
  });

  describe('aws.cloudtrail.credentialActivity', () => {
    const { credentialActivity } = cloudtrailPack.actions;

    it('looks a key up in the step region and us-east-1, merges by event id and classifies', async () => {
      ct.on(LookupEventsCommand).callsFake((input: { LookupAttributes: { AttributeValue: string }[] }) => {
        expect(input.LookupAttributes[0]).to.deep.include({ AttributeKey: 'AccessKeyId' });
        return {
          Events: [
            event('e1', 'ListBuckets', 's3.amazonaws.com'),
            event('e22', 'CreateUser', 'iam.amazonaws.com', { requestParameters: { userName: 'backdoor' } }),
          ],
        };
      });
      const out = await credentialActivity.run(
        makeCtx({ aws: { region: 'eu-west-1' } }),
        { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', startTime: '2024-05-10T00:00:00Z' },
        undefined,
      );
      expect(ct.commandCalls(LookupEventsCommand)).to.have.length(2);
      expect(out.regions).to.deep.equal(['eu-west-1', 'us-east-1']);
      expect(out.count).to.equal(2);
      expect(out.summary.identity.map((e: { eventName: string }) => e.eventName)).to.deep.equal(['CreateUser']);
      expect(out.summary.credentialResources).to.deep.equal([
        {
          kind: 'user',
          id: 'backdoor',
          eventName: 'CreateUser',
          eventTime: '2024-05-10T03:00:00.000Z',
          eventId: 'e22',
        },
      ]);
      expect(JSON.stringify(out.events)).not.to.include('requestParameters');
    });

    it('for a role, follows the session keys its AssumeRole calls issued', async () => {
      const roleArn = 'arn:aws:iam::111122223333:role/app';
      ct.on(LookupEventsCommand).callsFake(
        (input: { LookupAttributes: { AttributeKey: string; AttributeValue: string }[] }) => {
          const a = input.LookupAttributes[0];
          if (a.AttributeKey === 'ResourceName')
            return {
              Events: [
                event('a1', 'AssumeRole', 'sts.amazonaws.com', {
                  requestParameters: { roleArn },
                  responseElements: { credentials: { accessKeyId: 'ASIASESSION000000001' } },
                }),
              ],
            };
          expect(a).to.deep.equal({ AttributeKey: 'AccessKeyId', AttributeValue: 'ASIASESSION000000001' });
          return { Events: [event('s1', 'GetObject', 's3.amazonaws.com', {}, 'ASIASESSION000000001')] };
        },
      );
      const out = await credentialActivity.run(makeCtx(), { roleArn, startTime: '2024-05-10T00:00:00Z' }, undefined);
      expect(out.sessionKeys).to.deep.equal(['ASIASESSION000000001']);
      expect(out.events.map((e: { eventName: string }) => e.eventName)).to.deep.equal(['GetObject']);
    });

    it('refuses no credential with IRUN_INPUT_INVALID, and uses the most specific of several', async () => {
      const err = await credentialActivity
        .run(makeCtx(), { startTime: '2024-05-10T00:00:00Z' }, undefined)
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(IrunError);
      expect((err as IrunError).code).to.equal('IRUN_INPUT_INVALID');
      ct.on(LookupEventsCommand).resolves({ Events: [] });
      const out = await credentialActivity.run(
        makeCtx(),
        { userName: 'x', roleArn: 'arn:aws:iam::111122223333:role/r', startTime: '2024-05-10T00:00:00Z' },
        undefined,
      );
      expect(out.credential).to.equal('x');
      expect(ct.commandCalls(LookupEventsCommand)[0].args[0].input.LookupAttributes).to.deep.equal([
        { AttributeKey: 'Username', AttributeValue: 'x' },
      ]);
    });
  });

  describe('aws.athena.credentialActivity', () => {
    it('builds a parameterized query: values never in the SQL text', () => {
      const hostile = "arn:aws:iam::111122223333:user/x' OR '1'='1";
      expect(() =>
        activityQuery(
          { mode: 'principalArn', value: hostile, since: '2024-05-01T00:00:00Z', database: 'default', table: 't' },
          new Date(),
        ),
      ).to.throw(/not valid/);
      const q = activityQuery(
        {
          mode: 'roleArn',
          value: 'arn:aws:iam::111122223333:role/app',
          since: '2024-05-01T00:00:00Z',
          until: '2024-05-02T00:00:00Z',
          database: 'default',
          table: 'cloudtrail_logs',
        },
        new Date(),
      );
      expect(q.query).to.include('useridentity.sessioncontext.sessionissuer.arn = ?');
      expect(q.query).not.to.include('111122223333');
      expect(q.parameters).to.deep.equal([
        'arn:aws:iam::111122223333:role/app',
        '2024-05-01T00:00:00Z',
        '2024-05-02T00:00:00Z',
        '2024/05/01',
        '2024/05/02',
      ]);
      expect(() =>
        activityQuery(
          { mode: 'accessKey', value: 'AKIAIOSFODNN7EXAMPLE', since: 'x', database: 'a;b', table: 't' },
          new Date(),
        ),
      ).to.throw(IrunError);
    });

    it('runs the query with execution parameters and classifies the rows', async () => {
      const cols = [
        'eventid',
        'eventtime',
        'eventsource',
        'eventname',
        'awsregion',
        'readonly',
        'principal_arn',
        'access_key_id',
        'sourceipaddress',
        'errorcode',
        'requestparameters',
        'responseelements',
      ];
      const row = (...v: (string | undefined)[]) => ({
        Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })),
      });
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: { State: 'SUCCEEDED' } },
      });
      athena.on(GetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: cols.map((Name) => ({ Name, Type: 'varchar' })) },
          Rows: [
            row(...cols),
            row(
              'e1',
              '2024-05-10T02:15:30Z',
              's3.amazonaws.com',
              'GetObject',
              'us-east-1',
              'true',
              'arn:aws:iam::111122223333:user/u',
              'AKIAIOSFODNN7EXAMPLE',
              '192.0.2.44',
              undefined,
              '{"bucketName":"b"}',
              undefined,
            ),
            row(
              'e2',
              '2024-05-10T02:16:00Z',
              'iam.amazonaws.com',
              'CreateAccessKey',
              'us-east-1',
              'false',
              'arn:aws:iam::111122223333:user/u',
              'AKIAIOSFODNN7EXAMPLE',
              '192.0.2.44',
              undefined,
              '{"userName":"u2"}',
              '{"accessKey":{"accessKeyId":"AKIANEWKEY0000000001","userName":"u2"}}',
            ),
          ],
        },
      });
      const ctx = makeCtx();
      ctx.sleep = async () => {};
      const out = await athenaPack.actions.credentialActivity.run(
        ctx,
        {
          mode: 'accessKey',
          value: 'AKIAIOSFODNN7EXAMPLE',
          since: '2024-05-10T00:00:00Z',
          until: '2024-05-11T00:00:00Z',
          database: 'default',
          table: 'cloudtrail_logs',
          workgroup: 'primary',
        },
        undefined,
      );
      const start = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
      expect(start.QueryString).not.to.include('AKIA');
      expect(start.ExecutionParameters?.[0]).to.equal("'AKIAIOSFODNN7EXAMPLE'");
      expect(out.summary.counts).to.include({ dataAccess: 1, identity: 1 });
      expect(out.summary.credentialResources).to.deep.include({
        kind: 'accessKey',
        id: 'AKIANEWKEY0000000001',
        owner: 'u2',
        eventName: 'CreateAccessKey',
        eventTime: '2024-05-10T02:16:00Z',
        eventId: 'e2',
      });
    });
  });
});

describe('created resources (3.7)', () => {
  it('lists what successful creating calls made, instance ids from RunInstances', () => {
    const { summary } = summarizeActivity([
      {
        eventName: 'RunInstances',
        eventSource: 'ec2.amazonaws.com',
        responseElements: {
          instancesSet: { items: [{ instanceId: 'i-0aaaaaaaaaaaaaaaa' }, { instanceId: 'i-0bbbbbbbbbbbbbbbb' }] },
        },
      },
      {
        eventName: 'CreateFunction20150331',
        eventSource: 'lambda.amazonaws.com',
        requestParameters: { functionName: 'miner' },
      },
      {
        eventName: 'CreateBucket',
        eventSource: 's3.amazonaws.com',
        requestParameters: { bucketName: 'exfil' },
        errorCode: 'AccessDenied',
      },
      { eventName: 'PutBucketPolicy', eventSource: 's3.amazonaws.com', requestParameters: { bucketName: 'data' } },
    ]);
    expect(summary.created.map((r) => `${r.type}:${r.id}${r.highValue ? '!' : ''}`)).to.deep.equal([
      'instance:i-0aaaaaaaaaaaaaaaa!',
      'instance:i-0bbbbbbbbbbbbbbbb!',
      'lambda:miner!',
    ]);
    expect(summary.instances).to.deep.equal(['i-0aaaaaaaaaaaaaaaa', 'i-0bbbbbbbbbbbbbbbb']);
  });
});
