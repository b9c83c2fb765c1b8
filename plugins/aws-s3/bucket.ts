/**
 * Bucket-level actions of aws.s3: read every access and protection setting of a bucket, change
 * the ones containment needs (policy, ACL, Block Public Access, ownership, versioning,
 * encryption) with evidence, preview and undo, and two higher-level actions built on them:
 * `exposureSnapshot` (one read of the whole exposure table with a public verdict) and
 * `removePublicPolicyStatements`.
 *
 * Every mutating action follows AWS-ACTIONS.md §0: capture reads the before-state and saves it,
 * run changes only what differs (changed: false otherwise) and saves the after-state, undo
 * replays the before-state (an absent setting is deleted again).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Codes, IrunError } from '../../engine/errors.js';
import { defineAction, type ActionContext, type ActionDefinition, type JsonSchema } from '../../engine/plugins/api.js';
import { client, plain, send } from '../aws-common/index.js';
import { readAccountBpa, resolveAccountId, type AccountBpaState } from '../aws-s3control/account.js';
import {
  describeAcl,
  grantLabel,
  PLAIN_ACL_SCHEMA,
  isCrossAccountGrant,
  isPublicGrant,
  toAccessControlPolicy,
  toPlainAcl,
  type PlainAcl,
  type PlainGrant,
} from './acl.js';
import { bucketRegion, locationToRegion, s3For } from './common.js';
import {
  analyzePolicy,
  BPA_CONFIG_SCHEMA,
  BPA_FLAGS,
  BPA_INPUT_SCHEMA,
  bpaDiff,
  bpaEquals,
  canonicalJson,
  mergeBpa,
  normalizeBpa,
  statementsOf,
  type BpaConfig,
  type BpaFlag,
  type PolicyDocument,
  type PolicyStatement,
} from './policy.js';

const sdk = () => import('@aws-sdk/client-s3');

// ---------------------------------------------------------------------------------------------
// Schemas

const BUCKET = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$',
  description: 'Bucket name (legacy us-east-1 names with capitals or underscores are accepted).',
};
const REGION = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: "The bucket's region; discovered with GetBucketLocation when omitted.",
};
const ACCOUNT_ID = { type: 'string', pattern: '^\\d{12}$' };
const STRINGS = { type: ['string', 'array'], items: { type: 'string' } };
const NULLABLE_STRING = { type: ['string', 'null'] };

function bucketInput(props: Record<string, unknown> = {}, required: string[] = []): JsonSchema {
  return {
    type: 'object',
    properties: { bucket: BUCKET, region: REGION, ...props },
    required: ['bucket', ...required],
    additionalProperties: false,
  };
}

function out(props: Record<string, unknown>, required: string[] = []): JsonSchema {
  return { type: 'object', properties: { bucket: { type: 'string' }, ...props }, required: ['bucket', ...required] };
}

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    awsError: { type: 'string' },
    requestId: { type: 'string' },
  },
  required: ['code', 'message'],
};

const POLICY_DOC_OUT = {
  type: ['object', 'null'],
  properties: { Version: { type: 'string' }, Id: { type: 'string' }, Statement: { type: ['array', 'object'] } },
};

const PRINCIPAL_IN = {
  type: ['string', 'object'],
  properties: { AWS: STRINGS, Service: STRINGS, Federated: STRINGS, CanonicalUser: STRINGS },
  additionalProperties: false,
};
const STATEMENT_IN = {
  type: 'object',
  properties: {
    Sid: { type: 'string' },
    Effect: { type: 'string', enum: ['Allow', 'Deny'] },
    Principal: PRINCIPAL_IN,
    NotPrincipal: PRINCIPAL_IN,
    Action: STRINGS,
    NotAction: STRINGS,
    Resource: STRINGS,
    NotResource: STRINGS,
    Condition: { type: 'object', properties: {}, additionalProperties: { type: 'object', properties: {} } },
  },
  required: ['Effect'],
  additionalProperties: false,
};
const POLICY_IN = {
  type: 'object',
  description: 'The bucket policy document (parsed JSON).',
  properties: {
    Version: { type: 'string', enum: ['2012-10-17', '2008-10-17'] },
    Id: { type: 'string' },
    Statement: { anyOf: [{ type: 'array', items: STATEMENT_IN, minItems: 1 }, STATEMENT_IN] },
  },
  required: ['Statement'],
  additionalProperties: false,
};

const POLICY_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, policy: POLICY_DOC_OUT, policyText: NULLABLE_STRING },
  required: ['configured', 'policy'],
};
const ACL_OUT = { ...PLAIN_ACL_SCHEMA, required: ['grants'] };
const BPA_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, config: BPA_CONFIG_SCHEMA },
  required: ['configured', 'config'],
};
const OWNERSHIP_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, objectOwnership: NULLABLE_STRING },
  required: ['configured', 'objectOwnership'],
};
const VERSIONING_STATE = {
  type: 'object',
  properties: {
    status: { type: ['string', 'null'], description: 'Enabled, Suspended, or null when versioning was never enabled.' },
    mfaDelete: NULLABLE_STRING,
  },
  required: ['status', 'mfaDelete'],
};
const RULES_OUT = { type: 'array', items: { type: 'object', properties: {} } };
const ENCRYPTION_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, rules: RULES_OUT },
  required: ['configured', 'rules'],
};

const changeOutput = (stateSchema: unknown, extra: Record<string, unknown> = {}): JsonSchema =>
  out({ changed: { type: 'boolean' }, before: stateSchema, after: stateSchema, ...extra }, [
    'changed',
    'before',
    'after',
  ]);

// ---------------------------------------------------------------------------------------------
// State readers (shared by read actions, capture, after-reads and the exposure snapshot)

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

function parsePolicy(text: string, bucket: string): PolicyDocument {
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

// ---------------------------------------------------------------------------------------------
// Helpers

function requireBefore<B>(before: B | undefined): B {
  if (before === undefined) throw new IrunError(Codes.INTERNAL, 'the before-state of this change was not captured');
  return before;
}

function awsNameOf(err: unknown): string | undefined {
  return err instanceof IrunError ? (err.details?.awsError as string | undefined) : undefined;
}

const UNCHANGED = { restored: false, reason: 'the step changed nothing' } as const;

/**
 * Put a captured policy back (or delete the policy when there was none). A public policy cannot
 * be written while Block Public Access has BlockPublicPolicy=true, so that case fails with
 * IRUN_UNDO_BLOCKED telling the user to undo the Block Public Access step first — the engine
 * undoes in reverse order, so that step (recorded later) normally goes first.
 */
