/** Small helpers shared by the bucket-level actions of aws.s3. */
import type { S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, IrunError } from '../../engine/plugins/api.js';
import { s3For } from '../aws-common/s3.js';

export { requireBefore, UNCHANGED } from '../aws-common/setting.js';

export const sdk = () => import('@aws-sdk/client-s3');

export function awsNameOf(err: unknown): string | undefined {
  return err instanceof IrunError ? (err.details?.awsError as string | undefined) : undefined;
}

export async function s3(ctx: ActionContext, input: { bucket: string; region?: string }): Promise<S3Client> {
  return s3For(ctx, input.bucket, input.region);
}

export interface BucketInput {
  bucket: string;
  region?: string;
}

/** A reader of one bucket setting as a function of the action input (capture and read-back of a setting). */
export function bucketState<S>(
  reader: (ctx: ActionContext, c: S3Client, bucket: string) => Promise<S>,
): (ctx: ActionContext, input: BucketInput) => Promise<S> {
  return async (ctx, input) => reader(ctx, await s3(ctx, input), input.bucket);
}

/** The output key of a bucket setting. */
export const bucketKey = (input: BucketInput): { bucket: string } => ({ bucket: input.bucket });

export const API = 'https://docs.aws.amazon.com/AmazonS3/latest/API';
