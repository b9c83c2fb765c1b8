/** exposureSnapshot: one read of every access setting of a bucket with a verdict on public and shared access. */
import { defineAction, IrunError } from '../../engine/plugins/api.js';
import { plain } from '../aws-common/index.js';
import { type PlainAcl, grantLabel, isCrossAccountGrant, isPublicGrant } from './acl.js';
import { type BucketInput } from './bucket-shared.js';
import {
  type BpaState,
  type EncryptionState,
  type ObjectLockState,
  type OwnershipState,
  type PolicyState,
  type PolicyStatusState,
  type ReplicationState,
  type TagState,
  type VersioningState,
  readAcl,
  readBpa,
  readEncryption,
  readObjectLock,
  readOwnership,
  readPolicy,
  readPolicyStatus,
  readReplication,
  readTagging,
  readVersioning,
} from './bucket-state.js';
import { analyzePolicy } from './policy.js';
import { ACCOUNT_ID, ERROR_SCHEMA, NULLABLE_STRING, bucketInput, out } from './schemas.js';
import { BPA_FLAGS, normalizeBpa, readAccountBpa, type AccountBpaState, type BpaFlag } from '../aws-common/bpa.js';
import { bucketRegion, resolveAccountId, s3For } from '../aws-common/s3.js';

/** A setting that could not be read (AccessDenied, ...): recorded, not fatal. */
export interface SettingError {
  error: { code: string; message: string; awsError?: string; requestId?: string };
}
export type Settled<T> = T | SettingError;

export interface ExposureSettings {
  policy: Settled<PolicyState>;
  policyStatus: Settled<PolicyStatusState>;
  acl: Settled<PlainAcl>;
  publicAccessBlock: Settled<BpaState>;
  ownershipControls: Settled<OwnershipState>;
  versioning: Settled<VersioningState>;
  encryption: Settled<EncryptionState>;
  objectLock: Settled<ObjectLockState>;
  replication: Settled<ReplicationState>;
  tags: Settled<TagState>;
  accountPublicAccessBlock: Settled<AccountBpaState>;
}

export interface SharedAccess {
  source: 'policy' | 'acl';
  principal: string;
  /** The policy statement id, or the ACL permission. */
  via: string;
}

export interface ExposureVerdict {
  public: boolean;
  reasons: string[];
  shared: SharedAccess[];
  /** Findings that do not make the bucket public (mitigated, or a risk for later). */
  notes: string[];
  /** Settings that could not be read, so the verdict may miss something. */
  unknown: string[];
}

export function isError<T>(s: Settled<T>): s is SettingError {
  return typeof s === 'object' && s !== null && 'error' in s;
}

export const SETTING_LABELS: Record<keyof ExposureSettings, string> = {
  policy: 'bucket policy',
  policyStatus: 'bucket policy status',
  acl: 'bucket ACL',
  publicAccessBlock: 'bucket Block Public Access',
  ownershipControls: 'Object Ownership',
  versioning: 'versioning',
  encryption: 'default encryption',
  objectLock: 'Object Lock',
  replication: 'replication',
  tags: 'tags',
  accountPublicAccessBlock: 'account Block Public Access',
};

/**
 * The public verdict of a snapshot. Public when the policy is public (S3's PolicyStatus or a
 * public statement) and RestrictPublicBuckets is off at both levels, or the ACL grants to
 * AllUsers/AuthenticatedUsers while ACLs are enabled and IgnorePublicAcls is off at both levels.
 * Grants to other accounts are listed in `shared`, not in `reasons`.
 */
