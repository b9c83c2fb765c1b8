/**
 * aws.ec2 — instances that carry a compromised role (runbook 2.1.2.3), IMDSv2 enforcement and SSH
 * key evidence (Part 3).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { defineAction, definePlugin, type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { client, plain, send, toIrunError } from '../aws-common/index.js';
import { forensicActions } from './forensics.js';

type Sdk = typeof import('@aws-sdk/client-ec2');
const DOCS = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference';

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region of the instances (default: the step region).',
};
const instanceId = { type: 'string', pattern: '^i-[0-9a-f]{8,17}$' };
const profileArn = { type: 'string', pattern: '^arn:aws[a-z-]*:iam::\\d{12}:instance-profile/' };
const anyObject = { type: 'object', properties: {} };

async function ec2(ctx: ActionContext, r?: string): Promise<{ c: EC2Client; m: Sdk }> {
  const m = await import('@aws-sdk/client-ec2');
  return { c: await client(ctx, m.EC2Client, { region: r }), m };
}

export interface InstanceView {
  InstanceId?: string;
  KeyName?: string;
  MetadataOptions?: {
    HttpTokens?: string;
    HttpPutResponseHopLimit?: number;
    HttpEndpoint?: string;
    State?: string;
    [k: string]: unknown;
  };
  IamInstanceProfile?: { Arn?: string; Id?: string };
  State?: { Name?: string; Code?: number };
  tags: Record<string, string>;
  [k: string]: unknown;
}

/** The fields of an instance the runbook uses, as plain JSON; tags as an object. */
export function instanceView(raw: Record<string, unknown>): InstanceView {
  const p = plain<Record<string, unknown>>(raw);
  const tags = Object.fromEntries(
    ((p.Tags as { Key?: string; Value?: string }[] | undefined) ?? [])
      .filter((t) => t.Key !== undefined)
      .map((t) => [t.Key!, t.Value ?? '']),
  );
  const pick = [
    'InstanceId',
    'InstanceType',
    'KeyName',
    'MetadataOptions',
    'IamInstanceProfile',
    'State',
    'LaunchTime',
    'ImageId',
    'VpcId',
    'SubnetId',
    'PrivateIpAddress',
    'PublicIpAddress',
    'PublicDnsName',
  ];
  const out: InstanceView = { tags };
  for (const k of pick) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

interface DescribeInput {
  instanceIds?: string[];
  filters?: { name: string; values: string[] }[];
  instanceProfileArn?: string;
  maxInstances?: number;
  region?: string;
}

async function describe(
  ctx: ActionContext,
  c: EC2Client,
  m: Sdk,
  input: DescribeInput,
): Promise<{ instances: InstanceView[]; truncated: boolean }> {
  const filters = (input.filters ?? []).map((f) => ({ Name: f.name, Values: f.values }));
  if (input.instanceProfileArn) filters.push({ Name: 'iam-instance-profile.arn', Values: [input.instanceProfileArn] });
  const request = {
    ...(input.instanceIds?.length ? { InstanceIds: input.instanceIds } : {}),
    ...(filters.length ? { Filters: filters } : {}),
  };
  const max = input.maxInstances ?? 10000;
  const instances: InstanceView[] = [];
  let truncated = false;
  try {
    // MaxResults cannot be combined with InstanceIds: page size only for filtered listings.
    const config = input.instanceIds?.length ? { client: c } : { client: c, pageSize: 1000 };
    outer: for await (const page of m.paginateDescribeInstances(config, request, { abortSignal: ctx.signal })) {
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          if (instances.length >= max) {
            truncated = true;
            break outer;
          }
          instances.push(instanceView(i as Record<string, unknown>));
        }
      }
    }
  } catch (err) {
    throw toIrunError(err, 'DescribeInstances');
  }
  return { instances, truncated };
}

const describeInstances = defineAction<DescribeInput>({
  title: 'Describe EC2 instances',
  description:
    'Instances by id, by filters, or by instance profile ARN (filter iam-instance-profile.arn), all pages: InstanceId, KeyName, MetadataOptions (IMDS), IamInstanceProfile, State and tags. Find IMDSv1 instances with the filter metadata-options.http-tokens=optional.',
  docsUrl: `${DOCS}/API_DescribeInstances.html`,
  input: {
    type: 'object',
    properties: {
      instanceIds: { type: 'array', items: instanceId, maxItems: 1000 },
      filters: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1 },
            values: { type: 'array', items: { type: 'string' }, minItems: 1 },
          },
          required: ['name', 'values'],
          additionalProperties: false,
        },
      },
      instanceProfileArn: profileArn,
      maxInstances: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      instances: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            InstanceId: { type: 'string' },
            KeyName: { type: 'string' },
            MetadataOptions: anyObject,
            IamInstanceProfile: anyObject,
            State: anyObject,
            tags: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
          },
        },
      },
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
    },
    required: ['instances', 'count'],
  },
  effect: 'read',
  permissions: ['ec2:DescribeInstances'],
  example: { instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/app' },
  async run(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const { instances, truncated } = await describe(ctx, c, m, input);
    return { instances, count: instances.length, truncated };
  },
});

