/**
 * Contain a compromised IAM user (credential-leakage Part 2): see everything the user holds
 * (policies, groups, MFA devices, access keys, console password), deny it everything, revoke the
 * temporary credentials derived from it, deactivate its keys, and — as separate, irreversible
 * changes — delete a key or the console password.
 *
 * Every change reads the state just before it (evidence "before"); undo puts it back where that
 * is possible and says why not where it is not.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { Codes, defineAction, type ActionContext, type ActionDefinition, IrunError } from '../../engine/plugins/api.js';
import { client, decodePolicy, plain, send, toIrunError } from '../aws-common/index.js';

type Sdk = typeof import('@aws-sdk/client-iam');
const DOCS = 'https://docs.aws.amazon.com/IAM/latest/APIReference';

/** Inline policy names on users: the same names irun uses on roles. */
export const USER_DENY_ALL_POLICY = 'IrunDenyAll';
export const USER_REVOKE_POLICY = 'AWSRevokeOlderSessions';

const userName = { type: 'string', pattern: '^[\\w+=,.@-]{1,64}$' };
const accessKeyId = { type: 'string', pattern: '^[A-Z0-9]{16,128}$' };
const anyObject = { type: 'object', properties: {} };

async function iam(ctx: ActionContext): Promise<{ c: IAMClient; m: Sdk }> {
  const m = await import('@aws-sdk/client-iam');
  return { c: await client(ctx, m.IAMClient), m };
}

async function collect<P>(pages: AsyncIterable<P>, op: string): Promise<P[]> {
  const out: P[] = [];
  try {
    for await (const p of pages) out.push(p);
  } catch (err) {
    throw toIrunError(err, op);
  }
  return out;
}

const isNoSuchEntity = (err: unknown) => (err as IrunError).details?.awsError === 'NoSuchEntity';

// ---------------------------------------------------------------------------------------------
// inventory

interface KeyMeta {
  AccessKeyId: string;
  Status: string;
  CreateDate?: string;
}

async function listKeys(ctx: ActionContext, c: IAMClient, m: Sdk, user: string): Promise<KeyMeta[]> {
  const pages = await collect(
    m.paginateListAccessKeys({ client: c }, { UserName: user }, { abortSignal: ctx.signal }),
    'ListAccessKeys',
  );
  return plain<KeyMeta[]>(pages.flatMap((p) => p.AccessKeyMetadata ?? [])).map((k) => ({
    AccessKeyId: k.AccessKeyId,
    Status: k.Status,
    ...(k.CreateDate ? { CreateDate: k.CreateDate } : {}),
  }));
}

interface LoginProfileState {
  userName: string;
  exists: boolean;
  createDate?: string;
  passwordResetRequired?: boolean;
}

async function loginProfile(ctx: ActionContext, c: IAMClient, m: Sdk, user: string): Promise<LoginProfileState> {
  const out = await send<{ LoginProfile?: { CreateDate?: Date; PasswordResetRequired?: boolean } }>(
    c,
    new m.GetLoginProfileCommand({ UserName: user }),
    ctx,
    { allowNotConfigured: true },
  );
  if (!out?.LoginProfile) return { userName: user, exists: false };
  return {
    userName: user,
    exists: true,
    ...(out.LoginProfile.CreateDate ? { createDate: new Date(out.LoginProfile.CreateDate).toISOString() } : {}),
    passwordResetRequired: out.LoginProfile.PasswordResetRequired ?? false,
  };
}

