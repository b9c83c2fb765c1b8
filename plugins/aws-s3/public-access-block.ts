/** Bucket-level Block Public Access actions of aws.s3: put (merged with the current flags) and delete, with undo. */
import type { S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, defineAction } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { API, type BucketInput, UNCHANGED, requireBefore, s3, sdk } from './bucket-shared.js';
import { type BpaState, readBpa } from './bucket-state.js';
import { BPA_STATE, bucketInput, changeOutput } from './schemas.js';
import {
  BPA_FLAGS,
  BPA_INPUT_SCHEMA,
  bpaDiff,
  bpaEquals,
  mergeBpa,
  normalizeBpa,
  type BpaConfig,
} from '../aws-common/bpa.js';

export type BpaInput = BucketInput &
  Partial<Record<'blockPublicAcls' | 'ignorePublicAcls' | 'blockPublicPolicy' | 'restrictPublicBuckets', boolean>>;
export interface BpaOutput {
  bucket: string;
  changed: boolean;
  before: BpaState;
  after: BpaState;
}

export async function captureBpa(ctx: ActionContext, input: BucketInput): Promise<BpaState> {
  const before = await readBpa(ctx, await s3(ctx, input), input.bucket);
  await ctx.evidence.save('public-access-block-before', before);
  return before;
}

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

export const putPublicAccessBlock = defineAction<BpaInput, BpaOutput, BpaState>({
  title: 'Block public access to the bucket',
  description:
    "Set the bucket's Block Public Access flags. With no flag given all four are set to true; flags not given keep their current value. Undo restores the previous flags, or deletes the configuration when there was none.",
  docsUrl: `${API}/API_PutPublicAccessBlock.html`,
  input: bucketInput(BPA_INPUT_SCHEMA),
  output: changeOutput(BPA_STATE),
  effect: 'mutate',
  // DeletePublicAccessBlock (undo) is authorized by s3:PutBucketPublicAccessBlock.
  permissions: ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  example: { bucket: 'example-bucket' },
  capture: captureBpa,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const desired = mergeBpa(b.config, input);
    const noop = b.configured && bpaEquals(normalizeBpa(b.config), desired);
    return {
      summary: noop
        ? `Block Public Access of bucket ${input.bucket} already set (${bpaText(b)})`
        : `Set Block Public Access on bucket ${input.bucket}: ${bpaDiff(normalizeBpa(b.config), desired).join(', ') || 'create configuration'}`,
      noop,
      before: b,
      after: { configured: true, config: desired },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await captureBpa(ctx, input));
    const desired = mergeBpa(b.config, input);
    if (b.configured && bpaEquals(normalizeBpa(b.config), desired))
      return { bucket: input.bucket, changed: false, before: b, after: b };
    const c = await s3(ctx, input);
    await writeBpa(ctx, c, input.bucket, desired);
    const after = await readBpa(ctx, c, input.bucket);
    await ctx.evidence.save('public-access-block-after', after);
    return { bucket: input.bucket, changed: true, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const b = requireBefore(before ?? output.before);
    const c = await s3(ctx, input);
    await writeBpa(ctx, c, input.bucket, b.configured ? normalizeBpa(b.config) : null);
    return { restored: true, state: await readBpa(ctx, c, input.bucket) };
  },
});

export const deletePublicAccessBlock = defineAction<BucketInput, BpaOutput, BpaState>({
  title: 'Delete bucket Block Public Access',
  description: "Delete the bucket's Block Public Access configuration. Undo puts the previous flags back.",
  docsUrl: `${API}/API_DeletePublicAccessBlock.html`,
  input: bucketInput(),
  output: changeOutput(BPA_STATE),
  effect: 'mutate',
  permissions: ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
  example: { bucket: 'example-bucket' },
  capture: captureBpa,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    return {
      summary: b.configured
        ? `Delete Block Public Access of bucket ${input.bucket} (${bpaText(b)})`
        : `Bucket ${input.bucket} has no Block Public Access configuration`,
      noop: !b.configured,
      before: b,
      after: { configured: false, config: null },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await captureBpa(ctx, input));
    if (!b.configured) return { bucket: input.bucket, changed: false, before: b, after: b };
    const c = await s3(ctx, input);
    await writeBpa(ctx, c, input.bucket, null);
    const after = await readBpa(ctx, c, input.bucket);
    await ctx.evidence.save('public-access-block-after', after);
    return { bucket: input.bucket, changed: true, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const b = requireBefore(before ?? output.before);
    const c = await s3(ctx, input);
    await writeBpa(ctx, c, input.bucket, normalizeBpa(b.config));
    return { restored: true, state: await readBpa(ctx, c, input.bucket) };
  },
});
