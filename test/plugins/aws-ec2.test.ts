import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  EC2Client,
  ModifyInstanceMetadataOptionsCommand,
  type DescribeInstancesResult,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import pack from '../../plugins/aws-ec2/index.js';
import { makeCtx } from '../helpers/ctx.js';

const ec2 = mockClient(EC2Client);
const a = pack.actions;
const ID = 'i-0123456789abcdef0';
const PROFILE = 'arn:aws:iam::111122223333:instance-profile/app';

function instance(meta: Record<string, unknown>, over: Record<string, unknown> = {}): DescribeInstancesResult {
  return {
    Reservations: [
      {
        Instances: [
          {
            InstanceId: ID,
            KeyName: 'app-key',
            State: { Name: 'running', Code: 16 },
            LaunchTime: new Date('2024-02-03T04:05:06Z'),
            IamInstanceProfile: { Arn: PROFILE, Id: 'AIPAEXAMPLE' },
            MetadataOptions: {
              HttpTokens: 'optional',
              HttpPutResponseHopLimit: 1,
              HttpEndpoint: 'enabled',
              State: 'applied',
              ...meta,
            },
            Tags: [{ Key: 'Name', Value: 'web' }],
            ...over,
          },
        ],
      },
    ],
  } as DescribeInstancesResult;
}

function noSleep(ctx: ReturnType<typeof makeCtx>): number[] {
  const slept: number[] = [];
  ctx.sleep = async (ms: number) => {
    slept.push(ms);
  };
  return slept;
}

