/** The versioning action of aws.s3: enable or suspend (versioning can never be removed again). */
import { Codes, IrunError } from '../../engine/errors.js';
import { type ActionContext, defineAction } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { type BucketInput, UNCHANGED, requireBefore, s3, sdk } from './bucket-shared.js';
import { type VersioningState, readVersioning } from './bucket-state.js';
import { VERSIONING_STATE, bucketInput, changeOutput } from './schemas.js';

export interface VersioningOutput {
  bucket: string;
  changed: boolean;
  before: VersioningState;
  after: VersioningState;
}

export const NEVER_REMOVED =
  'versioning can be suspended but never removed: the bucket was not versioned before this step, so undo cannot return it to that state';

export async function captureVersioning(ctx: ActionContext, input: BucketInput): Promise<VersioningState> {
  const before = await readVersioning(ctx, await s3(ctx, input), input.bucket);
  await ctx.evidence.save('versioning-before', before);
  return before;
}

export const putBucketVersioning = defineAction<BucketInput, VersioningOutput, VersioningState>({
  title: 'Enable bucket versioning',
  description:
    'Enable versioning so overwritten and deleted objects can be recovered. Nothing is sent when it is already enabled. Versioning can only be suspended, never removed: undo suspends it when it was suspended before, and is not possible when the bucket was never versioned. Wait about 15 minutes after first enabling it before writing objects.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html',
  input: bucketInput(),
  output: changeOutput(VERSIONING_STATE),
  effect: 'mutate',
  permissions: ['s3:GetBucketVersioning', 's3:PutBucketVersioning'],
  example: { bucket: 'example-bucket' },
  capture: captureVersioning,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const noop = b.status === 'Enabled';
    return {
      summary: noop
        ? `Versioning of bucket ${input.bucket} is already enabled`
        : `Enable versioning on bucket ${input.bucket} (was ${b.status ?? 'never enabled'})`,
      noop,
      before: b,
      after: { status: 'Enabled', mfaDelete: b.mfaDelete },
      details: b.status === null ? { reversible: NEVER_REMOVED } : undefined,
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await captureVersioning(ctx, input));
    if (b.status === 'Enabled') return { bucket: input.bucket, changed: false, before: b, after: b };
    const c = await s3(ctx, input);
    const { PutBucketVersioningCommand } = await sdk();
    await send(
      c,
      new PutBucketVersioningCommand({ Bucket: input.bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      ctx,
    );
    const after = await readVersioning(ctx, c, input.bucket);
    await ctx.evidence.save('versioning-after', after);
    return { bucket: input.bucket, changed: true, before: b, after };
  },
  reversible(_input, before, output) {
    if (!output?.changed) return true;
    return (before ?? output.before).status === null ? NEVER_REMOVED : true;
  },
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const b = requireBefore(before ?? output.before);
    if (b.status === null) {
      throw new IrunError(Codes.NOT_REVERSIBLE, `cannot undo: ${NEVER_REMOVED} (bucket ${input.bucket})`, {
        suggestions: [
          'suspend versioning yourself if that is wanted: aws s3api put-bucket-versioning --versioning-configuration Status=Suspended',
        ],
      });
    }
    const c = await s3(ctx, input);
    const { PutBucketVersioningCommand } = await sdk();
    await send(
      c,
      new PutBucketVersioningCommand({ Bucket: input.bucket, VersioningConfiguration: { Status: 'Suspended' } }),
      ctx,
    );
    return { restored: true, state: await readVersioning(ctx, c, input.bucket) };
  },
});
