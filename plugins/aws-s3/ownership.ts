/** The Object Ownership action of aws.s3 (BucketOwnerEnforced disables ACLs), with undo. */
import { Codes, IrunError } from '../../engine/errors.js';
import { type ActionContext, defineAction } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { type PlainAcl, type PlainGrant, describeAcl } from './acl.js';
import { type BucketInput, UNCHANGED, awsNameOf, requireBefore, s3, sdk } from './bucket-shared.js';
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
export interface OwnershipOutput {
  bucket: string;
  changed: boolean;
  before: OwnershipState;
  after: OwnershipState;
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
  const before = { ...ownership, acl };
  await ctx.evidence.save('ownership-controls-before', before);
  return before;
}

export const putBucketOwnershipControls = defineAction<OwnershipInput, OwnershipOutput, OwnershipBefore>({
  title: 'Disable ACLs (Object Ownership)',
  description:
    'Set Object Ownership, by default BucketOwnerEnforced, which disables every bucket and object ACL. S3 refuses it (InvalidBucketAclWithObjectOwnership, mapped to IRUN_OWNERSHIP_ACL_CONFLICT) while the bucket ACL grants access to anyone but the owner: remove those grants first (putBucketAcl with removeCrossAccount). Undo restores the previous setting, or deletes the ownership controls when there were none.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html',
  input: bucketInput({
    objectOwnership: { type: 'string', enum: OWNERSHIP_VALUES, description: 'Default BucketOwnerEnforced.' },
  }),
  output: changeOutput(OWNERSHIP_STATE),
  effect: 'mutate',
  // DeleteBucketOwnershipControls (undo) is authorized by s3:PutBucketOwnershipControls.
  permissions: ['s3:GetBucketOwnershipControls', 's3:PutBucketOwnershipControls', 's3:GetBucketAcl'],
  example: { bucket: 'example-bucket', objectOwnership: 'BucketOwnerEnforced' },
  capture: captureOwnership,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const desired = input.objectOwnership ?? 'BucketOwnerEnforced';
    const noop = b.objectOwnership === desired;
    const conflicts = desired === 'BucketOwnerEnforced' ? aclConflicts(b.acl) : [];
    return {
      summary: noop
        ? `Object Ownership of bucket ${input.bucket} is already ${desired}`
        : `Set Object Ownership of bucket ${input.bucket} to ${desired} (was ${b.objectOwnership ?? 'not configured'})` +
          (conflicts.length
            ? ` — will fail: the bucket ACL grants ${describeAcl({ grants: conflicts }).join(', ')}`
            : ''),
      noop,
      before: { configured: b.configured, objectOwnership: b.objectOwnership },
      after: { configured: true, objectOwnership: desired },
      details: { conflictingGrants: describeAcl({ grants: conflicts }) },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await captureOwnership(ctx, input));
    const desired = input.objectOwnership ?? 'BucketOwnerEnforced';
    const was: OwnershipState = { configured: b.configured, objectOwnership: b.objectOwnership };
    if (b.objectOwnership === desired) return { bucket: input.bucket, changed: false, before: was, after: was };
    const c = await s3(ctx, input);
    const { PutBucketOwnershipControlsCommand } = await sdk();
    try {
      await send(
        c,
        new PutBucketOwnershipControlsCommand({
          Bucket: input.bucket,
          OwnershipControls: { Rules: [{ ObjectOwnership: desired as 'BucketOwnerEnforced' }] },
        }),
        ctx,
      );
    } catch (err) {
      if (awsNameOf(err) === 'InvalidBucketAclWithObjectOwnership') {
        const grants = describeAcl({ grants: aclConflicts(b.acl) });
        throw new IrunError(
          Codes.OWNERSHIP_ACL_CONFLICT,
          `cannot disable ACLs on bucket ${input.bucket}: its bucket ACL grants access to others than the owner${grants.length ? ` (${grants.join(', ')})` : ''}. ` +
            'Remove those grants first (aws.s3.putBucketAcl with removeCrossAccount: true), then retry.',
          {
            cause: err,
            details: { bucket: input.bucket, grants },
            suggestions: ['aws.s3.putBucketAcl { removeCrossAccount: true }'],
          },
        );
      }
      throw err;
    }
    const after = await readOwnership(ctx, c, input.bucket);
    await ctx.evidence.save('ownership-controls-after', after);
    return { bucket: input.bucket, changed: true, before: was, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const b = requireBefore<OwnershipState>(before ?? output.before);
    const c = await s3(ctx, input);
    const { PutBucketOwnershipControlsCommand, DeleteBucketOwnershipControlsCommand } = await sdk();
    if (b.configured && b.objectOwnership) {
      await send(
        c,
        new PutBucketOwnershipControlsCommand({
          Bucket: input.bucket,
          OwnershipControls: { Rules: [{ ObjectOwnership: b.objectOwnership as 'ObjectWriter' }] },
        }),
        ctx,
      );
    } else {
      await send(c, new DeleteBucketOwnershipControlsCommand({ Bucket: input.bucket }), ctx);
    }
    return { restored: true, state: await readOwnership(ctx, c, input.bucket) };
  },
});