describe('aws.ec2', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => ec2.reset());

  it('describeInstances by instance profile ARN: filter sent, pages followed, tags as an object', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ ...instance({}), NextToken: 't2' })
      .resolvesOnce(instance({ HttpTokens: 'required' }, { InstanceId: 'i-0fedcba9876543210', Tags: [] }));
    const out = await a.describeInstances.run(
      makeCtx(),
      { instanceProfileArn: PROFILE, filters: [{ name: 'instance-state-name', values: ['running'] }] },
      undefined,
    );
    const calls = ec2.commandCalls(DescribeInstancesCommand);
    expect(calls).to.have.length(2);
    expect(calls[0].args[0].input.Filters).to.deep.equal([
      { Name: 'instance-state-name', Values: ['running'] },
      { Name: 'iam-instance-profile.arn', Values: [PROFILE] },
    ]);
    expect(calls[1].args[0].input.NextToken).to.equal('t2');
    expect(out.count).to.equal(2);
    expect(out.instances[0]).to.deep.include({
      InstanceId: ID,
      KeyName: 'app-key',
      LaunchTime: '2024-02-03T04:05:06.000Z',
      tags: { Name: 'web' },
    });
    expect(out.instances[0].MetadataOptions.HttpTokens).to.equal('optional');
    expect(out.instances[1].tags).to.deep.equal({});
  });

  it('describeInstances by ids does not send MaxResults (the API rejects it with InstanceIds)', async () => {
    ec2.on(DescribeInstancesCommand).resolves(instance({}));
    await a.describeInstances.run(makeCtx(), { instanceIds: [ID] }, undefined);
    const input = ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input;
    expect(input.InstanceIds).to.deep.equal([ID]);
    expect(input.MaxResults).to.equal(undefined);
  });

  it('describeIamInstanceProfileAssociations matches the profile ARN client-side', async () => {
    ec2
      .on(DescribeIamInstanceProfileAssociationsCommand)
      .resolvesOnce({
        IamInstanceProfileAssociations: [
          { AssociationId: 'a1', InstanceId: ID, IamInstanceProfile: { Arn: PROFILE }, State: 'associated' },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({
        IamInstanceProfileAssociations: [
          {
            AssociationId: 'a2',
            InstanceId: 'i-0aaaaaaaaaaaaaaaa',
            IamInstanceProfile: { Arn: `${PROFILE}-other` },
            State: 'associated',
          },
        ],
      });
    const out = await a.describeIamInstanceProfileAssociations.run(
      makeCtx(),
      { instanceProfileArn: PROFILE, state: 'associated' },
      undefined,
    );
    expect(out.associations.map((x: { AssociationId: string }) => x.AssociationId)).to.deep.equal(['a1']);
    expect(ec2.commandCalls(DescribeIamInstanceProfileAssociationsCommand)[0].args[0].input.Filters).to.deep.equal([
      { Name: 'state', Values: ['associated'] },
    ]);
  });

  it('modifyInstanceMetadataOptions requires IMDSv2, polls until applied, and undo restores tokens and hop limit', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(instance({ HttpTokens: 'optional', HttpPutResponseHopLimit: 2 }))
      .resolvesOnce(instance({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, State: 'pending' }))
      .resolves(instance({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, State: 'applied' }));
    ec2.on(ModifyInstanceMetadataOptionsCommand).resolves({});
    const ctx = makeCtx();
    const slept = noSleep(ctx);
    const before = await a.modifyInstanceMetadataOptions.capture!(ctx, { instanceId: ID });
    expect(before).to.include({ httpTokens: 'optional', httpPutResponseHopLimit: 2 });
    const output = await a.modifyInstanceMetadataOptions.run(ctx, { instanceId: ID }, before);
    expect(ec2.commandCalls(ModifyInstanceMetadataOptionsCommand)[0].args[0].input).to.deep.equal({
      InstanceId: ID,
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
    });
    expect(output).to.include({ changed: true, applied: true });
    expect(slept).to.have.length(1);
    expect(ctx.saved.map((s) => s.name)).to.deep.equal([
      'instance-metadata-options-before',
      'instance-metadata-options-after',
    ]);
    ec2
      .on(DescribeInstancesCommand)
      .resolves(instance({ HttpTokens: 'optional', HttpPutResponseHopLimit: 2, State: 'applied' }));
    await a.modifyInstanceMetadataOptions.undo!(ctx, { instanceId: ID }, before, output);
    expect(ec2.commandCalls(ModifyInstanceMetadataOptionsCommand)[1].args[0].input).to.deep.equal({
      InstanceId: ID,
      HttpTokens: 'optional',
      HttpEndpoint: 'enabled',
      HttpPutResponseHopLimit: 2,
    });
  });

  it('modifyInstanceMetadataOptions gives up waiting after a bounded number of polls and says so', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(instance({}))
      .resolves(instance({ HttpTokens: 'required', State: 'pending' }));
    ec2.on(ModifyInstanceMetadataOptionsCommand).resolves({});
    const ctx = makeCtx();
    const slept = noSleep(ctx);
    const before = await a.modifyInstanceMetadataOptions.capture!(ctx, { instanceId: ID });
    const output = await a.modifyInstanceMetadataOptions.run(ctx, { instanceId: ID }, before);
    expect(output).to.include({ changed: true, applied: false });
    expect(slept.length).to.be.greaterThan(0).and.lessThan(20);
    expect(ctx.logs.some((l) => l.level === 'warn')).to.equal(true);
  });

  it('modifyInstanceMetadataOptions is a no-op when tokens are already required; preview says so', async () => {
    ec2.on(DescribeInstancesCommand).resolves(instance({ HttpTokens: 'required' }));
    const ctx = makeCtx();
    const before = await a.modifyInstanceMetadataOptions.capture!(ctx, { instanceId: ID });
    expect((await a.modifyInstanceMetadataOptions.preview!(ctx, { instanceId: ID }, before)).noop).to.equal(true);
    expect((await a.modifyInstanceMetadataOptions.run(ctx, { instanceId: ID }, before)).changed).to.equal(false);
    expect(ec2.commandCalls(ModifyInstanceMetadataOptionsCommand)).to.have.length(0);
  });

  it('under dry-run the change is blocked before the client', async () => {
    ec2.on(DescribeInstancesCommand).resolves(instance({}));
    ec2.on(ModifyInstanceMetadataOptionsCommand).resolves({});
    const ctx = makeCtx({ dryRun: true });
    const before = await a.modifyInstanceMetadataOptions.capture!(ctx, { instanceId: ID });
    const plan = await a.modifyInstanceMetadataOptions.preview!(ctx, { instanceId: ID }, before);
    expect(plan.noop).to.equal(false);
    const err = await a.modifyInstanceMetadataOptions.run(ctx, { instanceId: ID }, before).catch((e: unknown) => e);
    expect((err as IrunError).code).to.equal('IRUN_DRY_RUN_BLOCKED');
    expect(ec2.commandCalls(ModifyInstanceMetadataOptionsCommand)).to.have.length(0);
  });

  it('maps an unknown instance id and AccessDenied to IRUN_AWS_* codes with the request id', async () => {
    ec2.on(DescribeInstancesCommand).rejects(
      Object.assign(new Error('The instance ID does not exist'), {
        name: 'InvalidInstanceID.NotFound',
        $metadata: { requestId: 'r-9', httpStatusCode: 400 },
      }),
    );
    const err = await a.modifyInstanceMetadataOptions.capture!(makeCtx(), { instanceId: ID }).catch((e: unknown) => e);
    expect((err as IrunError).code).to.equal('IRUN_AWS_INVALID_INSTANCE_ID_NOT_FOUND');
    ec2.on(DescribeKeyPairsCommand).rejects(
      Object.assign(new Error('denied'), {
        name: 'UnauthorizedOperation',
        $metadata: { requestId: 'r-10', httpStatusCode: 403 },
      }),
    );
    const err2 = await a.describeKeyPairs.run(makeCtx(), {}, undefined).catch((e: unknown) => e);
    expect((err2 as IrunError).code).to.equal('IRUN_AWS_UNAUTHORIZED_OPERATION');
    expect((err2 as IrunError).details?.requestId).to.equal('r-10');
  });

  it('describeKeyPairs returns fingerprints as evidence', async () => {
    ec2.on(DescribeKeyPairsCommand).resolves({
      KeyPairs: [
        {
          KeyPairId: 'key-0abc',
          KeyName: 'app-key',
          KeyFingerprint: 'aa:bb',
          KeyType: 'rsa',
          CreateTime: new Date(0),
        },
      ],
    });
    const out = await a.describeKeyPairs.run(makeCtx(), { keyNames: ['app-key'] }, undefined);
    expect(ec2.commandCalls(DescribeKeyPairsCommand)[0].args[0].input).to.deep.equal({ KeyNames: ['app-key'] });
    expect(out).to.deep.equal({
      keyPairs: [
        {
          KeyPairId: 'key-0abc',
          KeyName: 'app-key',
          KeyFingerprint: 'aa:bb',
          KeyType: 'rsa',
          CreateTime: '1970-01-01T00:00:00.000Z',
        },
      ],
      count: 1,
    });
  });
});
