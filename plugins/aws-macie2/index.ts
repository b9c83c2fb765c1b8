/**
 * aws.macie2 — Amazon Macie's inventory of bucket exposure (runbook 1.4.2.4). Macie may not be
 * enabled: getMacieSession turns any error into `configured: false` so a runbook can branch.
 */
import type { Macie2Client } from '@aws-sdk/client-macie2';
import { defineAction, definePlugin, type ActionContext } from '../../engine/plugins/api.js';
import { awsErrorName, client, plain, send, toIrunError } from '../aws-common/index.js';

type Sdk = typeof import('@aws-sdk/client-macie2');
const DOCS = 'https://docs.aws.amazon.com/macie/latest/APIReference';
const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region of the Macie session (default: the step region).',
};
const anyObject = { type: 'object', properties: {} };

async function macie(ctx: ActionContext, r?: string): Promise<{ c: Macie2Client; m: Sdk }> {
  const m = await import('@aws-sdk/client-macie2');
  return { c: await client(ctx, m.Macie2Client, { region: r }), m };
}

const getMacieSession = defineAction<{ region?: string }>({
  title: 'Is Macie enabled',
  description:
    'The Macie status of the account in the region (GetMacieSession). Any error (Macie not enabled, no access) is reported as `configured: false` with the reason.',
  docsUrl: `${DOCS}/macie.html`,
  input: { type: 'object', properties: { region }, additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      status: { type: 'string' },
      reason: { type: 'string' },
      createdAt: { type: 'string' },
    },
    required: ['configured'],
  },
  effect: 'read',
  permissions: ['macie2:GetMacieSession'],
  example: {},
  async run(ctx, input) {
    const { c, m } = await macie(ctx, input.region);
    try {
      const out = await c.send(new m.GetMacieSessionCommand({}), { abortSignal: ctx.signal });
      const p = plain<Record<string, unknown>>(out);
      return { configured: p.status === 'ENABLED', ...p };
    } catch (err) {
      if (awsErrorName(err) === 'AbortError') throw toIrunError(err, 'GetMacieSession');
      const e = toIrunError(err, 'GetMacieSession');
      return { configured: false, reason: e.message, awsError: awsErrorName(err) ?? 'Error' };
    }
  },
});

const getBucketStatistics = defineAction<{ accountId?: string; region?: string }>({
  title: 'Macie bucket statistics',
  description:
    'Counts of buckets by effective permission (publicly accessible / readable / writable) and by shared access type (external, internal, not shared) for the account (GetBucketStatistics).',
  docsUrl: `${DOCS}/datasources-s3-statistics.html`,
  input: {
    type: 'object',
    properties: { accountId: { type: 'string', pattern: '^\\d{12}$' }, region },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      bucketCount: { type: 'integer' },
      bucketCountByEffectivePermission: {
        type: 'object',
        properties: {
          publiclyAccessible: { type: 'integer' },
          publiclyReadable: { type: 'integer' },
          publiclyWritable: { type: 'integer' },
          unknown: { type: 'integer' },
        },
      },
      bucketCountBySharedAccessType: {
        type: 'object',
        properties: {
          external: { type: 'integer' },
          internal: { type: 'integer' },
          notShared: { type: 'integer' },
          unknown: { type: 'integer' },
        },
      },
    },
  },
  effect: 'read',
  permissions: ['macie2:GetBucketStatistics'],
  example: {},
  async run(ctx, input) {
    const { c, m } = await macie(ctx, input.region);
    const out = await send(
      c,
      new m.GetBucketStatisticsCommand(input.accountId ? { accountId: input.accountId } : {}),
      ctx,
    );
    return plain<Record<string, unknown>>(out ?? {});
  },
});

interface DescribeBucketsInput {
  criteria?: Record<string, Record<string, unknown>>;
  bucketName?: string;
  maxBuckets?: number;
  region?: string;
}

const criterion = {
  type: 'object',
  properties: {
    eq: { type: 'array', items: { type: 'string' } },
    neq: { type: 'array', items: { type: 'string' } },
    gt: { type: 'integer' },
    gte: { type: 'integer' },
    lt: { type: 'integer' },
    lte: { type: 'integer' },
    prefix: { type: 'string' },
  },
  additionalProperties: false,
};

const describeBuckets = defineAction<DescribeBucketsInput>({
  title: 'Macie bucket inventory',
  description:
    'Buckets as Macie sees them (DescribeBuckets, all pages): bucketName, publicAccess.effectivePermission, sharedAccess, and more. `criteria` maps a field to a condition, e.g. {"publicAccess.effectivePermission": {"eq": ["PUBLIC"]}}; `bucketName` is a shortcut for {"bucketName": {"eq": [name]}}.',
  docsUrl: `${DOCS}/datasources-s3.html`,
  input: {
    type: 'object',
    properties: {
      criteria: { type: 'object', properties: {}, additionalProperties: criterion },
      bucketName: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
      maxBuckets: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      buckets: {
        type: 'array',
        items: {
          type: 'object',
          properties: { bucketName: { type: 'string' }, publicAccess: anyObject, sharedAccess: { type: 'string' } },
        },
      },
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
    },
    required: ['buckets', 'count'],
  },
  effect: 'read',
  permissions: ['macie2:DescribeBuckets'],
  example: { criteria: { 'publicAccess.effectivePermission': { eq: ['PUBLIC'] } } },
  async run(ctx, input) {
    const { c, m } = await macie(ctx, input.region);
    const criteria = {
      ...(input.criteria ?? {}),
      ...(input.bucketName ? { bucketName: { eq: [input.bucketName] } } : {}),
    };
    const max = input.maxBuckets ?? 10000;
    const buckets: unknown[] = [];
    let truncated = false;
    try {
      outer: for await (const page of m.paginateDescribeBuckets(
        { client: c },
        Object.keys(criteria).length ? { criteria: criteria as never } : {},
        { abortSignal: ctx.signal },
      )) {
        for (const b of plain<unknown[]>(page.buckets ?? [])) {
          if (buckets.length >= max) {
            truncated = true;
            break outer;
          }
          buckets.push(b);
        }
      }
    } catch (err) {
      throw toIrunError(err, 'DescribeBuckets');
    }
    return { buckets, count: buckets.length, truncated };
  },
});

export default definePlugin({
  namespace: 'aws.macie2',
  description: 'Amazon Macie: is it enabled, bucket exposure statistics and inventory.',
  actions: { getMacieSession, getBucketStatistics, describeBuckets },
});
