/** The bucket ACL action of aws.s3: replace the ACL (or drop public and cross-account grants), with undo. */
import { type ActionContext, defineAction, Codes, IrunError } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import {
  type PlainAcl,
  type PlainGrant,
  describeAcl,
  isCrossAccountGrant,
  isPublicGrant,
  toAccessControlPolicy,
} from './acl.js';
import { API, type BucketInput, UNCHANGED, awsNameOf, requireBefore, s3, sdk } from './bucket-shared.js';
import { readAcl, readOwnership } from './bucket-state.js';
import { ACL_OUT, bucketInput, out } from './schemas.js';

export interface AclInput extends BucketInput {
  removeCrossAccount?: boolean;
  keepGrantees?: string[];
}
export interface AclBefore {
  acl: PlainAcl;
  objectOwnership: string | null;
}
export interface AclOutput {
  bucket: string;
  changed: boolean;
  aclsDisabled: boolean;
  removed: string[];
  before: PlainAcl;
  after: PlainAcl;
}

/** The grants to remove and keep; none when ACLs are disabled (BucketOwnerEnforced). */
export function planAclCleanup(
  before: AclBefore,
  options: { removeCrossAccount?: boolean; keepGrantees?: readonly string[] } = {},
) {
  if (before.objectOwnership === 'BucketOwnerEnforced')
    return { aclsDisabled: true, removed: [] as PlainGrant[], kept: before.acl.grants };
  const keep = new Set(options.keepGrantees ?? []);
  const owners = [before.acl.owner?.id];
  const removed: PlainGrant[] = [];
  const kept: PlainGrant[] = [];
  for (const g of before.acl.grants) {
    const cross = options.removeCrossAccount && isCrossAccountGrant(g, owners) && !keep.has(g.id ?? g.email ?? '');
    (isPublicGrant(g) || cross ? removed : kept).push(g);
  }
  return { aclsDisabled: false, removed, kept };
}

export async function captureAcl(ctx: ActionContext, input: BucketInput): Promise<AclBefore> {
  const c = await s3(ctx, input);
  const [acl, ownership] = await Promise.all([readAcl(ctx, c, input.bucket), readOwnership(ctx, c, input.bucket)]);
  const before = { acl, objectOwnership: ownership.objectOwnership };
  await ctx.evidence.save('bucket-acl-before', before);
  return before;
}

export const putBucketAcl = defineAction<AclInput, AclOutput, AclBefore>({
  title: 'Remove public grants from the bucket ACL',
  description:
    'Rewrite the bucket ACL without its AllUsers and AuthenticatedUsers grants (and, with removeCrossAccount, without grants to other accounts), keeping the owner and every other grant. Nothing is sent when no grant needs removing, or when ACLs are disabled (BucketOwnerEnforced). Undo puts the previous grants back.',
  docsUrl: `${API}/API_PutBucketAcl.html`,
  input: bucketInput({
    removeCrossAccount: {
      type: 'boolean',
      description:
        'Also remove grants to other AWS accounts (canonical ids other than the owner, e-mail grantees). Default false.',
    },
    keepGrantees: {
      type: 'array',
      items: { type: 'string' },
      uniqueItems: true,
      description: 'Canonical ids or e-mail addresses whose grants are kept with removeCrossAccount.',
    },
  }),
  output: out(
    {
      changed: { type: 'boolean' },
      aclsDisabled: { type: 'boolean' },
      removed: { type: 'array', items: { type: 'string' } },
      before: ACL_OUT,
      after: ACL_OUT,
    },
    ['changed', 'aclsDisabled', 'removed', 'before', 'after'],
  ),
  effect: 'mutate',
  permissions: ['s3:GetBucketAcl', 's3:PutBucketAcl', 's3:GetBucketOwnershipControls'],
  example: { bucket: 'example-bucket', removeCrossAccount: false },
  capture: captureAcl,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const plan = planAclCleanup(b, input);
    const after: PlainAcl = { ...b.acl, grants: plan.kept };
    return {
      summary: plan.aclsDisabled
        ? `ACLs of bucket ${input.bucket} are disabled (BucketOwnerEnforced); nothing to change`
        : plan.removed.length === 0
          ? `Bucket ACL of ${input.bucket} has no grants to remove`
          : `Remove ${plan.removed.length} grant(s) from the ACL of bucket ${input.bucket}: ${describeAcl({ grants: plan.removed }).join(', ')}`,
      noop: plan.removed.length === 0,
      before: b.acl,
      after,
      details: { removed: describeAcl({ grants: plan.removed }) },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await captureAcl(ctx, input));
    const plan = planAclCleanup(b, input);
    if (plan.removed.length === 0)
      return {
        bucket: input.bucket,
        changed: false,
        aclsDisabled: plan.aclsDisabled,
        removed: [],
        before: b.acl,
        after: b.acl,
      };
    const c = await s3(ctx, input);
    const { PutBucketAclCommand } = await sdk();
    await send(
      c,
      new PutBucketAclCommand({
        Bucket: input.bucket,
        AccessControlPolicy: toAccessControlPolicy({ ...b.acl, grants: plan.kept }),
      }),
      ctx,
    );
    const after = await readAcl(ctx, c, input.bucket);
    await ctx.evidence.save('bucket-acl-after', after);
    return {
      bucket: input.bucket,
      changed: true,
      aclsDisabled: false,
      removed: describeAcl({ grants: plan.removed }),
      before: b.acl,
      after,
    };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const acl = before?.acl ?? output.before;
    const c = await s3(ctx, input);
    const { PutBucketAclCommand } = await sdk();
    try {
      await send(
        c,
        new PutBucketAclCommand({ Bucket: input.bucket, AccessControlPolicy: toAccessControlPolicy(acl) }),
        ctx,
      );
    } catch (err) {
      if (awsNameOf(err) === 'AccessControlListNotSupported') {
        throw new IrunError(
          Codes.UNDO_BLOCKED,
          `cannot restore the ACL of bucket ${input.bucket}: ACLs are now disabled (Object Ownership BucketOwnerEnforced). Undo the putBucketOwnershipControls step first, then undo this step.`,
          { cause: err, details: { bucket: input.bucket } },
        );
      }
      throw err;
    }
    return { restored: true, state: await readAcl(ctx, c, input.bucket) };
  },
});
