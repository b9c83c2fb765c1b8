/** Bucket-level Block Public Access actions of aws.s3: put (merged with the current flags) and delete, with undo. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ActionContext } from '../../engine/plugins/api.js';
import {
  BPA_FLAGS,
  BPA_INPUT_SCHEMA,
  bpaDiff,
  bpaEquals,
  mergeBpa,
  normalizeBpa,
  type BpaConfig,
} from '../aws-common/bpa.js';
import { send } from '../aws-common/index.js';
import { defineSetting } from '../aws-common/setting.js';
import { API, bucketKey, bucketState, s3, sdk, type BucketInput } from './bucket-shared.js';
import { readBpa, type BpaState } from './bucket-state.js';
import { BPA_STATE, bucketInput, changeOutput } from './schemas.js';

export type BpaInput = BucketInput &
  Partial<Record<'blockPublicAcls' | 'ignorePublicAcls' | 'blockPublicPolicy' | 'restrictPublicBuckets', boolean>>;

export async function writeBpa(
  ctx: ActionContext,
  c: S3Client,
  bucket: string,
  config: BpaConfig | null,
): Promise<void> {
  const { PutPublicAccessBlockCommand, DeletePublicAccessBlockCommand } = await sdk();
  if (config === null) await send(c, new DeletePublicAccessBlockCommand({ Bucket: bucket }), ctx);
  else
    await send(
      c,
      new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...config } }),
      ctx,
    );
}

export function bpaText(state: BpaState): string {
  return state.config ? BPA_FLAGS.map((f) => `${f}=${state.config![f]}`).join(', ') : 'not configured';
}

const write = async (ctx: ActionContext, input: BucketInput, config: BpaConfig | null): Promise<void> =>
  writeBpa(ctx, await s3(ctx, input), input.bucket, config);

const bpaSetting = {
  output: changeOutput(BPA_STATE),
  // DeletePublicAccessBlock (undo) is authorized by s3:PutBucketPublicAccessBlock.
  permissions: ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  example: { bucket: 'example-bucket' },
  evidence: 'public-access-block',
  key: bucketKey,
  capture: bucketState(readBpa),
  read: bucketState(readBpa),
};

export const putPublicAccessBlock = defineSetting<BpaInput, BpaState, BpaConfig>({
  ...bpaSetting,
  title: 'Block public access to the bucket',
  description:
    "Set the bucket's Block Public Access flags. With no flag given all four are set to true; flags not given keep their current value. Undo restores the previous flags, or deletes the configuration when there was none.",
  docsUrl: `${API}/API_PutPublicAccessBlock.html`,
  input: bucketInput(BPA_INPUT_SCHEMA),
  desired: (input, b) => mergeBpa(b.config, input),
  isSet: (b, desired) => b.configured && bpaEquals(normalizeBpa(b.config), desired),
  put: (ctx, input, desired) => write(ctx, input, desired),
  restore: (ctx, input, b) => write(ctx, input, b.configured ? normalizeBpa(b.config) : null),
  describe: (input, b, desired, noop) => ({
    summary: noop
      ? `Block Public Access of bucket ${input.bucket} already set (${bpaText(b)})`
      : `Set Block Public Access on bucket ${input.bucket}: ${bpaDiff(normalizeBpa(b.config), desired).join(', ') || 'create configuration'}`,
    after: { configured: true, config: desired },
  }),
});

export const deletePublicAccessBlock = defineSetting<BucketInput, BpaState, null>({
  ...bpaSetting,
  title: 'Delete bucket Block Public Access',
  description: "Delete the bucket's Block Public Access configuration. Undo puts the previous flags back.",
  docsUrl: `${API}/API_DeletePublicAccessBlock.html`,
  input: bucketInput(),
  desired: () => null,
  isSet: (b) => !b.configured,
  put: (ctx, input) => write(ctx, input, null),
  restore: (ctx, input, b) => write(ctx, input, normalizeBpa(b.config)),
  describe: (input, b) => ({
    summary: b.configured
      ? `Delete Block Public Access of bucket ${input.bucket} (${bpaText(b)})`
      : `Bucket ${input.bucket} has no Block Public Access configuration`,
    after: { configured: false, config: null },
  }),
});
