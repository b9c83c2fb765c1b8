/** The versioning action of aws.s3: enable or suspend (versioning can never be removed again). */
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { defineSetting } from '../aws-common/setting.js';
import { bucketKey, bucketState, s3, sdk, type BucketInput } from './bucket-shared.js';
import { readVersioning, type VersioningState } from './bucket-state.js';
import { VERSIONING_STATE, bucketInput, changeOutput } from './schemas.js';

export const NEVER_REMOVED =
  'versioning can be suspended but never removed: the bucket was not versioned before this step, so undo cannot return it to that state';

async function writeVersioning(ctx: ActionContext, input: BucketInput, status: 'Enabled' | 'Suspended') {
  const { PutBucketVersioningCommand } = await sdk();
  const c = await s3(ctx, input);
  await send(
    c,
    new PutBucketVersioningCommand({ Bucket: input.bucket, VersioningConfiguration: { Status: status } }),
    ctx,
  );
}

export const putBucketVersioning = defineSetting<BucketInput, VersioningState, 'Enabled'>({
  title: 'Enable bucket versioning',
  description:
    'Enable versioning so overwritten and deleted objects can be recovered. Nothing is sent when it is already enabled. Versioning can only be suspended, never removed: undo suspends it when it was suspended before, and is not possible when the bucket was never versioned. Wait about 15 minutes after first enabling it before writing objects.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html',
  input: bucketInput(),
  output: changeOutput(VERSIONING_STATE),
  permissions: ['s3:GetBucketVersioning', 's3:PutBucketVersioning'],
  example: { bucket: 'example-bucket' },
  evidence: 'versioning',
  key: bucketKey,
  capture: bucketState(readVersioning),
  read: bucketState(readVersioning),
  desired: () => 'Enabled',
  isSet: (b) => b.status === 'Enabled',
  put: (ctx, input) => writeVersioning(ctx, input, 'Enabled'),
  async restore(ctx, input, b) {
    if (b.status === null) {
      throw new IrunError(Codes.NOT_REVERSIBLE, `cannot undo: ${NEVER_REMOVED} (bucket ${input.bucket})`, {
        suggestions: [
          'suspend versioning yourself if that is wanted: aws s3api put-bucket-versioning --versioning-configuration Status=Suspended',
        ],
      });
    }
    await writeVersioning(ctx, input, 'Suspended');
  },
  describe: (input, b, _desired, noop) => ({
    summary: noop
      ? `Versioning of bucket ${input.bucket} is already enabled`
      : `Enable versioning on bucket ${input.bucket} (was ${b.status ?? 'never enabled'})`,
    after: { status: 'Enabled', mfaDelete: b.mfaDelete },
    details: b.status === null ? { reversible: NEVER_REMOVED } : undefined,
  }),
  irreversible: (b) => (b.status === null ? NEVER_REMOVED : undefined),
});