const describeUser = defineAction<{ userName: string }>({
  title: 'Everything an IAM user holds',
  description:
    'An IAM user with its inline and attached policies, groups, MFA devices, access keys and console password (GetUser, ListUserPolicies, ListAttachedUserPolicies, ListGroupsForUser, ListMFADevices, ListAccessKeys, GetLoginProfile). A user that does not exist is `configured: false`.',
  docsUrl: `${DOCS}/API_GetUser.html`,
  input: { type: 'object', properties: { userName }, required: ['userName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      userName: { type: 'string' },
      user: { type: 'object', properties: { Arn: { type: 'string' }, UserId: { type: 'string' } } },
      inlinePolicies: { type: 'array', items: { type: 'string' } },
      attachedPolicies: {
        type: 'array',
        items: { type: 'object', properties: { PolicyName: { type: 'string' }, PolicyArn: { type: 'string' } } },
      },
      groups: { type: 'array', items: { type: 'string' } },
      mfaDevices: {
        type: 'array',
        items: { type: 'object', properties: { SerialNumber: { type: 'string' }, EnableDate: { type: 'string' } } },
      },
      accessKeys: {
        type: 'array',
        items: {
          type: 'object',
          properties: { AccessKeyId: { type: 'string' }, Status: { type: 'string' }, CreateDate: { type: 'string' } },
        },
      },
      loginProfile: { type: 'object', properties: { exists: { type: 'boolean' } } },
      reason: { type: 'string' },
    },
    required: ['configured', 'userName'],
  },
  effect: 'read',
  permissions: [
    'iam:GetUser',
    'iam:ListUserPolicies',
    'iam:ListAttachedUserPolicies',
    'iam:ListGroupsForUser',
    'iam:ListMFADevices',
    'iam:ListAccessKeys',
    'iam:GetLoginProfile',
  ],
  example: { userName: 'backup-uploader' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    const u = input.userName;
    let user: Record<string, unknown>;
    try {
      const out = await send<{ User?: unknown }>(c, new m.GetUserCommand({ UserName: u }), ctx);
      user = plain<Record<string, unknown>>(out?.User ?? {});
    } catch (err) {
      if (isNoSuchEntity(err)) return { configured: false, userName: u, reason: (err as Error).message };
      throw err;
    }
    const opt = { abortSignal: ctx.signal };
    const inline = await collect(m.paginateListUserPolicies({ client: c }, { UserName: u }, opt), 'ListUserPolicies');
    const attached = await collect(
      m.paginateListAttachedUserPolicies({ client: c }, { UserName: u }, opt),
      'ListAttachedUserPolicies',
    );
    const groups = await collect(m.paginateListGroupsForUser({ client: c }, { UserName: u }, opt), 'ListGroupsForUser');
    const mfa = await collect(m.paginateListMFADevices({ client: c }, { UserName: u }, opt), 'ListMFADevices');
    return plain({
      configured: true,
      userName: u,
      user,
      inlinePolicies: inline.flatMap((p) => p.PolicyNames ?? []),
      attachedPolicies: attached.flatMap((p) => p.AttachedPolicies ?? []),
      groups: groups.flatMap((p) => (p.Groups ?? []).map((g) => g.GroupName ?? '')),
      mfaDevices: mfa
        .flatMap((p) => p.MFADevices ?? [])
        .map((d) => ({ SerialNumber: d.SerialNumber, EnableDate: d.EnableDate })),
      accessKeys: await listKeys(ctx, c, m, u),
      loginProfile: await loginProfile(ctx, c, m, u),
    });
  },
});

// ---------------------------------------------------------------------------------------------
// inline deny policies

interface UserInlineState {
  userName: string;
  policyName: string;
  exists: boolean;
  document?: unknown;
}

async function userInline(
  ctx: ActionContext,
  c: IAMClient,
  m: Sdk,
  user: string,
  name: string,
): Promise<UserInlineState> {
  const out = await send<{ PolicyDocument?: string }>(
    c,
    new m.GetUserPolicyCommand({ UserName: user, PolicyName: name }),
    ctx,
    { allowNotConfigured: true },
  );
  if (!out) return { userName: user, policyName: name, exists: false };
  return { userName: user, policyName: name, exists: true, document: decodePolicy(out.PolicyDocument) };
}

/** The documented session-revocation document: deny all to tokens issued before `now` (UTC, seconds). */
export function revokeUserSessionsDocument(now: Date): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z') } },
    },
  };
}

export const USER_DENY_ALL_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
};

