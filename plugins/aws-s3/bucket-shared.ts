/** Small helpers shared by the bucket-level actions of aws.s3. */
import type { S3Client } from '@aws-sdk/client-s3';
import { Codes, IrunError } from '../../engine/errors.js';
import type { ActionContext } from '../../engine/plugins/api.js';
import { s3For } from '../aws-common/s3.js';

export const sdk = () => import('@aws-sdk/client-s3');
export function requireBefore<B>(before: B | undefined): B {
  if (before === undefined) throw new IrunError(Codes.INTERNAL, 'the before-state of this change was not captured');
  return before;
}

export function awsNameOf(err: unknown): string | undefined {
  return err instanceof IrunError ? (err.details?.awsError as string | undefined) : undefined;
}

export const UNCHANGED = { restored: false, reason: 'the step changed nothing' } as const;

export async function s3(ctx: ActionContext, input: { bucket: string; region?: string }): Promise<S3Client> {
  return s3For(ctx, input.bucket, input.region);
}

export interface BucketInput {
  bucket: string;
  region?: string;
}

export const API = 'https://docs.aws.amazon.com/AmazonS3/latest/API';
