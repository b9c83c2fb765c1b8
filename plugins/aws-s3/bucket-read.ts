/** Read actions of aws.s3: one per bucket setting, each a thin wrapper over its reader. */
import type { S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, type ActionDefinition, type JsonSchema, defineAction } from '../../engine/plugins/api.js';
import { client, send } from '../aws-common/index.js';
import { type PlainAcl, grantLabel, isCrossAccountGrant, isPublicGrant } from './acl.js';
import { API, type BucketInput, s3, sdk } from './bucket-shared.js';
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
import {
  ACL_OUT,
  BPA_STATE,
  ENCRYPTION_STATE,
  NULLABLE_STRING,
  OWNERSHIP_STATE,
  POLICY_STATE,
  RULES_OUT,
  VERSIONING_STATE,
  bucketInput,
  out,
} from './schemas.js';
import { locationToRegion } from '../aws-common/s3.js';

export function readAction<S extends object>(opts: {
  title: string;
  description: string;
  docsUrl: string;
  permission: string;
  output: JsonSchema;
  read: (ctx: ActionContext, c: S3Client, bucket: string) => Promise<S>;
}): ActionDefinition<BucketInput, S & { bucket: string }> {
  return defineAction<BucketInput, S & { bucket: string }>({
    title: opts.title,
    description: opts.description,
    docsUrl: opts.docsUrl,
    input: bucketInput(),
    output: opts.output,
    effect: 'read',
    permissions: [opts.permission],
    example: { bucket: 'example-bucket' },
    async run(ctx, input) {
      const state = await opts.read(ctx, await s3(ctx, input), input.bucket);
      return { bucket: input.bucket, ...state };
    },
  });
}

export const getBucketLocation = defineAction<
  BucketInput,
  { bucket: string; region: string; locationConstraint: string | null }
>({
  title: 'Get bucket region',
  description: "Find the bucket's region with GetBucketLocation (an empty constraint is us-east-1, EU is eu-west-1).",
  docsUrl: `${API}/API_GetBucketLocation.html`,
  input: bucketInput(),
  output: out({ region: { type: 'string' }, locationConstraint: NULLABLE_STRING }, ['region']),
  effect: 'read',
  permissions: ['s3:GetBucketLocation'],
  example: { bucket: 'example-bucket' },
  async run(ctx, input) {
    const { S3Client: Ctor, GetBucketLocationCommand } = await sdk();
    // GetBucketLocation answers from any region; us-east-1 unless the step names one.
    const c = await client(ctx, Ctor, { region: input.region ?? 'us-east-1' });
    const res = await send<{ LocationConstraint?: string }>(
      c,
      new GetBucketLocationCommand({ Bucket: input.bucket }),
      ctx,
    );
    const constraint = res?.LocationConstraint ? res.LocationConstraint : null;
    return { bucket: input.bucket, region: locationToRegion(constraint), locationConstraint: constraint };
  },
});

export const getBucketPolicy = readAction<PolicyState>({
  title: 'Get bucket policy',
  description: 'Read the bucket policy, parsed from JSON. No policy is a result: configured: false.',
  docsUrl: `${API}/API_GetBucketPolicy.html`,
  permission: 's3:GetBucketPolicy',
  output: out(POLICY_STATE.properties, ['configured', 'policy']),
  read: readPolicy,
});

export const getBucketPolicyStatus = readAction<PolicyStatusState>({
  title: 'Get bucket policy status',
  description:
    "S3's own verdict on whether the bucket policy is public (PolicyStatus.IsPublic). No policy: configured: false, isPublic: false.",
  docsUrl: `${API}/API_GetBucketPolicyStatus.html`,
  permission: 's3:GetBucketPolicyStatus',
  output: out({ configured: { type: 'boolean' }, isPublic: { type: 'boolean' } }, ['configured', 'isPublic']),
  read: readPolicyStatus,
});

