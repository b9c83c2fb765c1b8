/**
 * Bucket policy actions of aws.s3: put and delete the policy, and remove its public statements.
 * Undo puts the captured policy back (or deletes it again when there was none).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, defineAction, Codes, IrunError } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { defineSetting } from '../aws-common/setting.js';
import {
  API,
  awsNameOf,
  bucketKey,
  bucketState,
  requireBefore,
  s3,
  sdk,
  UNCHANGED,
  type BucketInput,
} from './bucket-shared.js';
import { type PolicyState, readBpa, readPolicy } from './bucket-state.js';
import { type PolicyDocument, type PolicyStatement, analyzePolicy, canonicalJson, statementsOf } from './policy.js';
import { ACCOUNT_ID, POLICY_IN, POLICY_STATE, bucketInput, changeOutput, out } from './schemas.js';
import { resolveAccountId } from '../aws-common/s3.js';

/**
 * Put a captured policy back (or delete the policy when there was none). A public policy cannot
 * be written while Block Public Access has BlockPublicPolicy=true, so that case fails with
 * IRUN_UNDO_BLOCKED telling the user to undo the Block Public Access step first — the engine
 * undoes in reverse order, so that step (recorded later) normally goes first.
 */
export async function restorePolicy(
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

export function blockedByBpa(
  bucket: string,
  statements: string[],
  level: 'bucket' | 'account',
  cause?: unknown,
): IrunError {
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

/** Write a policy document, or delete the policy when `policy` is null. */
async function writePolicy(ctx: ActionContext, input: BucketInput, policy: PolicyDocument | null): Promise<void> {
  const c = await s3(ctx, input);
  const { PutBucketPolicyCommand, DeleteBucketPolicyCommand } = await sdk();
  if (policy === null) {
    await send(c, new DeleteBucketPolicyCommand({ Bucket: input.bucket }), ctx);
    return;
  }
  await send(
    c,
    new PutBucketPolicyCommand({
      Bucket: input.bucket,
      Policy: JSON.stringify(policy),
      ConfirmRemoveSelfBucketAccess: false,
    }),
    ctx,
  );
}

const policySetting = {
  output: changeOutput(POLICY_STATE),
  evidence: 'bucket-policy',
  key: bucketKey,
  capture: bucketState(readPolicy),
  read: bucketState(readPolicy),
  restore: async (ctx: ActionContext, input: BucketInput, b: PolicyState) =>
    restorePolicy(ctx, await s3(ctx, input), input.bucket, b),
};

export const putBucketPolicy = defineSetting<BucketInput & { policy: PolicyDocument }, PolicyState, PolicyDocument>({
  ...policySetting,
  title: 'Replace bucket policy',
  description:
    'Replace the bucket policy (PutBucketPolicy, ConfirmRemoveSelfBucketAccess false). Nothing is sent when the policy is already the same. Undo puts the previous policy back, or deletes the policy when there was none.',
  docsUrl: `${API}/API_PutBucketPolicy.html`,
  input: bucketInput({ policy: POLICY_IN }, ['policy']),
  output: changeOutput(POLICY_STATE),
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
  desired: (input) => input.policy,
  isSet: (b, policy) => b.configured && canonicalJson(b.policy) === canonicalJson(policy),
  put: (ctx, input, policy) => writePolicy(ctx, input, policy),
  describe: (input, b, policy, noop) => ({
    summary: noop
      ? `Policy of bucket ${input.bucket} is already as requested`
      : `Replace the policy of bucket ${input.bucket} (${statementsOf(policy).length} statements)`,
    before: b.policy,
    after: policy,
  }),
});

export const deleteBucketPolicy = defineSetting<BucketInput, PolicyState, null>({
  ...policySetting,
  title: 'Delete bucket policy',
  description: 'Delete the bucket policy. Undo puts it back (after any Block Public Access step was undone).',
  docsUrl: `${API}/API_DeleteBucketPolicy.html`,
  input: bucketInput(),
  output: changeOutput(POLICY_STATE),
  permissions: ['s3:GetBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketPolicy', 's3:GetBucketPublicAccessBlock'],
  example: { bucket: 'example-bucket' },
  desired: () => null,
  isSet: (b) => !b.configured,
  put: (ctx, input) => writePolicy(ctx, input, null),
  describe: (input, b) => ({
    summary: b.configured
      ? `Delete the policy of bucket ${input.bucket} (${statementsOf(b.policy).length} statements)`
      : `Bucket ${input.bucket} has no policy`,
    before: b.policy,
    after: null,
  }),
});

// removePublicPolicyStatements

export interface RemoveInput extends BucketInput {
  alsoCrossAccount?: boolean;
  allowAccounts?: string[];
}
export interface RemoveBefore {
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
export interface RemoveOutput {
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

export const REMOVED_SCHEMA = {
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

export async function captureRemove(ctx: ActionContext, input: RemoveInput): Promise<RemoveBefore> {
  const policy = await readPolicy(ctx, await s3(ctx, input), input.bucket);
  const allowAccounts = [...(input.allowAccounts ?? [])];
  if (input.alsoCrossAccount) allowAccounts.push(await resolveAccountId(ctx));
  const before = { policy, allowAccounts: [...new Set(allowAccounts)] };
  await ctx.evidence.save('bucket-policy-before', before);
  return before;
}

export const removePublicPolicyStatements = defineAction<RemoveInput, RemoveOutput, RemoveBefore>({
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