function userPolicyAction(spec: {
  title: string;
  description: string;
  policyName: string;
  document: (ctx: ActionContext) => unknown;
  /** Put even when the same document is there (revocation moves its cut-off to now). */
  always: boolean;
  summary: (user: string, doc: unknown) => string;
}): ActionDefinition<{ userName: string }, Record<string, unknown>, UserInlineState> {
  async function capture(ctx: ActionContext, input: { userName: string }): Promise<UserInlineState> {
    const { c, m } = await iam(ctx);
    const before = await userInline(ctx, c, m, input.userName, spec.policyName);
    await ctx.evidence.save('user-policy-before', before);
    return before;
  }
  const same = (b: UserInlineState | undefined, doc: unknown) =>
    !spec.always && b?.exists === true && JSON.stringify(b.document) === JSON.stringify(doc);
  return defineAction<{ userName: string }, Record<string, unknown>, UserInlineState>({
    title: spec.title,
    description: spec.description,
    docsUrl: `${DOCS}/API_PutUserPolicy.html`,
    input: { type: 'object', properties: { userName }, required: ['userName'], additionalProperties: false },
    output: {
      type: 'object',
      properties: {
        changed: { type: 'boolean' },
        userName: { type: 'string' },
        policyName: { type: 'string' },
        policyDocument: anyObject,
        before: anyObject,
        after: anyObject,
      },
      required: ['changed', 'userName', 'policyName'],
    },
    effect: 'mutate',
    permissions: ['iam:GetUserPolicy', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy'],
    example: { userName: 'backup-uploader' },
    capture,
    async preview(ctx, input, before) {
      const doc = spec.document(ctx);
      const noop = same(before, doc);
      return {
        summary: noop
          ? `Inline policy ${spec.policyName} of user ${input.userName} is already in place`
          : spec.summary(input.userName, doc),
        noop,
        before: before?.exists ? before.document : null,
        after: doc,
      };
    },
    async run(ctx, input, before) {
      const { c, m } = await iam(ctx);
      const b = before ?? (await capture(ctx, input));
      const doc = spec.document(ctx);
      const base = { userName: input.userName, policyName: spec.policyName, policyDocument: doc };
      if (same(b, doc)) return { ...base, changed: false, before: b, after: b };
      await send(
        c,
        new m.PutUserPolicyCommand({
          UserName: input.userName,
          PolicyName: spec.policyName,
          PolicyDocument: JSON.stringify(doc),
        }),
        ctx,
      );
      const after = await userInline(ctx, c, m, input.userName, spec.policyName);
      await ctx.evidence.save('user-policy-after', after);
      return { ...base, changed: true, before: b, after };
    },
    reversible: () => true,
    async undo(ctx, input, before, output) {
      if (!before || output?.changed === false) return { restored: false, reason: 'nothing was changed' };
      const { c, m } = await iam(ctx);
      if (before.exists) {
        await send(
          c,
          new m.PutUserPolicyCommand({
            UserName: input.userName,
            PolicyName: before.policyName,
            PolicyDocument: JSON.stringify(before.document),
          }),
          ctx,
        );
        return { restored: true, action: 'put back the previous document' };
      }
      await send(c, new m.DeleteUserPolicyCommand({ UserName: input.userName, PolicyName: before.policyName }), ctx);
      return { restored: true, action: 'deleted the policy' };
    },
  });
}

const denyAllUserPolicy = userPolicyAction({
  title: 'Deny everything to a user',
  description: `Put an inline deny-all policy (${USER_DENY_ALL_POLICY}: Deny * on *) on an IAM user: its keys, console password and any session derived from it can do nothing, whatever else it is allowed. Idempotent. Undo deletes the policy (or puts back a previous ${USER_DENY_ALL_POLICY}).`,
  policyName: USER_DENY_ALL_POLICY,
  document: () => USER_DENY_ALL_DOCUMENT,
  always: false,
  summary: (u) => `Put the deny-all inline policy ${USER_DENY_ALL_POLICY} on IAM user ${u}`,
});

const revokeUserSessions = userPolicyAction({
  title: 'Revoke the temporary credentials of a user',
  description: `Deny everything to credentials of an IAM user whose token was issued before now — sessions from GetSessionToken or GetFederationToken, and console sessions (PutUserPolicy ${USER_REVOKE_POLICY} with DateLessThan aws:TokenIssueTime = now, UTC). Long-term access keys are not affected: deactivate them too. Undo deletes the policy or puts the previous one back.`,
  policyName: USER_REVOKE_POLICY,
  document: (ctx) => revokeUserSessionsDocument(ctx.now()),
  always: true,
  summary: (u, doc) =>
    `Deny all actions to temporary credentials of IAM user ${u} issued before ${
      (doc as { Statement: { Condition: { DateLessThan: Record<string, string> } } }).Statement.Condition.DateLessThan[
        'aws:TokenIssueTime'
      ]
    }`,
});

// ---------------------------------------------------------------------------------------------
// access keys

interface KeysBefore {
  userName: string;
  keys: KeyMeta[];
}

const disableUserAccessKeys = defineAction<
  { userName: string; accessKeyIds?: string[] },
  Record<string, unknown>,
  KeysBefore
>({
  title: 'Deactivate the access keys of a user',
  description:
    "Set every access key of an IAM user (or the ones listed) to Inactive (ListAccessKeys, UpdateAccessKey with UserName). One change for all the keys, with each key's status before it; undo sets each key back to the status it had.",
  docsUrl: `${DOCS}/API_UpdateAccessKey.html`,
  input: {
    type: 'object',
    properties: { userName, accessKeyIds: { type: 'array', items: accessKeyId, minItems: 1 } },
    required: ['userName'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      userName: { type: 'string' },
      deactivated: { type: 'array', items: { type: 'string' } },
      keys: { type: 'array', items: { type: 'object', properties: { AccessKeyId: { type: 'string' } } } },
    },
    required: ['changed', 'userName', 'deactivated'],
  },
  effect: 'mutate',
  permissions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
  example: { userName: 'backup-uploader' },
  async capture(ctx, input) {
    const { c, m } = await iam(ctx);
    const keys = await listKeys(ctx, c, m, input.userName);
    const missing = (input.accessKeyIds ?? []).filter((id) => !keys.some((k) => k.AccessKeyId === id));
    if (missing.length)
      throw new IrunError(
        Codes.INPUT_INVALID,
        `access keys ${missing.join(', ')} do not belong to IAM user ${input.userName}`,
      );
    const before = { userName: input.userName, keys };
    await ctx.evidence.save('access-keys-before', before);
    return before;
  },
  async preview(_ctx, input, before) {
    const targets = toDisable(input, before);
    return {
      summary: targets.length
        ? `Deactivate ${targets.length} access key(s) of IAM user ${input.userName}: ${targets.join(', ')}`
        : `No active access key of IAM user ${input.userName} to deactivate`,
      noop: targets.length === 0,
      before: before?.keys,
      after: before?.keys.map((k) => (targets.includes(k.AccessKeyId) ? { ...k, Status: 'Inactive' } : k)),
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await iam(ctx);
    const b = before ?? { userName: input.userName, keys: await listKeys(ctx, c, m, input.userName) };
    const targets = toDisable(input, b);
    for (const id of targets)
      await send(
        c,
        new m.UpdateAccessKeyCommand({ UserName: input.userName, AccessKeyId: id, Status: 'Inactive' }),
        ctx,
      );
    const keys = targets.length ? await listKeys(ctx, c, m, input.userName) : b.keys;
    if (targets.length) await ctx.evidence.save('access-keys-after', { userName: input.userName, keys });
    return { changed: targets.length > 0, userName: input.userName, deactivated: targets, keys };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    const done = (output?.deactivated as string[] | undefined) ?? [];
    if (!before || !done.length) return { restored: false, reason: 'nothing was changed' };
    const { c, m } = await iam(ctx);
    for (const k of before.keys.filter((k) => done.includes(k.AccessKeyId)))
      await send(
        c,
        new m.UpdateAccessKeyCommand({
          UserName: input.userName,
          AccessKeyId: k.AccessKeyId,
          Status: k.Status as never,
        }),
        ctx,
      );
    return { restored: true, keys: done };
  },
});

function toDisable(input: { accessKeyIds?: string[] }, before: KeysBefore | undefined): string[] {
  return (before?.keys ?? [])
    .filter((k) => k.Status === 'Active' && (!input.accessKeyIds || input.accessKeyIds.includes(k.AccessKeyId)))
    .map((k) => k.AccessKeyId);
}

const NO_UNDO_KEY =
  'a deleted access key cannot be restored: the user needs a new key (CreateAccessKey), distributed to whatever used the old one';

interface DeleteKeyBefore {
  userName: string;
  accessKeyId: string;
  exists: boolean;
  status?: string;
  createDate?: string;
}

const deleteAccessKey = defineAction<
  { userName: string; accessKeyId: string },
  Record<string, unknown>,
  DeleteKeyBefore
>({
  title: 'Delete an access key (cannot be undone)',
  description: `Delete an access key of an IAM user (DeleteAccessKey with UserName). Deactivate first (disableUserAccessKeys): deletion is a separate change with its own approval, because ${NO_UNDO_KEY}. The key's metadata is kept as evidence.`,
  docsUrl: `${DOCS}/API_DeleteAccessKey.html`,
  input: {
    type: 'object',
    properties: { userName, accessKeyId },
    required: ['userName', 'accessKeyId'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      userName: { type: 'string' },
      accessKeyId: { type: 'string' },
      before: anyObject,
    },
    required: ['changed', 'userName', 'accessKeyId'],
  },
  effect: 'mutate',
  permissions: ['iam:ListAccessKeys', 'iam:DeleteAccessKey'],
  example: { userName: 'backup-uploader', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
  async capture(ctx, input) {
    const { c, m } = await iam(ctx);
    const key = (await listKeys(ctx, c, m, input.userName)).find((k) => k.AccessKeyId === input.accessKeyId);
    const before: DeleteKeyBefore = key
      ? { ...input, exists: true, status: key.Status, ...(key.CreateDate ? { createDate: key.CreateDate } : {}) }
      : { ...input, exists: false };
    await ctx.evidence.save('access-key-before', before);
    return before;
  },
  async preview(_ctx, input, before) {
    if (before && !before.exists)
      return { summary: `Access key ${input.accessKeyId} of ${input.userName} does not exist`, noop: true };
    return {
      summary: `Delete access key ${input.accessKeyId} of IAM user ${input.userName} (status ${before?.status ?? 'unknown'}) — CANNOT BE UNDONE: ${NO_UNDO_KEY}`,
      before,
      after: null,
      details: { irreversible: true },
    };
  },
  async run(ctx, input, before) {
    if (before && !before.exists) return { changed: false, ...input, before };
    const { c, m } = await iam(ctx);
    await send(c, new m.DeleteAccessKeyCommand({ UserName: input.userName, AccessKeyId: input.accessKeyId }), ctx);
    return { changed: true, ...input, ...(before ? { before } : {}) };
  },
  reversible: (_i, _b, output) => (output?.changed === false ? true : NO_UNDO_KEY),
  async undo() {
    return { restored: false, reason: 'nothing was changed' };
  },
});

const NO_UNDO_PASSWORD =
  'the old console password cannot be restored: if the user needs console access again, set a new password (CreateLoginProfile with PasswordResetRequired)';

const deleteLoginProfile = defineAction<{ userName: string }, Record<string, unknown>, LoginProfileState>({
  title: 'Remove the console password of a user',
  description: `Delete the console password (login profile) of an IAM user (GetLoginProfile, DeleteLoginProfile), so nobody can sign in to the console as the user. Whether a password existed is recorded as the before-state; a user without one is left as is. Undo cannot bring the password back: ${NO_UNDO_PASSWORD}.`,
  docsUrl: `${DOCS}/API_DeleteLoginProfile.html`,
  input: { type: 'object', properties: { userName }, required: ['userName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: { changed: { type: 'boolean' }, userName: { type: 'string' }, hadPassword: { type: 'boolean' } },
    required: ['changed', 'userName', 'hadPassword'],
  },
  effect: 'mutate',
  permissions: ['iam:GetLoginProfile', 'iam:DeleteLoginProfile'],
  example: { userName: 'backup-uploader' },
  async capture(ctx, input) {
    const { c, m } = await iam(ctx);
    const before = await loginProfile(ctx, c, m, input.userName);
    await ctx.evidence.save('login-profile-before', before);
    return before;
  },
  async preview(_ctx, input, before) {
    if (before && !before.exists)
      return { summary: `IAM user ${input.userName} has no console password`, noop: true, before };
    return {
      summary: `Remove the console password of IAM user ${input.userName} — cannot be undone: ${NO_UNDO_PASSWORD}`,
      before,
      after: { userName: input.userName, exists: false },
      details: { irreversible: true },
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await iam(ctx);
    const b = before ?? (await loginProfile(ctx, c, m, input.userName));
    if (!b.exists) return { changed: false, userName: input.userName, hadPassword: false };
    await send(c, new m.DeleteLoginProfileCommand({ UserName: input.userName }), ctx);
    return { changed: true, userName: input.userName, hadPassword: true };
  },
  reversible: (_i, _b, output) => (output?.changed === false ? true : NO_UNDO_PASSWORD),
  async undo() {
    return { restored: false, reason: 'nothing was changed' };
  },
});

export const userActions = {
  describeUser,
  denyAllUserPolicy,
  revokeUserSessions,
  disableUserAccessKeys,
  deleteAccessKey,
  deleteLoginProfile,
};