const describeIamInstanceProfileAssociations = defineAction<{
  instanceProfileArn?: string;
  instanceIds?: string[];
  state?: string;
  region?: string;
}>({
  title: 'Instance profile associations',
  description:
    'Which instances an instance profile is associated with (DescribeIamInstanceProfileAssociations, all pages). The API filters only by instance-id and state, so the profile ARN is matched here.',
  docsUrl: `${DOCS}/API_DescribeIamInstanceProfileAssociations.html`,
  input: {
    type: 'object',
    properties: {
      instanceProfileArn: profileArn,
      instanceIds: { type: 'array', items: instanceId },
      state: { type: 'string', enum: ['associating', 'associated', 'disassociating', 'disassociated'] },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      associations: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            AssociationId: { type: 'string' },
            InstanceId: { type: 'string' },
            IamInstanceProfile: anyObject,
            State: { type: 'string' },
          },
        },
      },
      count: { type: 'integer' },
    },
    required: ['associations', 'count'],
  },
  effect: 'read',
  permissions: ['ec2:DescribeIamInstanceProfileAssociations'],
  example: { instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/app', state: 'associated' },
  async run(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const filters = [
      ...(input.instanceIds?.length ? [{ Name: 'instance-id', Values: input.instanceIds }] : []),
      ...(input.state ? [{ Name: 'state', Values: [input.state] }] : []),
    ];
    const associations: Record<string, unknown>[] = [];
    try {
      for await (const page of m.paginateDescribeIamInstanceProfileAssociations(
        { client: c },
        filters.length ? { Filters: filters } : {},
        { abortSignal: ctx.signal },
      )) {
        for (const a of plain<{ IamInstanceProfile?: { Arn?: string } }[]>(page.IamInstanceProfileAssociations ?? [])) {
          if (!input.instanceProfileArn || a.IamInstanceProfile?.Arn === input.instanceProfileArn) associations.push(a);
        }
      }
    } catch (err) {
      throw toIrunError(err, 'DescribeIamInstanceProfileAssociations');
    }
    return { associations, count: associations.length };
  },
});

interface MetadataInput {
  instanceId: string;
  httpTokens?: 'required' | 'optional';
  httpPutResponseHopLimit?: number;
  region?: string;
}
interface MetadataState {
  instanceId: string;
  httpTokens?: string;
  httpPutResponseHopLimit?: number;
  httpEndpoint?: string;
  state?: string;
}

async function metadataState(ctx: ActionContext, c: EC2Client, m: Sdk, id: string): Promise<MetadataState> {
  const { instances } = await describe(ctx, c, m, { instanceIds: [id] });
  const i = instances[0];
  if (!i) throw new IrunError(Codes.INPUT_INVALID, `EC2 instance ${id} not found`);
  const o = i.MetadataOptions ?? {};
  return {
    instanceId: id,
    httpTokens: o.HttpTokens,
    httpPutResponseHopLimit: o.HttpPutResponseHopLimit,
    httpEndpoint: o.HttpEndpoint,
    state: o.State,
  };
}

/** How many DescribeInstances polls to wait for MetadataOptions.State "applied". */
const APPLY_POLLS = 12;

async function modifyAndWait(
  ctx: ActionContext,
  c: EC2Client,
  m: Sdk,
  want: { instanceId: string; httpTokens: string; hopLimit?: number; httpEndpoint?: string },
): Promise<MetadataState> {
  await send(
    c,
    new m.ModifyInstanceMetadataOptionsCommand({
      InstanceId: want.instanceId,
      HttpTokens: want.httpTokens as never,
      ...(want.httpEndpoint ? { HttpEndpoint: want.httpEndpoint as never } : {}),
      ...(want.hopLimit !== undefined ? { HttpPutResponseHopLimit: want.hopLimit } : {}),
    }),
    ctx,
  );
  let delay = 1000;
  let state = await metadataState(ctx, c, m, want.instanceId);
  for (let i = 0; i < APPLY_POLLS && state.state !== 'applied'; i++) {
    ctx.progress({ message: `waiting for the metadata options of ${want.instanceId} to apply` });
    await ctx.sleep(delay);
    delay = Math.min(delay * 2, 10000);
    state = await metadataState(ctx, c, m, want.instanceId);
  }
  if (state.state !== 'applied')
    ctx.log.warn(`metadata options of ${want.instanceId} still ${state.state ?? 'unknown'}; check again later`);
  return state;
}

async function captureMetadata(ctx: ActionContext, input: MetadataInput): Promise<MetadataState> {
  const { c, m } = await ec2(ctx, input.region);
  const before = await metadataState(ctx, c, m, input.instanceId);
  await ctx.evidence.save('instance-metadata-options-before', before);
  return before;
}

function isNoop(input: MetadataInput, before: MetadataState): boolean {
  return (
    before.httpTokens === (input.httpTokens ?? 'required') &&
    (input.httpPutResponseHopLimit === undefined || before.httpPutResponseHopLimit === input.httpPutResponseHopLimit)
  );
}