export function exposureVerdict(s: ExposureSettings, accountId?: string): ExposureVerdict {
  const reasons: string[] = [];
  const notes: string[] = [];
  const unknown: string[] = [];
  const shared: SharedAccess[] = [];
  for (const [k, v] of Object.entries(s) as [keyof ExposureSettings, Settled<unknown>][]) {
    if (isError(v)) unknown.push(`${SETTING_LABELS[k]}: ${v.error.code}`);
  }

  const bucketBpa = isError(s.publicAccessBlock) ? undefined : normalizeBpa(s.publicAccessBlock.config);
  const accountBpa = isError(s.accountPublicAccessBlock) ? undefined : normalizeBpa(s.accountPublicAccessBlock.config);
  const onAt = (f: BpaFlag): string | undefined =>
    bucketBpa?.[f] ? 'bucket' : accountBpa?.[f] ? 'account' : undefined;
  const offBoth = BPA_FLAGS.filter((f) => bucketBpa && accountBpa && !bucketBpa[f] && !accountBpa[f]);

  // Policy
  let policyPublic = false;
  const policyReasons: string[] = [];
  if (!isError(s.policyStatus) && s.policyStatus.isPublic)
    policyReasons.push('S3 reports the bucket policy as public (PolicyStatus.IsPublic)');
  if (!isError(s.policy) && s.policy.configured) {
    for (const a of analyzePolicy(s.policy.policy, accountId ? [accountId] : [])) {
      if (a.public) policyReasons.push(`policy statement ${a.id} ${a.publicReason}`);
      for (const p of a.crossAccount) shared.push({ source: 'policy', principal: p, via: a.id });
    }
  }
  if (policyReasons.length) {
    const restricted = onAt('RestrictPublicBuckets');
    if (restricted)
      notes.push(...policyReasons.map((r) => `${r}, but RestrictPublicBuckets is on at ${restricted} level`));
    else {
      policyPublic = true;
      reasons.push(...policyReasons);
    }
  }

  // ACL
  let aclPublic = false;
  const enforced = !isError(s.ownershipControls) && s.ownershipControls.objectOwnership === 'BucketOwnerEnforced';
  if (!isError(s.acl)) {
    const aclReasons = s.acl.grants
      .filter(isPublicGrant)
      .map((g) => `bucket ACL grants ${g.permission} to ${grantLabel(g)}`);
    if (aclReasons.length) {
      const ignored = onAt('IgnorePublicAcls');
      if (enforced) notes.push(...aclReasons.map((r) => `${r}, but ACLs are disabled (BucketOwnerEnforced)`));
      else if (ignored) notes.push(...aclReasons.map((r) => `${r}, but IgnorePublicAcls is on at ${ignored} level`));
      else {
        aclPublic = true;
        reasons.push(...aclReasons);
      }
    }
    if (!enforced) {
      const owner = s.acl.owner?.id;
      for (const g of s.acl.grants.filter((x) => isCrossAccountGrant(x, [owner]))) {
        shared.push({ source: 'acl', principal: grantLabel(g), via: g.permission });
      }
    }
  }

  const isPublic = policyPublic || aclPublic;
  if (offBoth.length) {
    const text = `Block Public Access off at both bucket and account level: ${offBoth.join(', ')}`;
    if (isPublic) reasons.push(text);
    else notes.push(`${text} (nothing stops a public policy or ACL from being added)`);
  }
  if (!accountId) notes.push('account id unknown: every account named in the policy is listed as shared');
  return { public: isPublic, reasons, shared, notes, unknown };
}

export async function settle<T>(read: () => Promise<T>): Promise<Settled<T>> {
  try {
    return await read();
  } catch (err) {
    // AWS errors arrive mapped by send(); anything else is a bug and is not swallowed.
    if (!(err instanceof IrunError)) throw err;
    const e = err;
    // Not a per-setting problem: the bucket is gone or the step was cancelled.
    if (e.code === 'IRUN_ABORTED' || e.code === 'IRUN_AWS_NO_SUCH_BUCKET') throw e;
    const awsError = e.details?.awsError as string | undefined;
    const requestId = e.details?.requestId as string | undefined;
    return {
      error: {
        code: e.code,
        message: e.message,
        ...(awsError ? { awsError } : {}),
        ...(requestId ? { requestId } : {}),
      },
    };
  }
}

export const SETTING_SCHEMA = { type: 'object', properties: { configured: { type: 'boolean' }, error: ERROR_SCHEMA } };

