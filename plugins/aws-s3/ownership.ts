/** The Object Ownership action of aws.s3 (BucketOwnerEnforced disables ACLs), with undo. */
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { defineSetting } from '../aws-common/setting.js';
import { type PlainAcl, type PlainGrant, describeAcl } from './acl.js';
import { awsNameOf, bucketKey, bucketState, s3, sdk, type BucketInput } from './bucket-shared.js';
import { type OwnershipState, readAcl, readOwnership } from './bucket-state.js';
import { OWNERSHIP_STATE, bucketInput, changeOutput } from './schemas.js';

export const OWNERSHIP_VALUES = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];

export interface OwnershipInput extends BucketInput {
  objectOwnership?: string;
}
export interface OwnershipBefore extends OwnershipState {
  /** The bucket ACL at capture time (null when it could not be read). */
  acl: PlainAcl | null;
}

/** Grants that make S3 refuse BucketOwnerEnforced: anything but the owner's own grant. */
export function aclConflicts(acl: PlainAcl | null): PlainGrant[] {
  if (!acl) return [];
  const owner = acl.owner?.id;
  return acl.grants.filter((g) => !(g.type === 'CanonicalUser' && g.id !== undefined && g.id === owner));
}

export async function captureOwnership(ctx: ActionContext, input: BucketInput): Promise<OwnershipBefore> {
  const c = await s3(ctx, input);
  const ownership = await readOwnership(ctx, c, input.bucket);
  let acl: PlainAcl | null = null;
  try {
    acl = await readAcl(ctx, c, input.bucket);
  } catch (err) {
    ctx.log.warn(
      `could not read the ACL of bucket ${input.bucket}; conflicts with BucketOwnerEnforced are not checked in advance`,
      {
        code: (err as IrunError).code,
      },
    );
  }
  return { ...ownership, acl };
}

function conflictError(bucket: string, acl: PlainAcl | null, cause: unknown): IrunError {
  const grants = describeAcl({ grants: aclConflicts(acl) });
  return new IrunError(
    Codes.OWNERSHIP_ACL_CONFLICT,
    `cannot disable ACLs on bucket ${bucket}: its bucket ACL grants access to others than the owner${grants.length ? ` (${grants.join(', ')})` : ''}. ` +
      'Remove those grants first (aws.s3.putBucketAcl with removeCrossAccount: true), then retry.',
    {
      cause,
      details: { bucket, grants },
      suggestions: ['aws.s3.putBucketAcl { removeCrossAccount: true }'],
    },
  );
}

/** Write Object Ownership, or delete the ownership controls when `ownership` is null. */
async function writeOwnership(ctx: ActionContext, input: BucketInput, ownership: string | null): Promise<void> {
  const c = await s3(ctx, input);
  const { PutBucketOwnershipControlsCommand, DeleteBucketOwnershipControlsCommand } = await sdk();
  if (ownership === null) {
    await send(c, new DeleteBucketOwnershipControlsCommand({ Bucket: input.bucket }), ctx);
    return;
  }
  await send(
    c,
    new PutBucketOwnershipControlsCommand({
      Bucket: input.bucket,
      OwnershipControls: { Rules: [{ ObjectOwnership: ownership as 'BucketOwnerEnforced' }] },
    }),
    ctx,
  );
}

function ownershipSummary(input: OwnershipInput, b: OwnershipBefore, desired: string, noop: boolean): string {
  if (noop) return `Object Ownership of bucket ${input.bucket} is already ${desired}`;
  const conflicts = desired === 'BucketOwnerEnforced' ? aclConflicts(b.acl) : [];
  return (
    `Set Object Ownership of bucket ${input.bucket} to ${desired} (was ${b.objectOwnership ?? 'not configured'})` +
    (conflicts.length ? ` — will fail: the bucket ACL grants ${describeAcl({ grants: conflicts }).join(', ')}` : '')
  );
}

export const putBucketOwnershipControls = defineSetting<OwnershipInput, OwnershipBefore, string, OwnershipState>({
  title: 'Disable ACLs (Object Ownership)',
  description:
    'Set Object Ownership, by default BucketOwnerEnforced, which disables every bucket and object ACL. S3 refuses it (InvalidBucketAclWithObjectOwnership, mapped to IRUN_OWNERSHIP_ACL_CONFLICT) while the bucket ACL grants access to anyone but the owner: remove those grants first (putBucketAcl with removeCrossAccount). Undo restores the previous setting, or deletes the ownership controls when there were none.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html',
  input: bucketInput({
    objectOwnership: { type: 'string', enum: OWNERSHIP_VALUES, description: 'Default BucketOwnerEnforced.' },
  }),
  output: changeOutput(OWNERSHIP_STATE),
  // DeleteBucketOwnershipControls (undo) is authorized by s3:PutBucketOwnershipControls.
  permissions: ['s3:GetBucketOwnershipControls', 's3:PutBucketOwnershipControls', 's3:GetBucketAcl'],
  example: { bucket: 'example-bucket', objectOwnership: 'BucketOwnerEnforced' },
  evidence: 'ownership-controls',
  key: bucketKey,
  capture: captureOwnership,
  read: bucketState(readOwnership),
  shown: (b) => ({ configured: b.configured, objectOwnership: b.objectOwnership }),
  desired: (input) => input.objectOwnership ?? 'BucketOwnerEnforced',
  isSet: (b, desired) => b.objectOwnership === desired,
  async put(ctx, input, desired, b) {
    try {
      await writeOwnership(ctx, input, desired);
    } catch (err) {
      if (awsNameOf(err) === 'InvalidBucketAclWithObjectOwnership') throw conflictError(input.bucket, b.acl, err);
      throw err;
    }
  },
  restore: (ctx, input, b) => writeOwnership(ctx, input, b.configured && b.objectOwnership ? b.objectOwnership : null),
  describe: (input, b, desired, noop) => ({
    summary: ownershipSummary(input, b, desired, noop),
    before: { configured: b.configured, objectOwnership: b.objectOwnership },
    after: { configured: true, objectOwnership: desired },
    details: {
      conflictingGrants: describeAcl({ grants: desired === 'BucketOwnerEnforced' ? aclConflicts(b.acl) : [] }),
    },
  }),
});