async function restorePolicy(
  ctx: ActionContext,
  c: S3Client,
  bucket: string,
  before: PolicyState,
): Promise<PolicyState> {
  const { PutBucketPolicyCommand, DeleteBucketPolicyCommand } = await sdk();
  if (!before.configured || before.policyText === null) {
    await send(c, new DeleteBucketPolicyCommand({ Bucket: bucket }), ctx);
    return readPolicy(ctx, c, bucket);
  }
  const publicIds = analyzePolicy(before.policy)
    .filter((s) => s.public)
    .map((s) => s.id);
  if (publicIds.length > 0) {
    const bpa = await readBpa(ctx, c, bucket);
    if (bpa.config?.BlockPublicPolicy) throw blockedByBpa(bucket, publicIds, 'bucket');
  }
  try {
    await send(
      c,
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: before.policyText, ConfirmRemoveSelfBucketAccess: false }),
      ctx,
    );
  } catch (err) {
    // The account-level setting (or a bucket change since the check) rejects it with AccessDenied.
    const msg = err instanceof IrunError ? String(err.details?.awsMessage ?? err.message) : '';
    if (awsNameOf(err) === 'AccessDenied' && /BlockPublicPolicy|public polic/i.test(msg))
      throw blockedByBpa(bucket, publicIds, 'account', err);
    throw err;
  }
  return readPolicy(ctx, c, bucket);
}

function blockedByBpa(bucket: string, statements: string[], level: 'bucket' | 'account', cause?: unknown): IrunError {
  const where =
    level === 'bucket' ? `the bucket's Block Public Access` : 'Block Public Access (bucket or account level)';
  return new IrunError(
    Codes.UNDO_BLOCKED,
    `cannot restore the original policy of bucket ${bucket}: ${where} has BlockPublicPolicy=true, which rejects its public statements (${statements.join(', ')}). ` +
      'Undo the Block Public Access step first (irun undo reverts steps in reverse order), then undo this step.',
    {
      cause,
      details: { bucket, level, statements },
      suggestions: [
        'irun undo <run-id> --step <the putPublicAccessBlock / putAccountPublicAccessBlock step>',
        'then: irun undo <run-id> --step <this step>',
      ],
    },
  );
}

