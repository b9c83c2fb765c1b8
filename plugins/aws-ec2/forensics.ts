/**
 * Isolate rather than delete (credential leakage 3.7, Part 4, 5.1): stop instances, snapshot
 * their EBS volumes for forensics with tags that tie the snapshot to the incident, move an
 * instance into an isolation security group with no rules, and — as a separate change that
 * cannot be undone — terminate.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { Codes, defineAction, type ActionContext, IrunError } from '../../engine/plugins/api.js';
import { client, plain, send } from '../aws-common/index.js';

type Sdk = typeof import('@aws-sdk/client-ec2');
const DOCS = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference';

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region (default: the step region).',
};
const instanceId = { type: 'string', pattern: '^i-[0-9a-f]{8,17}$' };
const instanceIds = { type: 'array', items: instanceId, minItems: 1, maxItems: 100, uniqueItems: true };

async function ec2(ctx: ActionContext, r?: string): Promise<{ c: EC2Client; m: Sdk }> {
  const m = await import('@aws-sdk/client-ec2');
  return { c: await client(ctx, m.EC2Client, { region: r }), m };
}

export interface InstanceFacts {
  instanceId: string;
  state: string;
  vpcId?: string;
  securityGroups: string[];
  volumes: { volumeId: string; device?: string }[];
}

async function facts(ctx: ActionContext, c: EC2Client, m: Sdk, ids: string[]): Promise<InstanceFacts[]> {
  const out = await send<{ Reservations?: { Instances?: Record<string, unknown>[] }[] }>(
    c,
    new m.DescribeInstancesCommand({ InstanceIds: ids }),
    ctx,
  );
  const list = (out?.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => plain<Record<string, unknown>>(i));
  return ids.map((id) => {
    const i = list.find((x) => x.InstanceId === id);
    if (!i) throw new IrunError(Codes.INPUT_INVALID, `instance ${id} was not found`);
    const mappings =
      (i.BlockDeviceMappings as { DeviceName?: string; Ebs?: { VolumeId?: string } }[] | undefined) ?? [];
    return {
      instanceId: id,
      state: (i.State as { Name?: string } | undefined)?.Name ?? 'unknown',
      ...(typeof i.VpcId === 'string' ? { vpcId: i.VpcId } : {}),
      securityGroups: ((i.SecurityGroups as { GroupId?: string }[] | undefined) ?? []).map((g) => g.GroupId ?? ''),
      volumes: mappings
        .filter((b) => b.Ebs?.VolumeId)
        .map((b) => ({ volumeId: b.Ebs!.VolumeId!, ...(b.DeviceName ? { device: b.DeviceName } : {}) })),
    };
  });
}

interface IdsInput {
  instanceIds: string[];
  region?: string;
}

const stopInstances = defineAction<IdsInput, Record<string, unknown>, { instances: InstanceFacts[] }>({
  title: 'Stop instances',
  description:
    'Stop running instances (StopInstances), keeping their volumes for forensics and stopping whatever runs on them. Instances already stopped are left alone. Memory is lost: capture it first if it matters. Undo starts the instances that were running.',
  docsUrl: `${DOCS}/API_StopInstances.html`,
  input: {
    type: 'object',
    properties: { instanceIds, region },
    required: ['instanceIds'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { changed: { type: 'boolean' }, stopped: { type: 'array', items: { type: 'string' } } },
    required: ['changed', 'stopped'],
  },
  effect: 'mutate',
  permissions: ['ec2:DescribeInstances', 'ec2:StopInstances', 'ec2:StartInstances'],
  example: { instanceIds: ['i-0123456789abcdef0'] },
  async capture(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const before = { instances: await facts(ctx, c, m, input.instanceIds) };
    await ctx.evidence.save('instances-before', before);
    return before;
  },
  async preview(_ctx, input, before) {
    const running = running_(before);
    return {
      summary: running.length
        ? `Stop ${running.length} instance(s): ${running.join(', ')}`
        : `No running instance among ${input.instanceIds.join(', ')}`,
      noop: running.length === 0,
      before: before?.instances.map((i) => ({ instanceId: i.instanceId, state: i.state })),
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await ec2(ctx, input.region);
    const b = before ?? { instances: await facts(ctx, c, m, input.instanceIds) };
    const ids = running_(b);
    if (ids.length) await send(c, new m.StopInstancesCommand({ InstanceIds: ids }), ctx);
    return { changed: ids.length > 0, stopped: ids };
  },
  reversible: () => true,
  async undo(ctx, input, _before, output) {
    const ids = (output?.stopped as string[] | undefined) ?? [];
    if (!ids.length) return { restored: false, reason: 'nothing was stopped' };
    const { c, m } = await ec2(ctx, input.region);
    await send(c, new m.StartInstancesCommand({ InstanceIds: ids }), ctx);
    return { restored: true, started: ids };
  },
});

function running_(before: { instances: InstanceFacts[] } | undefined): string[] {
  return (before?.instances ?? [])
    .filter((i) => i.state === 'running' || i.state === 'pending')
    .map((i) => i.instanceId);
}

interface SnapshotInput {
  instanceIds: string[];
  tags?: Record<string, string>;
  description?: string;
  region?: string;
}

const snapshotVolumes = defineAction<SnapshotInput, Record<string, unknown>, { instances: InstanceFacts[] }>({
  title: 'Snapshot the volumes of instances for forensics',
  description:
    'Create an EBS snapshot of every volume attached to the instances (CreateSnapshot with TagSpecifications), tagged with the given tags plus irun:run, irun:instance and irun:device, so the evidence outlives the instance. Undo deletes the snapshots this step created.',
  docsUrl: `${DOCS}/API_CreateSnapshot.html`,
  input: {
    type: 'object',
    properties: {
      instanceIds,
      tags: {
        type: 'object',
        properties: {},
        additionalProperties: { type: 'string', maxLength: 256 },
        propertyNames: { pattern: '^[^:][\\w .:/=+@-]{0,127}$' },
      },
      description: { type: 'string', maxLength: 255 },
      region,
    },
    required: ['instanceIds'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      snapshots: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            snapshotId: { type: 'string' },
            volumeId: { type: 'string' },
            instanceId: { type: 'string' },
            device: { type: 'string' },
          },
          required: ['snapshotId', 'volumeId'],
        },
      },
    },
    required: ['changed', 'snapshots'],
  },
  effect: 'mutate',
  permissions: ['ec2:DescribeInstances', 'ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:DeleteSnapshot'],
  example: { instanceIds: ['i-0123456789abcdef0'], tags: { incident: 'SEC-1234' } },
  async capture(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const before = { instances: await facts(ctx, c, m, input.instanceIds) };
    await ctx.evidence.save('instance-volumes', before);
    return before;
  },
  async preview(_ctx, input, before) {
    const vols = (before?.instances ?? []).flatMap((i) => i.volumes.map((v) => v.volumeId));
    return {
      summary: vols.length
        ? `Snapshot ${vols.length} volume(s) of ${input.instanceIds.join(', ')} for forensics: ${vols.join(', ')}`
        : `${input.instanceIds.join(', ')}: no EBS volume to snapshot`,
      noop: vols.length === 0,
      details: { tags: input.tags ?? {} },
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await ec2(ctx, input.region);
    const b = before ?? { instances: await facts(ctx, c, m, input.instanceIds) };
    const snapshots: { snapshotId: string; volumeId: string; instanceId: string; device?: string }[] = [];
    for (const i of b.instances) {
      for (const v of i.volumes) {
        const tags = {
          ...(input.tags ?? {}),
          'irun:run': ctx.runId,
          'irun:instance': i.instanceId,
          ...(v.device ? { 'irun:device': v.device } : {}),
        };
        const out = await send<{ SnapshotId?: string }>(
          c,
          new m.CreateSnapshotCommand({
            VolumeId: v.volumeId,
            Description: input.description ?? `Forensic snapshot of ${v.volumeId} (${i.instanceId}), run ${ctx.runId}`,
            TagSpecifications: [
              { ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
            ],
          }),
          ctx,
        );
        if (out?.SnapshotId)
          snapshots.push({
            snapshotId: out.SnapshotId,
            volumeId: v.volumeId,
            instanceId: i.instanceId,
            ...(v.device ? { device: v.device } : {}),
          });
      }
    }
    return { changed: snapshots.length > 0, snapshots };
  },
  reversible: () => true,
  async undo(ctx, input, _before, output) {
    const snaps = (output?.snapshots as { snapshotId: string }[] | undefined) ?? [];
    if (!snaps.length) return { restored: false, reason: 'no snapshot was created' };
    const { c, m } = await ec2(ctx, input.region);
    for (const s of snaps) await send(c, new m.DeleteSnapshotCommand({ SnapshotId: s.snapshotId }), ctx);
    return { restored: true, deleted: snaps.map((s) => s.snapshotId) };
  },
});

interface Isolation {
  instanceId: string;
  groupId: string;
  previousGroups: string[];
}

const isolateInstances = defineAction<IdsInput, Record<string, unknown>, { instances: InstanceFacts[] }>({
  title: 'Move instances into an isolation security group',
  description:
    "Create, per VPC, a security group with no inbound and no outbound rule (CreateSecurityGroup, RevokeSecurityGroupEgress of the default rule) and make it each instance's only group (ModifyInstanceAttribute Groups). New connections are refused; connections already tracked may last until they close, so stop the instances too when that matters. The previous groups are the before-state; undo puts them back and deletes the isolation groups.",
  docsUrl: `${DOCS}/API_ModifyInstanceAttribute.html`,
  input: {
    type: 'object',
    properties: { instanceIds, region },
    required: ['instanceIds'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      groups: { type: 'array', items: { type: 'string' } },
      isolations: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            instanceId: { type: 'string' },
            groupId: { type: 'string' },
            previousGroups: { type: 'array', items: { type: 'string' } },
          },
          required: ['instanceId', 'groupId', 'previousGroups'],
        },
      },
    },
    required: ['changed', 'groups', 'isolations'],
  },
  effect: 'mutate',
  permissions: [
    'ec2:DescribeInstances',
    'ec2:CreateSecurityGroup',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:ModifyInstanceAttribute',
    'ec2:CreateTags',
    'ec2:DeleteSecurityGroup',
  ],
  example: { instanceIds: ['i-0123456789abcdef0'] },
  async capture(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const instances = await facts(ctx, c, m, input.instanceIds);
    const outside = instances.filter((i) => !i.vpcId).map((i) => i.instanceId);
    if (outside.length)
      throw new IrunError(
        Codes.INPUT_INVALID,
        `${outside.join(', ')} not in a VPC: cannot be isolated by security group (stop them instead)`,
      );
    await ctx.evidence.save('instance-groups-before', { instances });
    return { instances };
  },
  async preview(_ctx, input, before) {
    return {
      summary: `Replace the security groups of ${input.instanceIds.join(', ')} with an isolation group that allows no traffic`,
      before: before?.instances.map((i) => ({ instanceId: i.instanceId, groups: i.securityGroups })),
      after: input.instanceIds.map((instanceId) => ({ instanceId, groups: ['(isolation group)'] })),
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await ec2(ctx, input.region);
    const b = before ?? { instances: await facts(ctx, c, m, input.instanceIds) };
    const byVpc = new Map<string, string>();
    const isolations: Isolation[] = [];
    for (const i of b.instances) {
      let groupId = byVpc.get(i.vpcId!);
      if (!groupId) {
        groupId = await isolationGroup(ctx, c, m, i.vpcId!);
        byVpc.set(i.vpcId!, groupId);
      }
      await send(c, new m.ModifyInstanceAttributeCommand({ InstanceId: i.instanceId, Groups: [groupId] }), ctx);
      isolations.push({ instanceId: i.instanceId, groupId, previousGroups: i.securityGroups });
    }
    return { changed: isolations.length > 0, groups: [...byVpc.values()], isolations };
  },
  reversible: () => true,
  async undo(ctx, input, _before, output) {
    const isolations = (output?.isolations as Isolation[] | undefined) ?? [];
    if (!isolations.length) return { restored: false, reason: 'nothing was changed' };
    const { c, m } = await ec2(ctx, input.region);
    for (const i of isolations)
      await send(c, new m.ModifyInstanceAttributeCommand({ InstanceId: i.instanceId, Groups: i.previousGroups }), ctx);
    for (const g of (output?.groups as string[] | undefined) ?? [])
      await send(c, new m.DeleteSecurityGroupCommand({ GroupId: g }), ctx);
    return { restored: true, instances: isolations.map((i) => i.instanceId) };
  },
});

async function isolationGroup(ctx: ActionContext, c: EC2Client, m: Sdk, vpcId: string): Promise<string> {
  const sg = await send<{ GroupId?: string }>(
    c,
    new m.CreateSecurityGroupCommand({
      GroupName: `irun-isolation-${vpcId}-${ctx.runId}`.slice(0, 255),
      Description: 'Isolation: no traffic in or out',
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'irun:run', Value: ctx.runId }] }],
    }),
    ctx,
  );
  const groupId = sg?.GroupId as string;
  await send(
    c,
    new m.RevokeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
    ctx,
  );
  return groupId;
}

const NO_UNDO_TERMINATE =
  'a terminated instance cannot be brought back; its root volume is usually deleted with it — snapshot and stop instead when in doubt';

const terminateInstances = defineAction<IdsInput, Record<string, unknown>, { instances: InstanceFacts[] }>({
  title: 'Terminate instances (cannot be undone)',
  description: `Terminate instances (TerminateInstances). Their state and volumes are recorded first as evidence, but ${NO_UNDO_TERMINATE}.`,
  docsUrl: `${DOCS}/API_TerminateInstances.html`,
  input: {
    type: 'object',
    properties: { instanceIds, region },
    required: ['instanceIds'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { changed: { type: 'boolean' }, terminated: { type: 'array', items: { type: 'string' } } },
    required: ['changed', 'terminated'],
  },
  effect: 'mutate',
  permissions: ['ec2:DescribeInstances', 'ec2:TerminateInstances'],
  example: { instanceIds: ['i-0123456789abcdef0'] },
  async capture(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const before = { instances: await facts(ctx, c, m, input.instanceIds) };
    await ctx.evidence.save('instances-before-termination', before);
    return before;
  },
  async preview(_ctx, input) {
    return {
      summary: `Terminate ${input.instanceIds.join(', ')} — CANNOT BE UNDONE: ${NO_UNDO_TERMINATE}`,
      details: { irreversible: true },
    };
  },
  async run(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    await send(c, new m.TerminateInstancesCommand({ InstanceIds: input.instanceIds }), ctx);
    return { changed: true, terminated: input.instanceIds };
  },
  reversible: () => NO_UNDO_TERMINATE,
});

export const forensicActions = { stopInstances, snapshotVolumes, isolateInstances, terminateInstances };
