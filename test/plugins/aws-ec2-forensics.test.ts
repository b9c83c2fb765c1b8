import {
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import pack from '../../plugins/aws-ec2/index.js';
import { makeCtx } from '../helpers/ctx.js';

const ec2 = mockClient(EC2Client);
const a = pack.actions;
const ID = 'i-0123456789abcdef0';

function instances(list: { id: string; state: string }[]) {
  return {
    Reservations: [
      {
        Instances: list.map((i) => ({
          InstanceId: i.id,
          State: { Name: i.state as never },
          VpcId: 'vpc-1',
          SecurityGroups: [{ GroupId: 'sg-app' }, { GroupId: 'sg-ssh' }],
          BlockDeviceMappings: [
            { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-root' } },
            { DeviceName: '/dev/xvdb', Ebs: { VolumeId: 'vol-data' } },
          ],
        })),
      },
    ],
  };
}

async function change(name: string, input: Record<string, unknown>) {
  const ctx = makeCtx();
  const def = a[name];
  const before = await def.capture!(ctx, input);
  const preview = await def.preview!(ctx, input, before);
  const output = await def.run(ctx, input, before);
  return { ctx, def, before, preview, output, reversible: def.reversible!(input, before, output) };
}

describe('aws.ec2 forensic isolation', () => {
  beforeEach(() => ec2.reset());

  it('stopInstances stops the running ones; undo starts them', async () => {
    ec2.on(DescribeInstancesCommand).resolves(
      instances([
        { id: ID, state: 'running' },
        { id: 'i-0000000000000000b', state: 'stopped' },
      ]),
    );
    const input = { instanceIds: [ID, 'i-0000000000000000b'] };
    const r = await change('stopInstances', input);
    expect(ec2.commandCalls(StopInstancesCommand)[0].args[0].input).to.deep.equal({ InstanceIds: [ID] });
    await r.def.undo!(r.ctx, input, r.before, r.output);
    expect(ec2.commandCalls(StartInstancesCommand)[0].args[0].input).to.deep.equal({ InstanceIds: [ID] });
  });

  it('snapshotVolumes snapshots every volume with the incident tags; undo deletes them', async () => {
    ec2.on(DescribeInstancesCommand).resolves(instances([{ id: ID, state: 'stopped' }]));
    ec2.on(CreateSnapshotCommand).callsFake((i: { VolumeId: string }) => ({ SnapshotId: `snap-${i.VolumeId}` }));
    const input = { instanceIds: [ID], tags: { incident: 'SEC-1' } };
    const r = await change('snapshotVolumes', input);
    const calls = ec2.commandCalls(CreateSnapshotCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.VolumeId)).to.deep.equal(['vol-root', 'vol-data']);
    expect(calls[0].TagSpecifications?.[0].Tags).to.deep.include.members([
      { Key: 'incident', Value: 'SEC-1' },
      { Key: 'irun:instance', Value: ID },
      { Key: 'irun:device', Value: '/dev/xvda' },
    ]);
    expect(r.output.snapshots).to.have.length(2);
    await r.def.undo!(r.ctx, input, r.before, r.output);
    expect(ec2.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotId)).to.deep.equal([
      'snap-vol-root',
      'snap-vol-data',
    ]);
  });

  it('isolateInstances swaps in a rule-less group; undo restores the groups and deletes it', async () => {
    ec2.on(DescribeInstancesCommand).resolves(instances([{ id: ID, state: 'running' }]));
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-iso' });
    const input = { instanceIds: [ID] };
    const r = await change('isolateInstances', input);
    expect(ec2.commandCalls(CreateSecurityGroupCommand)[0].args[0].input.VpcId).to.equal('vpc-1');
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)[0].args[0].input.GroupId).to.equal('sg-iso');
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)[0].args[0].input).to.deep.equal({
      InstanceId: ID,
      Groups: ['sg-iso'],
    });
    expect(r.output.isolations[0].previousGroups).to.deep.equal(['sg-app', 'sg-ssh']);
    await r.def.undo!(r.ctx, input, r.before, r.output);
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)[1].args[0].input).to.deep.equal({
      InstanceId: ID,
      Groups: ['sg-app', 'sg-ssh'],
    });
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)[0].args[0].input).to.deep.equal({ GroupId: 'sg-iso' });
  });

  it('terminateInstances says it cannot be undone and is not reversible', async () => {
    ec2.on(DescribeInstancesCommand).resolves(instances([{ id: ID, state: 'running' }]));
    const r = await change('terminateInstances', { instanceIds: [ID] });
    expect(r.preview.summary).to.match(/CANNOT BE UNDONE/);
    expect(ec2.commandCalls(TerminateInstancesCommand)).to.have.length(1);
    expect(r.reversible).to.be.a('string');
  });
});
