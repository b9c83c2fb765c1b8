/** aws.sts — who am I, and which account owns an access key (runbook step 1.5). */
import type { STSClient } from '@aws-sdk/client-sts';
import { defineAction, definePlugin, type ActionContext } from '../../engine/plugins/api.js';
import { client, send } from '../aws-common/index.js';

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region of the STS endpoint (default: the step region).',
};

async function sts(ctx: ActionContext, r?: string): Promise<{ c: STSClient; m: typeof import('@aws-sdk/client-sts') }> {
  const m = await import('@aws-sdk/client-sts');
  return { c: await client(ctx, m.STSClient, { region: r }), m };
}

/** AKIA… is a long-term IAM user key; ASIA… a temporary STS session key. */
export function accessKeyType(accessKeyId: string): 'long-term' | 'session' | 'unknown' {
  if (accessKeyId.startsWith('AKIA')) return 'long-term';
  if (accessKeyId.startsWith('ASIA')) return 'session';
  return 'unknown';
}

const getCallerIdentity = defineAction<{ region?: string }, { account: string; arn: string; userId: string }>({
  title: 'Who is calling',
  description:
    'The account, ARN and user id of the credentials irun runs with (GetCallerIdentity). Needs no IAM permission.',
  docsUrl: 'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html',
  input: { type: 'object', properties: { region }, additionalProperties: false },
  output: {
    type: 'object',
    properties: { account: { type: 'string' }, arn: { type: 'string' }, userId: { type: 'string' } },
    required: ['account', 'arn', 'userId'],
  },
  effect: 'read',
  permissions: [],
  example: {},
  async run(ctx, input) {
    const { c, m } = await sts(ctx, input.region);
    const out = await send<{ Account?: string; Arn?: string; UserId?: string }>(
      c,
      new m.GetCallerIdentityCommand({}),
      ctx,
    );
    return { account: out?.Account ?? '', arn: out?.Arn ?? '', userId: out?.UserId ?? '' };
  },
});

const getAccessKeyInfo = defineAction<
  { accessKeyId: string; region?: string },
  { accessKeyId: string; account: string; keyType: string }
>({
  title: 'Account that owns an access key',
  description:
    'The account id that owns an access key (GetAccessKeyInfo), and whether the key is a long-term IAM user key (AKIA…) or an STS session key (ASIA…). Works for keys of any account.',
  docsUrl: 'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html',
  input: {
    type: 'object',
    properties: { accessKeyId: { type: 'string', pattern: '^[A-Z0-9]{16,128}$' }, region },
    required: ['accessKeyId'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      accessKeyId: { type: 'string' },
      account: { type: 'string' },
      keyType: { type: 'string', enum: ['long-term', 'session', 'unknown'] },
    },
    required: ['accessKeyId', 'account', 'keyType'],
  },
  effect: 'read',
  permissions: ['sts:GetAccessKeyInfo'],
  example: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
  async run(ctx, input) {
    const { c, m } = await sts(ctx, input.region);
    const out = await send<{ Account?: string }>(
      c,
      new m.GetAccessKeyInfoCommand({ AccessKeyId: input.accessKeyId }),
      ctx,
    );
    return { accessKeyId: input.accessKeyId, account: out?.Account ?? '', keyType: accessKeyType(input.accessKeyId) };
  },
});

export default definePlugin({
  namespace: 'aws.sts',
  description: 'AWS STS: the caller identity and the account owning an access key.',
  actions: { getCallerIdentity, getAccessKeyInfo },
});