export const getBucketAcl = readAction<PlainAcl & { publicGrants: string[]; crossAccountGrants: string[] }>({
  title: 'Get bucket ACL',
  description:
    'Read the bucket ACL: owner and grants, with the public (AllUsers/AuthenticatedUsers) and cross-account grants listed.',
  docsUrl: `${API}/API_GetBucketAcl.html`,
  permission: 's3:GetBucketAcl',
  output: out(
    {
      ...ACL_OUT.properties,
      publicGrants: { type: 'array', items: { type: 'string' } },
      crossAccountGrants: { type: 'array', items: { type: 'string' } },
    },
    ['grants', 'publicGrants', 'crossAccountGrants'],
  ),
  async read(ctx, c, bucket) {
    const acl = await readAcl(ctx, c, bucket);
    return {
      ...acl,
      publicGrants: acl.grants.filter(isPublicGrant).map((g) => `${grantLabel(g)} ${g.permission}`),
      crossAccountGrants: acl.grants
        .filter((g) => isCrossAccountGrant(g, [acl.owner?.id]))
        .map((g) => `${grantLabel(g)} ${g.permission}`),
    };
  },
});

export const getPublicAccessBlock = readAction<BpaState>({
  title: 'Get bucket Block Public Access',
  description:
    "Read the bucket's Block Public Access flags. None set is a result: configured: false, config: null (all flags off).",
  docsUrl: `${API}/API_GetPublicAccessBlock.html`,
  permission: 's3:GetBucketPublicAccessBlock',
  output: out(BPA_STATE.properties, ['configured', 'config']),
  read: readBpa,
});

export const getBucketOwnershipControls = readAction<OwnershipState>({
  title: 'Get bucket object ownership',
  description: 'Read Object Ownership (BucketOwnerEnforced disables ACLs). None set: configured: false.',
  docsUrl: `${API}/API_GetBucketOwnershipControls.html`,
  permission: 's3:GetBucketOwnershipControls',
  output: out(OWNERSHIP_STATE.properties, ['configured', 'objectOwnership']),
  read: readOwnership,
});

export const getBucketVersioning = readAction<VersioningState>({
  title: 'Get bucket versioning',
  description: 'Read versioning status (null: never enabled) and MFA Delete.',
  docsUrl: `${API}/API_GetBucketVersioning.html`,
  permission: 's3:GetBucketVersioning',
  output: out(VERSIONING_STATE.properties, ['status', 'mfaDelete']),
  read: readVersioning,
});

export const getBucketEncryption = readAction<EncryptionState>({
  title: 'Get bucket default encryption',
  description: 'Read default encryption rules (algorithm, KMS key, bucket key). None set: configured: false.',
  docsUrl: `${API}/API_GetBucketEncryption.html`,
  permission: 's3:GetEncryptionConfiguration',
  output: out(ENCRYPTION_STATE.properties, ['configured', 'rules']),
  read: readEncryption,
});

export const getObjectLockConfiguration = readAction<ObjectLockState>({
  title: 'Get Object Lock configuration',
  description: 'Read Object Lock (enabled, default retention rule). None set: configured: false.',
  docsUrl: `${API}/API_GetObjectLockConfiguration.html`,
  permission: 's3:GetBucketObjectLockConfiguration',
  output: out(
    {
      configured: { type: 'boolean' },
      objectLockEnabled: { type: 'boolean' },
      rule: { type: ['object', 'null'], properties: {} },
    },
    ['configured', 'objectLockEnabled'],
  ),
  read: readObjectLock,
});

export const getBucketReplication = readAction<ReplicationState>({
  title: 'Get bucket replication',
  description: 'Read replication (role and rules with their destinations). None set: configured: false.',
  docsUrl: `${API}/API_GetBucketReplication.html`,
  permission: 's3:GetReplicationConfiguration',
  output: out({ configured: { type: 'boolean' }, role: NULLABLE_STRING, rules: RULES_OUT }, ['configured', 'rules']),
  read: readReplication,
});

export const getBucketTagging = readAction<TagState>({
  title: 'Get bucket tags',
  description: 'Read bucket tags, as the TagSet and as a key -> value map. No tags: configured: false.',
  docsUrl: `${API}/API_GetBucketTagging.html`,
  permission: 's3:GetBucketTagging',
  output: out(
    {
      configured: { type: 'boolean' },
      tagSet: {
        type: 'array',
        items: { type: 'object', properties: { Key: { type: 'string' }, Value: { type: 'string' } } },
      },
      tags: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
    },
    ['configured', 'tagSet', 'tags'],
  ),
  read: readTagging,
});