async function s3(ctx: ActionContext, input: { bucket: string; region?: string }): Promise<S3Client> {
  return s3For(ctx, input.bucket, input.region);
}

interface BucketInput {
  bucket: string;
  region?: string;
}

// ---------------------------------------------------------------------------------------------
// Read actions

function readAction<S extends object>(opts: {
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

const API = 'https://docs.aws.amazon.com/AmazonS3/latest/API';

const getBucketLocation = defineAction<
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

const getBucketPolicy = readAction<PolicyState>({
  title: 'Get bucket policy',
  description: 'Read the bucket policy, parsed from JSON. No policy is a result: configured: false.',
  docsUrl: `${API}/API_GetBucketPolicy.html`,
  permission: 's3:GetBucketPolicy',
  output: out(POLICY_STATE.properties, ['configured', 'policy']),
  read: readPolicy,
});

const getBucketPolicyStatus = readAction<PolicyStatusState>({
  title: 'Get bucket policy status',
  description:
    "S3's own verdict on whether the bucket policy is public (PolicyStatus.IsPublic). No policy: configured: false, isPublic: false.",
  docsUrl: `${API}/API_GetBucketPolicyStatus.html`,
  permission: 's3:GetBucketPolicyStatus',
  output: out({ configured: { type: 'boolean' }, isPublic: { type: 'boolean' } }, ['configured', 'isPublic']),
  read: readPolicyStatus,
});

const getBucketAcl = readAction<PlainAcl & { publicGrants: string[]; crossAccountGrants: string[] }>({
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

const getPublicAccessBlock = readAction<BpaState>({
  title: 'Get bucket Block Public Access',
  description:
    "Read the bucket's Block Public Access flags. None set is a result: configured: false, config: null (all flags off).",
  docsUrl: `${API}/API_GetPublicAccessBlock.html`,
  permission: 's3:GetBucketPublicAccessBlock',
  output: out(BPA_STATE.properties, ['configured', 'config']),
  read: readBpa,
});

const getBucketOwnershipControls = readAction<OwnershipState>({
  title: 'Get bucket object ownership',
  description: 'Read Object Ownership (BucketOwnerEnforced disables ACLs). None set: configured: false.',
  docsUrl: `${API}/API_GetBucketOwnershipControls.html`,
  permission: 's3:GetBucketOwnershipControls',
  output: out(OWNERSHIP_STATE.properties, ['configured', 'objectOwnership']),
  read: readOwnership,
});

const getBucketVersioning = readAction<VersioningState>({
  title: 'Get bucket versioning',
  description: 'Read versioning status (null: never enabled) and MFA Delete.',
  docsUrl: `${API}/API_GetBucketVersioning.html`,
  permission: 's3:GetBucketVersioning',
  output: out(VERSIONING_STATE.properties, ['status', 'mfaDelete']),
  read: readVersioning,
});

const getBucketEncryption = readAction<EncryptionState>({
  title: 'Get bucket default encryption',
  description: 'Read default encryption rules (algorithm, KMS key, bucket key). None set: configured: false.',
  docsUrl: `${API}/API_GetBucketEncryption.html`,
  permission: 's3:GetEncryptionConfiguration',
  output: out(ENCRYPTION_STATE.properties, ['configured', 'rules']),
  read: readEncryption,
});

const getObjectLockConfiguration = readAction<ObjectLockState>({
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

const getBucketReplication = readAction<ReplicationState>({
  title: 'Get bucket replication',
  description: 'Read replication (role and rules with their destinations). None set: configured: false.',
  docsUrl: `${API}/API_GetBucketReplication.html`,
  permission: 's3:GetReplicationConfiguration',
  output: out({ configured: { type: 'boolean' }, role: NULLABLE_STRING, rules: RULES_OUT }, ['configured', 'rules']),
  read: readReplication,
});

const getBucketTagging = readAction<TagState>({
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

// ---------------------------------------------------------------------------------------------
// Bucket policy

interface PolicyChangeOutput {
  bucket: string;
  changed: boolean;
  before: PolicyState;
  after: PolicyState;
}

async function capturePolicy(ctx: ActionContext, input: BucketInput): Promise<PolicyState> {
  const before = await readPolicy(ctx, await s3(ctx, input), input.bucket);
  await ctx.evidence.save('bucket-policy-before', before);
  return before;
}

async function undoPolicy(
  ctx: ActionContext,
  input: BucketInput,
  before: PolicyState | undefined,
  output: PolicyChangeOutput,
) {
  if (!output?.changed) return UNCHANGED;
  const state = await restorePolicy(ctx, await s3(ctx, input), input.bucket, requireBefore(before ?? output.before));
  return { restored: true, state };
}

const putBucketPolicy = defineAction<BucketInput & { policy: PolicyDocument }, PolicyChangeOutput, PolicyState>({
  title: 'Replace bucket policy',
  description:
    'Replace the bucket policy (PutBucketPolicy, ConfirmRemoveSelfBucketAccess false). Nothing is sent when the policy is already the same. Undo puts the previous policy back, or deletes the policy when there was none.',
  docsUrl: `${API}/API_PutBucketPolicy.html`,
  input: bucketInput({ policy: POLICY_IN }, ['policy']),
  output: changeOutput(POLICY_STATE),
  effect: 'mutate',
  permissions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:GetBucketPublicAccessBlock'],
  example: {
    bucket: 'example-bucket',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::example-bucket', 'arn:aws:s3:::example-bucket/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  },
  capture: capturePolicy,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const noop = b.configured && canonicalJson(b.policy) === canonicalJson(input.policy);
    return {
      summary: noop
        ? `Policy of bucket ${input.bucket} is already as requested`
        : `Replace the policy of bucket ${input.bucket} (${statementsOf(input.policy).length} statements)`,
      noop,
      before: b.policy,
      after: input.policy,
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await capturePolicy(ctx, input));
    if (b.configured && canonicalJson(b.policy) === canonicalJson(input.policy))
      return { bucket: input.bucket, changed: false, before: b, after: b };
    const c = await s3(ctx, input);
    const { PutBucketPolicyCommand } = await sdk();
    await send(
      c,
      new PutBucketPolicyCommand({
        Bucket: input.bucket,
        Policy: JSON.stringify(input.policy),
        ConfirmRemoveSelfBucketAccess: false,
      }),
      ctx,
    );
    const after = await readPolicy(ctx, c, input.bucket);
    await ctx.evidence.save('bucket-policy-after', after);
    return { bucket: input.bucket, changed: true, before: b, after };
  },
  reversible: () => true,
  undo: undoPolicy,
});

const deleteBucketPolicy = defineAction<BucketInput, PolicyChangeOutput, PolicyState>({
  title: 'Delete bucket policy',
  description: 'Delete the bucket policy. Undo puts it back (after any Block Public Access step was undone).',
  docsUrl: `${API}/API_DeleteBucketPolicy.html`,
  input: bucketInput(),
  output: changeOutput(POLICY_STATE),
  effect: 'mutate',
  permissions: ['s3:GetBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketPolicy', 's3:GetBucketPublicAccessBlock'],
  example: { bucket: 'example-bucket' },
  capture: capturePolicy,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    return {
      summary: b.configured
        ? `Delete the policy of bucket ${input.bucket} (${statementsOf(b.policy).length} statements)`
        : `Bucket ${input.bucket} has no policy`,
      noop: !b.configured,
      before: b.policy,
      after: null,
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await capturePolicy(ctx, input));
    if (!b.configured) return { bucket: input.bucket, changed: false, before: b, after: b };
    const c = await s3(ctx, input);
    const { DeleteBucketPolicyCommand } = await sdk();
    await send(c, new DeleteBucketPolicyCommand({ Bucket: input.bucket }), ctx);
    const after = await readPolicy(ctx, c, input.bucket);
    await ctx.evidence.save('bucket-policy-after', after);
    return { bucket: input.bucket, changed: true, before: b, after };
  },
  reversible: () => true,
  undo: undoPolicy,
});

// ---------------------------------------------------------------------------------------------
// removePublicPolicyStatements

interface RemoveInput extends BucketInput {
  alsoCrossAccount?: boolean;
  allowAccounts?: string[];
}
interface RemoveBefore {
  policy: PolicyState;
  /** Accounts whose principals are not cross-account (the caller's plus allowAccounts). */
  allowAccounts: string[];
}
export interface RemovedStatement {
  id: string;
  sid?: string;
  reason: string;
  statement: PolicyStatement;
}
interface RemoveOutput {
  bucket: string;
  changed: boolean;
  removed: RemovedStatement[];
  kept: number;
  policyDeleted: boolean;
  before: PolicyState;
  after: PolicyState;
}

/**
 * Which statements go and the resulting policy: public statements always, statements that grant
 * to accounts outside `allowAccounts` when `alsoCrossAccount`. Null result: no statement remains.
 */
export function planStatementRemoval(
  policy: PolicyDocument | null,
  options: { alsoCrossAccount?: boolean; allowAccounts?: readonly string[] } = {},
): { removed: RemovedStatement[]; remaining: PolicyStatement[]; result: PolicyDocument | null } {
  const removed: RemovedStatement[] = [];
  const remaining: PolicyStatement[] = [];
  for (const a of analyzePolicy(policy, options.allowAccounts ?? [])) {
    let reason: string | undefined;
    if (a.public) reason = `public: ${a.publicReason}`;
    else if (options.alsoCrossAccount && a.crossAccount.length > 0)
      reason = `cross-account: grants to ${a.crossAccount.join(', ')}`;
    if (reason) removed.push({ id: a.id, ...(a.sid ? { sid: a.sid } : {}), reason, statement: a.statement });
    else remaining.push(a.statement);
  }
  const result = policy && remaining.length > 0 ? { ...policy, Statement: remaining } : null;
  return { removed, remaining, result };
}

const REMOVED_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      sid: { type: 'string' },
      reason: { type: 'string' },
      statement: { type: 'object', properties: {} },
    },
    required: ['id', 'reason', 'statement'],
  },
};

async function captureRemove(ctx: ActionContext, input: RemoveInput): Promise<RemoveBefore> {
  const policy = await readPolicy(ctx, await s3(ctx, input), input.bucket);
  const allowAccounts = [...(input.allowAccounts ?? [])];
  if (input.alsoCrossAccount) allowAccounts.push(await resolveAccountId(ctx));
  const before = { policy, allowAccounts: [...new Set(allowAccounts)] };
  await ctx.evidence.save('bucket-policy-before', before);
  return before;
}

const removePublicPolicyStatements = defineAction<RemoveInput, RemoveOutput, RemoveBefore>({
  title: 'Remove public statements from the bucket policy',
  description:
    'Remove the bucket-policy statements that grant access to anyone: Allow with Principal "*" / {"AWS":"*"} (or a list containing it) or NotPrincipal, unless a condition restricts them (aws:SourceVpce, aws:SourceVpc, aws:SourceIp, aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount, aws:SourceArn, aws:PrincipalArn). Service principals are ignored. With alsoCrossAccount, also remove statements granting to accounts other than the caller\'s and allowAccounts. Other statements are kept; when none remain the policy is deleted. Sid-less statements are identified by the sha224 of their canonical JSON. Undo restores the original policy — undo any later Block Public Access step first.',
  docsUrl:
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status',
  input: bucketInput({
    alsoCrossAccount: {
      type: 'boolean',
      description: 'Also remove statements that grant to other AWS accounts (default false).',
    },
    allowAccounts: {
      type: 'array',
      items: ACCOUNT_ID,
      uniqueItems: true,
      description: "Accounts that are not cross-account besides the caller's own.",
    },
  }),
  output: out(
    {
      changed: { type: 'boolean' },
      removed: REMOVED_SCHEMA,
      kept: { type: 'integer' },
      policyDeleted: { type: 'boolean' },
      before: POLICY_STATE,
      after: POLICY_STATE,
    },
    ['changed', 'removed', 'kept', 'policyDeleted', 'before', 'after'],
  ),
  effect: 'mutate',
  permissions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:GetBucketPublicAccessBlock'],
  example: { bucket: 'example-bucket', alsoCrossAccount: true, allowAccounts: ['111122223333'] },
  capture: captureRemove,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const plan = planStatementRemoval(b.policy.policy, {
      alsoCrossAccount: input.alsoCrossAccount,
      allowAccounts: b.allowAccounts,
    });
    const n = plan.removed.length;
    return {
      summary:
        n === 0
          ? `No public${input.alsoCrossAccount ? ' or cross-account' : ''} statements in the policy of bucket ${input.bucket}`
          : `Remove ${n} statement${n === 1 ? '' : 's'} (${plan.removed.map((r) => r.id).join(', ')}) from the policy of bucket ${input.bucket}` +
            (plan.result ? `; ${plan.remaining.length} kept` : '; no statement remains, so the policy is deleted'),
      noop: n === 0,
      before: b.policy.policy,
      after: n === 0 ? b.policy.policy : plan.result,
      details: { removed: plan.removed },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await captureRemove(ctx, input));
    const plan = planStatementRemoval(b.policy.policy, {
      alsoCrossAccount: input.alsoCrossAccount,
      allowAccounts: b.allowAccounts,
    });
    if (plan.removed.length === 0) {
      return {
        bucket: input.bucket,
        changed: false,
        removed: [],
        kept: plan.remaining.length,
        policyDeleted: false,
        before: b.policy,
        after: b.policy,
      };
    }
    const c = await s3(ctx, input);
    const { PutBucketPolicyCommand, DeleteBucketPolicyCommand } = await sdk();
    if (plan.result) {
      await send(
        c,
        new PutBucketPolicyCommand({
          Bucket: input.bucket,
          Policy: JSON.stringify(plan.result),
          ConfirmRemoveSelfBucketAccess: false,
        }),
        ctx,
      );
    } else {
      await send(c, new DeleteBucketPolicyCommand({ Bucket: input.bucket }), ctx);
    }
    const after = await readPolicy(ctx, c, input.bucket);
    await ctx.evidence.save('bucket-policy-after', after);
    return {
      bucket: input.bucket,
      changed: true,
      removed: plan.removed,
      kept: plan.remaining.length,
      policyDeleted: !plan.result,
      before: b.policy,
      after,
    };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const state = await restorePolicy(ctx, await s3(ctx, input), input.bucket, before?.policy ?? output.before);
    return { restored: true, state };
  },
});

// ---------------------------------------------------------------------------------------------
// Bucket ACL

interface AclInput extends BucketInput {
  removeCrossAccount?: boolean;
  keepGrantees?: string[];
}
interface AclBefore {
  acl: PlainAcl;
  objectOwnership: string | null;
}
interface AclOutput {
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

async function captureAcl(ctx: ActionContext, input: BucketInput): Promise<AclBefore> {
  const c = await s3(ctx, input);
  const [acl, ownership] = await Promise.all([readAcl(ctx, c, input.bucket), readOwnership(ctx, c, input.bucket)]);
  const before = { acl, objectOwnership: ownership.objectOwnership };
  await ctx.evidence.save('bucket-acl-before', before);
  return before;
}

const putBucketAcl = defineAction<AclInput, AclOutput, AclBefore>({
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

// ---------------------------------------------------------------------------------------------
// Block Public Access (bucket)

type BpaInput = BucketInput &
  Partial<Record<'blockPublicAcls' | 'ignorePublicAcls' | 'blockPublicPolicy' | 'restrictPublicBuckets', boolean>>;
interface BpaOutput {
  bucket: string;
  changed: boolean;
  before: BpaState;
  after: BpaState;
}

async function captureBpa(ctx: ActionContext, input: BucketInput): Promise<BpaState> {
  const before = await readBpa(ctx, await s3(ctx, input), input.bucket);
  await ctx.evidence.save('public-access-block-before', before);
  return before;
}

async function writeBpa(ctx: ActionContext, c: S3Client, bucket: string, config: BpaConfig | null): Promise<void> {
  const { PutPublicAccessBlockCommand, DeletePublicAccessBlockCommand } = await sdk();
  if (config === null) await send(c, new DeletePublicAccessBlockCommand({ Bucket: bucket }), ctx);
  else
    await send(
      c,
      new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...config } }),
      ctx,
    );
}

function bpaText(state: BpaState): string {
  return state.config ? BPA_FLAGS.map((f) => `${f}=${state.config![f]}`).join(', ') : 'not configured';
}

const putPublicAccessBlock = defineAction<BpaInput, BpaOutput, BpaState>({
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

const deletePublicAccessBlock = defineAction<BucketInput, BpaOutput, BpaState>({
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

// ---------------------------------------------------------------------------------------------
// Object Ownership

const OWNERSHIP_VALUES = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];

interface OwnershipInput extends BucketInput {
  objectOwnership?: string;
}
interface OwnershipBefore extends OwnershipState {
  /** The bucket ACL at capture time (null when it could not be read). */
  acl: PlainAcl | null;
}
interface OwnershipOutput {
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

async function captureOwnership(ctx: ActionContext, input: BucketInput): Promise<OwnershipBefore> {
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

const putBucketOwnershipControls = defineAction<OwnershipInput, OwnershipOutput, OwnershipBefore>({
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

// ---------------------------------------------------------------------------------------------
// Versioning

interface VersioningOutput {
  bucket: string;
  changed: boolean;
  before: VersioningState;
  after: VersioningState;
}

const NEVER_REMOVED =
  'versioning can be suspended but never removed: the bucket was not versioned before this step, so undo cannot return it to that state';

async function captureVersioning(ctx: ActionContext, input: BucketInput): Promise<VersioningState> {
  const before = await readVersioning(ctx, await s3(ctx, input), input.bucket);
  await ctx.evidence.save('versioning-before', before);
  return before;
}

const putBucketVersioning = defineAction<BucketInput, VersioningOutput, VersioningState>({
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

// ---------------------------------------------------------------------------------------------
// Default encryption

interface EncryptionInput extends BucketInput {
  sseAlgorithm?: 'aws:kms' | 'AES256';
  kmsKeyArn?: string;
  bucketKeyEnabled?: boolean;
}
interface EncryptionOutput {
  bucket: string;
  changed: boolean;
  before: EncryptionState;
  after: EncryptionState;
}

interface SseRule {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
}

/** The rule to write for the input; rejects a KMS key with AES256. */
export function encryptionRule(input: EncryptionInput): SseRule {
  const algorithm = input.sseAlgorithm ?? (input.kmsKeyArn ? 'aws:kms' : 'AES256');
  if (algorithm === 'AES256' && input.kmsKeyArn) {
    throw new IrunError(Codes.INPUT_INVALID, 'kmsKeyArn is only valid with sseAlgorithm aws:kms', {
      details: { path: '/kmsKeyArn' },
    });
  }
  if (algorithm === 'AES256')
    return { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false };
  return {
    ApplyServerSideEncryptionByDefault: {
      SSEAlgorithm: 'aws:kms',
      ...(input.kmsKeyArn ? { KMSMasterKeyID: input.kmsKeyArn } : {}),
    },
    BucketKeyEnabled: input.bucketKeyEnabled ?? true,
  };
}

function sameRule(current: Record<string, unknown> | undefined, desired: SseRule): boolean {
  if (!current) return false;
  const cur = current as SseRule;
  const a = cur.ApplyServerSideEncryptionByDefault ?? {};
  const d = desired.ApplyServerSideEncryptionByDefault ?? {};
  if (a.SSEAlgorithm !== d.SSEAlgorithm) return false;
  if (d.SSEAlgorithm === 'AES256') return true;
  return (
    (a.KMSMasterKeyID ?? null) === (d.KMSMasterKeyID ?? null) &&
    (cur.BucketKeyEnabled === true) === (desired.BucketKeyEnabled === true)
  );
}

async function captureEncryption(ctx: ActionContext, input: BucketInput): Promise<EncryptionState> {
  const before = await readEncryption(ctx, await s3(ctx, input), input.bucket);
  await ctx.evidence.save('encryption-before', before);
  return before;
}

const putBucketEncryption = defineAction<EncryptionInput, EncryptionOutput, EncryptionState>({
  title: 'Set bucket default encryption',
  description:
    'Set default encryption: SSE-KMS with a customer key (kmsKeyArn; bucket key on by default) or SSE-S3 (AES256, the default without a key). Nothing is sent when the rule is already in place. Undo restores the previous rules, or deletes the configuration (back to SSE-S3) when there was none.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html',
  input: bucketInput({
    sseAlgorithm: {
      type: 'string',
      enum: ['aws:kms', 'AES256'],
      description: 'aws:kms when kmsKeyArn is given, else AES256.',
    },
    kmsKeyArn: {
      type: 'string',
      pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$',
      description:
        'ARN of the KMS key (arn:aws:kms:<region>:<account>:key/<id>). Aliases are not resolved: give the key ARN, e.g. from `aws kms describe-key --key-id alias/name --query KeyMetadata.Arn`.',
    },
    bucketKeyEnabled: { type: 'boolean', description: 'S3 Bucket Key for SSE-KMS (default true).' },
  }),
  output: changeOutput(ENCRYPTION_STATE),
  effect: 'mutate',
  // DeleteBucketEncryption (undo) is authorized by s3:PutEncryptionConfiguration.
  permissions: ['s3:GetEncryptionConfiguration', 's3:PutEncryptionConfiguration'],
  example: {
    bucket: 'example-bucket',
    kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  },
  capture: captureEncryption,
  async preview(_ctx, input, before) {
    const b = requireBefore(before);
    const rule = encryptionRule(input);
    const noop = b.configured && sameRule(b.rules[0], rule);
    return {
      summary: noop
        ? `Default encryption of bucket ${input.bucket} is already ${rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm}`
        : `Set default encryption of bucket ${input.bucket} to ${rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm}${rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID ? ` with key ${rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID}` : ''}`,
      noop,
      before: b,
      after: { configured: true, rules: [rule] },
    };
  },
  async run(ctx, input, before) {
    const rule = encryptionRule(input);
    const b = before ?? (await captureEncryption(ctx, input));
    if (b.configured && sameRule(b.rules[0], rule))
      return { bucket: input.bucket, changed: false, before: b, after: b };
    const c = await s3(ctx, input);
    const { PutBucketEncryptionCommand } = await sdk();
    await send(
      c,
      new PutBucketEncryptionCommand({
        Bucket: input.bucket,
        ServerSideEncryptionConfiguration: { Rules: [rule as never] },
      }),
      ctx,
    );
    const after = await readEncryption(ctx, c, input.bucket);
    await ctx.evidence.save('encryption-after', after);
    return { bucket: input.bucket, changed: true, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.changed) return UNCHANGED;
    const b = requireBefore(before ?? output.before);
    const c = await s3(ctx, input);
    const { PutBucketEncryptionCommand, DeleteBucketEncryptionCommand } = await sdk();
    if (b.configured && b.rules.length > 0) {
      await send(
        c,
        new PutBucketEncryptionCommand({
          Bucket: input.bucket,
          ServerSideEncryptionConfiguration: { Rules: b.rules as never },
        }),
        ctx,
      );
    } else {
      await send(c, new DeleteBucketEncryptionCommand({ Bucket: input.bucket }), ctx);
    }
    return { restored: true, state: await readEncryption(ctx, c, input.bucket) };
  },
});

// ---------------------------------------------------------------------------------------------
// exposureSnapshot

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

function isError<T>(s: Settled<T>): s is SettingError {
  return typeof s === 'object' && s !== null && 'error' in s;
}

const SETTING_LABELS: Record<keyof ExposureSettings, string> = {
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

async function settle<T>(read: () => Promise<T>): Promise<Settled<T>> {
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

const SETTING_SCHEMA = { type: 'object', properties: { configured: { type: 'boolean' }, error: ERROR_SCHEMA } };

const exposureSnapshot = defineAction<BucketInput & { accountId?: string }>({
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

export const bucketActions: Record<string, ActionDefinition> = {
  getBucketLocation,
  getBucketPolicy,
  getBucketPolicyStatus,
  putBucketPolicy,
  deleteBucketPolicy,
  getBucketAcl,
  putBucketAcl,
  getPublicAccessBlock,
  putPublicAccessBlock,
  deletePublicAccessBlock,
  getBucketOwnershipControls,
  putBucketOwnershipControls,
  getBucketVersioning,
  putBucketVersioning,
  getBucketEncryption,
  putBucketEncryption,
  getObjectLockConfiguration,
  getBucketReplication,
  getBucketTagging,
  exposureSnapshot,
  removePublicPolicyStatements,
};
