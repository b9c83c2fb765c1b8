/** S3 helpers shared by the bucket and object actions: the bucket's region and its client. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ActionContext } from '../../engine/plugins/api.js';
import { client, send } from '../aws-common/index.js';

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
