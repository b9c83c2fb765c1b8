/** Readers of bucket settings, shared by the read actions, capture, after-reads and the exposure snapshot. */
import type { S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { plain, send } from '../aws-common/index.js';
import { type PlainAcl, toPlainAcl } from './acl.js';
import { sdk } from './bucket-shared.js';
import { type PolicyDocument } from './policy.js';
import { normalizeBpa, type BpaConfig } from '../aws-common/bpa.js';

export interface PolicyState {
  configured: boolean;
  policy: PolicyDocument | null;
  /** The policy exactly as S3 returned it, replayed verbatim on undo. */
  policyText: string | null;
}
export interface PolicyStatusState {
  configured: boolean;
  isPublic: boolean;
}
export interface BpaState {
  configured: boolean;
  config: BpaConfig | null;
}
export interface OwnershipState {
  configured: boolean;
  objectOwnership: string | null;
}
export interface VersioningState {
  status: string | null;
  mfaDelete: string | null;
}
export interface EncryptionState {
  configured: boolean;
  rules: Record<string, unknown>[];
}
export interface ObjectLockState {
  configured: boolean;
  objectLockEnabled: boolean;
  rule: Record<string, unknown> | null;
}
export interface ReplicationState {
  configured: boolean;
  role: string | null;
  rules: Record<string, unknown>[];
}
export interface TagState {
  configured: boolean;
  tagSet: { Key: string; Value: string }[];
  tags: Record<string, string>;
}

export function parsePolicy(text: string, bucket: string): PolicyDocument {
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch (cause) {
    throw new IrunError(Codes.ACTION_FAILED, `the policy of bucket ${bucket} is not valid JSON`, { cause });
  }
}

export async function readPolicy(ctx: ActionContext, c: S3Client, bucket: string): Promise<PolicyState> {
  const { GetBucketPolicyCommand } = await sdk();
  const res = await send<{ Policy?: string }>(c, new GetBucketPolicyCommand({ Bucket: bucket }), ctx, {
    allowNotConfigured: true,
  });
  if (!res?.Policy) return { configured: false, policy: null, policyText: null };
  return { configured: true, policy: parsePolicy(res.Policy, bucket), policyText: res.Policy };
}

export async function readPolicyStatus(ctx: ActionContext, c: S3Client, bucket: string): Promise<PolicyStatusState> {
  const { GetBucketPolicyStatusCommand } = await sdk();
  const res = await send<{ PolicyStatus?: { IsPublic?: boolean } }>(
    c,
    new GetBucketPolicyStatusCommand({ Bucket: bucket }),
    ctx,
    {
      allowNotConfigured: true,
    },
  );
  if (!res) return { configured: false, isPublic: false };
  return { configured: true, isPublic: res.PolicyStatus?.IsPublic === true };
}

export async function readAcl(ctx: ActionContext, c: S3Client, bucket: string): Promise<PlainAcl> {
  const { GetBucketAclCommand } = await sdk();
  const res = await send<Parameters<typeof toPlainAcl>[0]>(c, new GetBucketAclCommand({ Bucket: bucket }), ctx);
  return toPlainAcl(res);
}

export async function readBpa(ctx: ActionContext, c: S3Client, bucket: string): Promise<BpaState> {
  const { GetPublicAccessBlockCommand } = await sdk();
  const res = await send<{ PublicAccessBlockConfiguration?: Partial<BpaConfig> }>(
    c,
    new GetPublicAccessBlockCommand({ Bucket: bucket }),
    ctx,
    {
      allowNotConfigured: true,
    },
  );
  if (!res) return { configured: false, config: null };
  return { configured: true, config: normalizeBpa(res.PublicAccessBlockConfiguration) };
}

export async function readOwnership(ctx: ActionContext, c: S3Client, bucket: string): Promise<OwnershipState> {
  const { GetBucketOwnershipControlsCommand } = await sdk();
  const res = await send<{ OwnershipControls?: { Rules?: { ObjectOwnership?: string }[] } }>(
    c,
    new GetBucketOwnershipControlsCommand({ Bucket: bucket }),
    ctx,
    { allowNotConfigured: true },
  );
  if (!res) return { configured: false, objectOwnership: null };
  return { configured: true, objectOwnership: res.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? null };
}

export async function readVersioning(ctx: ActionContext, c: S3Client, bucket: string): Promise<VersioningState> {
  const { GetBucketVersioningCommand } = await sdk();
  const res = await send<{ Status?: string; MFADelete?: string }>(
    c,
    new GetBucketVersioningCommand({ Bucket: bucket }),
    ctx,
  );
  return { status: res?.Status ?? null, mfaDelete: res?.MFADelete ?? null };
}

export async function readEncryption(ctx: ActionContext, c: S3Client, bucket: string): Promise<EncryptionState> {
  const { GetBucketEncryptionCommand } = await sdk();
  const res = await send<{ ServerSideEncryptionConfiguration?: { Rules?: unknown[] } }>(
    c,
    new GetBucketEncryptionCommand({ Bucket: bucket }),
    ctx,
    {
      allowNotConfigured: true,
    },
  );
  if (!res) return { configured: false, rules: [] };
  return { configured: true, rules: plain(res.ServerSideEncryptionConfiguration?.Rules ?? []) };
}

export async function readObjectLock(ctx: ActionContext, c: S3Client, bucket: string): Promise<ObjectLockState> {
  const { GetObjectLockConfigurationCommand } = await sdk();
  const res = await send<{ ObjectLockConfiguration?: { ObjectLockEnabled?: string; Rule?: unknown } }>(
    c,
    new GetObjectLockConfigurationCommand({ Bucket: bucket }),
    ctx,
    { allowNotConfigured: true },
  );
  if (!res) return { configured: false, objectLockEnabled: false, rule: null };
  const cfg = res.ObjectLockConfiguration;
  return {
    configured: true,
    objectLockEnabled: cfg?.ObjectLockEnabled === 'Enabled',
    rule: cfg?.Rule ? plain(cfg.Rule) : null,
  };
}

export async function readReplication(ctx: ActionContext, c: S3Client, bucket: string): Promise<ReplicationState> {
  const { GetBucketReplicationCommand } = await sdk();
  const res = await send<{ ReplicationConfiguration?: { Role?: string; Rules?: unknown[] } }>(
    c,
    new GetBucketReplicationCommand({ Bucket: bucket }),
    ctx,
    {
      allowNotConfigured: true,
    },
  );
  if (!res) return { configured: false, role: null, rules: [] };
  return {
    configured: true,
    role: res.ReplicationConfiguration?.Role ?? null,
    rules: plain(res.ReplicationConfiguration?.Rules ?? []),
  };
}

export async function readTagging(ctx: ActionContext, c: S3Client, bucket: string): Promise<TagState> {
  const { GetBucketTaggingCommand } = await sdk();
  const res = await send<{ TagSet?: { Key?: string; Value?: string }[] }>(
    c,
    new GetBucketTaggingCommand({ Bucket: bucket }),
    ctx,
    {
      allowNotConfigured: true,
    },
  );
  if (!res) return { configured: false, tagSet: [], tags: {} };
  const tagSet = (res.TagSet ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
  // Object.fromEntries defines own properties, so a tag named "__proto__" stays a plain key.
  return { configured: true, tagSet, tags: Object.fromEntries(tagSet.map((t) => [t.Key, t.Value])) };
}