const modifyInstanceMetadataOptions = defineAction<MetadataInput, Record<string, unknown>, MetadataState>({
  title: 'Require IMDSv2 on an instance',
  description:
    'Set the instance metadata options (ModifyInstanceMetadataOptions): HttpTokens required (IMDSv2 only) by default, optionally the hop limit, then poll until the change is applied (bounded). A disabled metadata endpoint stays disabled. Undo restores the previous HttpTokens, hop limit and endpoint state.',
  docsUrl: `${DOCS}/API_ModifyInstanceMetadataOptions.html`,
  input: {
    type: 'object',
    properties: {
      instanceId,
      httpTokens: { type: 'string', enum: ['required', 'optional'], default: 'required' },
      httpPutResponseHopLimit: { type: 'integer', minimum: 1, maximum: 64 },
      region,
    },
    required: ['instanceId'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      applied: { type: 'boolean' },
      instanceId: { type: 'string' },
      before: anyObject,
      after: anyObject,
    },
    required: ['changed'],
  },
  effect: 'mutate',
  permissions: ['ec2:DescribeInstances', 'ec2:ModifyInstanceMetadataOptions'],
  example: { instanceId: 'i-0123456789abcdef0' },
  capture: captureMetadata,
  async preview(_ctx, input, before) {
    const tokens = input.httpTokens ?? 'required';
    const noop = before !== undefined && isNoop(input, before);
    return {
      summary: noop
        ? `Instance ${input.instanceId} already has HttpTokens=${tokens}`
        : `Set HttpTokens=${tokens} on instance ${input.instanceId}${input.httpPutResponseHopLimit ? ` (hop limit ${input.httpPutResponseHopLimit})` : ''}`,
      noop,
      before,
      after: before
        ? {
            ...before,
            httpTokens: tokens,
            ...(input.httpPutResponseHopLimit ? { httpPutResponseHopLimit: input.httpPutResponseHopLimit } : {}),
          }
        : undefined,
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await ec2(ctx, input.region);
    const b = before ?? (await captureMetadata(ctx, input));
    if (isNoop(input, b))
      return { changed: false, applied: b.state === 'applied', instanceId: input.instanceId, before: b, after: b };
    const after = await modifyAndWait(ctx, c, m, {
      instanceId: input.instanceId,
      httpTokens: input.httpTokens ?? 'required',
      hopLimit: input.httpPutResponseHopLimit,
      httpEndpoint: b.httpEndpoint === 'disabled' ? 'disabled' : 'enabled',
    });
    await ctx.evidence.save('instance-metadata-options-after', after);
    return { changed: true, applied: after.state === 'applied', instanceId: input.instanceId, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!before || output?.changed === false) return { restored: false, reason: 'nothing was changed' };
    const { c, m } = await ec2(ctx, input.region);
    const state = await modifyAndWait(ctx, c, m, {
      instanceId: input.instanceId,
      httpTokens: before.httpTokens ?? 'optional',
      hopLimit: before.httpPutResponseHopLimit,
      httpEndpoint: before.httpEndpoint,
    });
    return { restored: true, state };
  },
});

const describeKeyPairs = defineAction<{ keyNames?: string[]; keyPairIds?: string[]; region?: string }>({
  title: 'Describe SSH key pairs',
  description:
    'EC2 key pairs with their fingerprints (DescribeKeyPairs): evidence for the manual SSH key rotation step.',
  docsUrl: `${DOCS}/API_DescribeKeyPairs.html`,
  input: {
    type: 'object',
    properties: {
      keyNames: { type: 'array', items: { type: 'string', minLength: 1 } },
      keyPairIds: { type: 'array', items: { type: 'string', pattern: '^key-[0-9a-f]+$' } },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      keyPairs: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            KeyPairId: { type: 'string' },
            KeyName: { type: 'string' },
            KeyFingerprint: { type: 'string' },
            KeyType: { type: 'string' },
          },
        },
      },
      count: { type: 'integer' },
    },
    required: ['keyPairs', 'count'],
  },
  effect: 'read',
  permissions: ['ec2:DescribeKeyPairs'],
  example: { keyNames: ['app-key'] },
  async run(ctx, input) {
    const { c, m } = await ec2(ctx, input.region);
    const out = await send<{ KeyPairs?: unknown[] }>(
      c,
      new m.DescribeKeyPairsCommand({
        ...(input.keyNames?.length ? { KeyNames: input.keyNames } : {}),
        ...(input.keyPairIds?.length ? { KeyPairIds: input.keyPairIds } : {}),
      }),
      ctx,
    );
    const keyPairs = plain<unknown[]>(out?.KeyPairs ?? []);
    return { keyPairs, count: keyPairs.length };
  },
});

export default definePlugin({
  namespace: 'aws.ec2',
  description: 'Amazon EC2: instances using a role, IMDSv2 enforcement, SSH key pair evidence, forensic isolation.',
  actions: {
    describeInstances,
    describeIamInstanceProfileAssociations,
    modifyInstanceMetadataOptions,
    describeKeyPairs,
    ...forensicActions,
  },
});
