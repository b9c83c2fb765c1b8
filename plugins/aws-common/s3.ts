/**
 * S3 helpers shared by the S3 and S3 Control packs: a bucket's region and client, the bucket
 * owner's canonical id, and the account id to act on.
 */
import type { Owner, S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { client, send } from './index.js';

/** GetBucketLocation's LocationConstraint to a region: null/'' is us-east-1, 'EU' is eu-west-1. */
export function locationToRegion(constraint: string | null | undefined): string {
  if (!constraint) return 'us-east-1';
  if (constraint === 'EU') return 'eu-west-1';
  return constraint;
}

/**
 * The region of a bucket: the explicit one when given, else GetBucketLocation (cached per run).
 * With a custom endpoint (tests, local S3 servers) the step's region is used as is.
 */
export async function bucketRegion(ctx: ActionContext, bucket: string, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  if (ctx.aws.endpointUrl) return ctx.aws.region ?? 'us-east-1';
  const key = `aws.s3.region|${bucket}`;
  const cached = ctx.shared.get(key) as string | undefined;
  if (cached) return cached;
  const { S3Client: Ctor, GetBucketLocationCommand } = await import('@aws-sdk/client-s3');
  const c = await client(ctx, Ctor, { region: 'us-east-1' });
  const out = await send<{ LocationConstraint?: string }>(c, new GetBucketLocationCommand({ Bucket: bucket }), ctx);
  const region = locationToRegion(out?.LocationConstraint);
  ctx.shared.set(key, region);
  return region;
}

/** The S3 client for a bucket's region. */
export async function s3For(ctx: ActionContext, bucket: string, region?: string): Promise<S3Client> {
  const { S3Client: Ctor } = await import('@aws-sdk/client-s3');
  return client(ctx, Ctor, { region: await bucketRegion(ctx, bucket, region) });
}

/** The bucket owner's canonical id (GetBucketAcl Owner.ID), cached per run. */
export async function bucketOwnerId(ctx: ActionContext, bucket: string, region?: string): Promise<string> {
  const key = `aws.s3.owner|${bucket}`;
  const cached = ctx.shared.get(key) as string | undefined;
  if (cached) return cached;
  const { GetBucketAclCommand } = await import('@aws-sdk/client-s3');
  const s3 = await s3For(ctx, bucket, region);
  const out = await send<{ Owner?: Owner }>(s3, new GetBucketAclCommand({ Bucket: bucket }), ctx);
  const id = out?.Owner?.ID;
  if (!id) throw new IrunError(Codes.ACTION_FAILED, `GetBucketAcl for ${bucket} returned no owner id`);
  ctx.shared.set(key, id);
  return id;
}

/**
 * The account id to act on: explicit, then the run's `aws.accountId`, then STS GetCallerIdentity
 * (once per run and identity).
 */
export async function resolveAccountId(ctx: ActionContext, explicit?: string, region?: string): Promise<string> {
  if (explicit) return explicit;
  if (ctx.aws.accountId) return ctx.aws.accountId;
  const key = `aws.sts.accountId|${ctx.aws.profile ?? ''}|${ctx.aws.roleArn ?? ''}`;
  const cached = ctx.shared.get(key) as string | undefined;
  if (cached) return cached;
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const c = await client(ctx, STSClient, region ? { region } : {});
  const out = await send<{ Account?: string }>(c, new GetCallerIdentityCommand({}), ctx);
  if (!out?.Account)
    throw new IrunError(Codes.ACTION_FAILED, 'STS GetCallerIdentity returned no account id; pass accountId');
  ctx.shared.set(key, out.Account);
  return out.Account;
}