export const exposureSnapshot = defineAction<BucketInput & { accountId?: string }>({
  title: 'Exposure snapshot of a bucket',
  description:
    'Read every setting that decides who can reach the bucket — policy, policy status, ACL, Block Public Access (bucket and account), Object Ownership, versioning and MFA Delete, encryption, Object Lock, replication, tags — in one step, and compute a public verdict with reasons; grants to other accounts are listed as shared. A setting that is not configured is a result; one that cannot be read (AccessDenied) is recorded as { error } and listed under unknown. Saved as evidence.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html',
  input: bucketInput({
    accountId: {
      ...ACCOUNT_ID,
      description: "Account for the account-level Block Public Access; else the run's account or the caller's.",
    },
  }),
  output: out(
    {
      region: { type: 'string' },
      accountId: NULLABLE_STRING,
      public: { type: 'boolean' },
      reasons: { type: 'array', items: { type: 'string' } },
      shared: {
        type: 'array',
        items: {
          type: 'object',
          properties: { source: { type: 'string' }, principal: { type: 'string' }, via: { type: 'string' } },
        },
      },
      notes: { type: 'array', items: { type: 'string' } },
      unknown: { type: 'array', items: { type: 'string' } },
      settings: {
        type: 'object',
        properties: Object.fromEntries(Object.keys(SETTING_LABELS).map((k) => [k, SETTING_SCHEMA])),
        required: Object.keys(SETTING_LABELS),
      },
      evidence: { type: 'string' },
    },
    ['region', 'public', 'reasons', 'shared', 'notes', 'unknown', 'settings'],
  ),
  effect: 'read',
  permissions: [
    's3:GetBucketLocation',
    's3:GetBucketPolicy',
    's3:GetBucketPolicyStatus',
    's3:GetBucketAcl',
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketOwnershipControls',
    's3:GetBucketVersioning',
    's3:GetEncryptionConfiguration',
    's3:GetBucketObjectLockConfiguration',
    's3:GetReplicationConfiguration',
    's3:GetBucketTagging',
    's3:GetAccountPublicAccessBlock',
  ],
  example: { bucket: 'example-bucket' },
  async run(ctx, input) {
    const region = await bucketRegion(ctx, input.bucket, input.region);
    const c = await s3For(ctx, input.bucket, region);
    const b = input.bucket;
    const account = await settle(() => resolveAccountId(ctx, input.accountId));
    const accountId = typeof account === 'string' ? account : undefined;
    const [
      policy,
      policyStatus,
      acl,
      publicAccessBlock,
      ownershipControls,
      versioning,
      encryption,
      objectLock,
      replication,
      tags,
      accountPublicAccessBlock,
    ] = await Promise.all([
      settle(() => readPolicy(ctx, c, b)),
      settle(() => readPolicyStatus(ctx, c, b)),
      settle(() => readAcl(ctx, c, b)),
      settle(() => readBpa(ctx, c, b)),
      settle(() => readOwnership(ctx, c, b)),
      settle(() => readVersioning(ctx, c, b)),
      settle(() => readEncryption(ctx, c, b)),
      settle(() => readObjectLock(ctx, c, b)),
      settle(() => readReplication(ctx, c, b)),
      settle(() => readTagging(ctx, c, b)),
      accountId ? settle(() => readAccountBpa(ctx, accountId)) : Promise.resolve(account as SettingError),
    ]);
    const settings: ExposureSettings = {
      policy,
      policyStatus,
      acl,
      publicAccessBlock,
      ownershipControls,
      versioning,
      encryption,
      objectLock,
      replication,
      tags,
      accountPublicAccessBlock,
    };
    const verdict = exposureVerdict(settings, accountId);
    const snapshot = {
      bucket: b,
      region,
      accountId: accountId ?? null,
      takenAt: ctx.now().toISOString(),
      ...verdict,
      settings,
    };
    const ref = await ctx.evidence.save('exposure-snapshot', snapshot);
    return plain({ ...snapshot, evidence: ref.file });
  },
});
