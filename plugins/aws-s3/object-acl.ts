/** Object ACL actions of aws.s3 and the ownership scope they depend on. */
import type { GetBucketOwnershipControlsCommandOutput, GetObjectAclCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, type ActionDefinition, defineAction } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import {
  type PlainAcl,
  classifyAcl,
  describeAcl,
  isOwnerOnly,
  ownerOnlyAcl,
  toAccessControlPolicy,
  toPlainAcl,
} from './acl.js';
import { ACL_SCHEMA, type ObjectRef, objectInput } from './object-schemas.js';
import { bucketOwnerId, s3For } from '../aws-common/s3.js';

export interface AclScope {
  bucket: string;
  /** Rules[0].ObjectOwnership, or null when ownership controls are not configured. */
  ownership: string | null;
  /** Canonical id of the bucket owner (null when ACLs are disabled and it was not needed). */
  bucketOwnerId: string | null;
}

export const ENFORCED_REASON =
  'BucketOwnerEnforced: ACLs are disabled on this bucket (Object Ownership); every object is owned by the bucket owner and no object ACL can grant access';

export async function aclScope(ctx: ActionContext, bucket: string, region?: string): Promise<AclScope> {
  const { GetBucketOwnershipControlsCommand } = await import('@aws-sdk/client-s3');
  const s3 = await s3For(ctx, bucket, region);
  const oc = await send<GetBucketOwnershipControlsCommandOutput>(
    s3,
    new GetBucketOwnershipControlsCommand({ Bucket: bucket }),
    ctx,
    { allowNotConfigured: true },
  );
  const ownership = oc?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? null;
  if (ownership === 'BucketOwnerEnforced') return { bucket, ownership, bucketOwnerId: null };
  return { bucket, ownership, bucketOwnerId: await bucketOwnerId(ctx, bucket, region) };
}

export async function getAcl(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<PlainAcl> {
  const { GetObjectAclCommand } = await import('@aws-sdk/client-s3');
  const out = await send<GetObjectAclCommandOutput>(
    s3,
    new GetObjectAclCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    ctx,
  );
  return toPlainAcl(out);
}

export async function putAcl(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
  acl: PlainAcl,
): Promise<void> {
  const { PutObjectAclCommand } = await import('@aws-sdk/client-s3');
  await send(
    s3,
    new PutObjectAclCommand({
      Bucket: bucket,
      Key: key,
      ...(versionId ? { VersionId: versionId } : {}),
      AccessControlPolicy: toAccessControlPolicy(acl),
    }),
    ctx,
  );
}

// resetObjectAcls

export interface PutObjectAclBefore {
  ownership: string | null;
  bucketOwnerId: string | null;
  acl: PlainAcl | null;
}
export const getObjectAcl = defineAction<ObjectRef>({
  title: 'Object ACL',
  description:
    'Read the ACL of one object version (GetObjectAcl) and flag grants to AllUsers / AuthenticatedUsers and to other accounts.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html',
  effect: 'read',
  permissions: ['s3:GetObjectAcl', 's3:GetObjectVersionAcl'],
  input: objectInput(),
  output: {
    type: 'object',
    properties: {
      bucket: { type: 'string' },
      key: { type: 'string' },
      versionId: { type: ['string', 'null'] },
      ...(ACL_SCHEMA.properties as Record<string, unknown>),
      public: { type: 'boolean' },
      crossAccount: { type: 'boolean' },
      offending: { type: 'array', items: { type: 'string' } },
    },
    required: ['grants', 'public'],
  },
  example: { bucket: 'example-bucket', key: 'exports/customers.csv' },
  async run(ctx, input) {
    const s3 = await s3For(ctx, input.bucket, input.region);
    const acl = await getAcl(ctx, s3, input.bucket, input.key, input.versionId);
    const v = classifyAcl(acl, undefined);
    return {
      bucket: input.bucket,
      key: input.key,
      versionId: input.versionId ?? null,
      ...acl,
      public: v.public,
      crossAccount: v.crossAccount,
      offending: v.offending,
    };
  },
});

export const putObjectAcl: ActionDefinition<ObjectRef, Record<string, unknown>, PutObjectAclBefore> = defineAction<
  ObjectRef,
  Record<string, unknown>,
  PutObjectAclBefore
>({
  title: 'Reset an object ACL to owner-only',
  description:
    'Replace the ACL of one object version with owner-only: FULL_CONTROL to the bucket owner, nothing else (PutObjectAcl with VersionId). ' +
    'Skipped when the bucket enforces bucket-owner object ownership (ACLs disabled). Undo puts the saved Owner and Grants back.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html',
  effect: 'mutate',
  permissions: [
    's3:GetObjectAcl',
    's3:GetObjectVersionAcl',
    's3:PutObjectAcl',
    's3:PutObjectVersionAcl',
    's3:GetBucketAcl',
    's3:GetBucketOwnershipControls',
  ],
  input: objectInput(),
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      skipped: { type: 'boolean' },
      reason: { type: 'string' },
      changed: { type: 'boolean' },
      before: { type: ['object', 'null'] },
      after: { type: ['object', 'null'] },
    },
    required: ['changed'],
  },
  example: { bucket: 'example-bucket', key: 'exports/customers.csv', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' },
  async capture(ctx, input) {
    const scope = await aclScope(ctx, input.bucket, input.region);
    let acl: PlainAcl | null = null;
    if (scope.ownership !== 'BucketOwnerEnforced') {
      const s3 = await s3For(ctx, input.bucket, input.region);
      acl = await getAcl(ctx, s3, input.bucket, input.key, input.versionId);
    }
    const before = { ownership: scope.ownership, bucketOwnerId: scope.bucketOwnerId, acl };
    await ctx.evidence.save('object-acl-before', {
      bucket: input.bucket,
      key: input.key,
      versionId: input.versionId ?? null,
      ...before,
    });
    return before;
  },
  async run(ctx, input, captured) {
    const before = captured ?? (await putObjectAcl.capture!(ctx, input));
    if (before.ownership === 'BucketOwnerEnforced' || !before.acl || !before.bucketOwnerId) {
      return { skipped: true, changed: false, reason: ENFORCED_REASON, before: null, after: null };
    }
    if (isOwnerOnly(before.acl, before.bucketOwnerId)) {
      return { changed: false, reason: 'already owner-only', before: before.acl, after: before.acl };
    }
    const s3 = await s3For(ctx, input.bucket, input.region);
    await putAcl(
      ctx,
      s3,
      input.bucket,
      input.key,
      input.versionId,
      ownerOnlyAcl(before.acl.owner, before.bucketOwnerId),
    );
    const after = await getAcl(ctx, s3, input.bucket, input.key, input.versionId);
    await ctx.evidence.save('object-acl-after', {
      bucket: input.bucket,
      key: input.key,
      versionId: input.versionId ?? null,
      acl: after,
    });
    return { changed: true, before: before.acl, after };
  },
  async preview(_ctx, input, before) {
    if (!before || before.ownership === 'BucketOwnerEnforced' || !before.acl || !before.bucketOwnerId) {
      return { summary: `ACLs are disabled on ${input.bucket} (BucketOwnerEnforced): nothing to change`, noop: true };
    }
    const after = ownerOnlyAcl(before.acl.owner, before.bucketOwnerId);
    const noop = isOwnerOnly(before.acl, before.bucketOwnerId);
    return {
      summary: noop
        ? `ACL of s3://${input.bucket}/${input.key} is already owner-only`
        : `Reset ACL of s3://${input.bucket}/${input.key}${input.versionId ? ` (version ${input.versionId})` : ''} to owner-only, removing: ${classifyAcl(before.acl, before.bucketOwnerId).offending.join(', ') || describeAcl(before.acl).join(', ')}`,
      noop,
      before: before.acl,
      after,
    };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!before?.acl || output?.changed === false) return { restored: false };
    const s3 = await s3For(ctx, input.bucket, input.region);
    await putAcl(ctx, s3, input.bucket, input.key, input.versionId, before.acl);
    return { restored: true };
  },
});
