/**
 * aws.iam — contain compromised IAM credentials (runbook Part 2): user access keys, role trust
 * policies, attached and inline role policies, session revocation, instance profiles.
 *
 * IAM documents arrive URL-encoded and are decoded and parsed (aws-sdk-js-v3#1945). Mutations
 * read the state just before changing it, save it as evidence, and undo restores it.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  defineAction,
  definePlugin,
  type ActionContext,
  type ActionDefinition,
  Codes,
  IrunError,
} from '../../engine/plugins/api.js';
import { client, decodePolicy, plain, send, toIrunError } from '../aws-common/index.js';
import { detachAllRolePolicies } from './role-detach.js';
import { userActions } from './users.js';

type Sdk = typeof import('@aws-sdk/client-iam');
const DOCS = 'https://docs.aws.amazon.com/IAM/latest/APIReference';

/** The inline policy name irun owns for "deny everything" on a role. */
export const DENY_ALL_POLICY_NAME = 'IrunDenyAll';
/** The policy name the IAM console uses for "Revoke active sessions". */
export const REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';

/** Inline permissions policy that denies every action. */
export const DENY_ALL_DOCUMENT = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] };

/** Trust policy that lets nobody assume the role (used by updateAssumeRolePolicy denyAll). */
export const DENY_ALL_TRUST_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'IrunDenyAll',
      Effect: 'Deny',
      Principal: '*',
      Action: [
        'sts:AssumeRole',
        'sts:AssumeRoleWithSAML',
        'sts:AssumeRoleWithWebIdentity',
        'sts:TagSession',
        'sts:SetSourceIdentity',
      ],
    },
  ],
};

/** ISO-8601 UTC with seconds and no fraction: 2024-05-07T23:47:00Z. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The documented AWSRevokeOlderSessions policy: deny all to tokens issued before `now`. */
export function revokeSessionsDocument(now: Date): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': isoSeconds(now) } },
    },
  };
}

/** JSON with object keys sorted, to compare policy documents regardless of key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function parseDocument(doc: unknown, what: string): unknown {
  if (typeof doc !== 'string') return doc;
  try {
    return JSON.parse(doc);
  } catch (cause) {
    throw new IrunError(Codes.INPUT_INVALID, `${what} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

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

// ---------------------------------------------------------------------------------------------
// schemas

const userName = { type: 'string', pattern: '^[\\w+=,.@-]{1,64}$' };
const roleName = { type: 'string', pattern: '^[\\w+=,.@-]{1,64}$' };
const policyName = { type: 'string', pattern: '^[\\w+=,.@-]{1,128}$' };
const accessKeyId = { type: 'string', pattern: '^[A-Z0-9]{16,128}$' };
const policyArn = { type: 'string', pattern: '^arn:aws[a-z-]*:iam::(\\d{12}|aws):policy/' };
const policyDocument = {
  type: ['object', 'string'],
  properties: {},
  description: 'IAM policy document (object or JSON text).',
};
const anyObject = { type: 'object', properties: {} };
const changeOutput = (extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties: { changed: { type: 'boolean' }, before: anyObject, after: anyObject, ...extra },
  required: ['changed'],
});

// ---------------------------------------------------------------------------------------------
// access keys

interface AccessKeyState {
  userName: string;
  accessKeyId: string;
  status: string;
  createDate?: string;
}

async function ownerOf(ctx: ActionContext, c: IAMClient, m: Sdk, accessKeyId: string): Promise<string> {
  const out = await send<{ UserName?: string }>(
    c,
    new m.GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }),
    ctx,
  );
  if (!out?.UserName) {
    throw new IrunError(Codes.ACTION_FAILED, `cannot find the IAM user that owns access key ${accessKeyId}`, {
      suggestions: [
        'Give userName explicitly.',
        'A key of another account cannot be managed from this one: check aws.sts.getAccessKeyInfo.',
      ],
    });
  }
  return out.UserName;
}

async function keyState(
  ctx: ActionContext,
  c: IAMClient,
  m: Sdk,
  user: string,
  accessKeyId: string,
): Promise<AccessKeyState> {
  const pages = await collect(
    m.paginateListAccessKeys({ client: c }, { UserName: user }, { abortSignal: ctx.signal }),
    'ListAccessKeys',
  );
  const key = pages.flatMap((p) => p.AccessKeyMetadata ?? []).find((k) => k.AccessKeyId === accessKeyId);
  if (!key) {
    throw new IrunError(Codes.INPUT_INVALID, `access key ${accessKeyId} does not belong to IAM user ${user}`);
  }
  return {
    userName: user,
    accessKeyId,
    status: key.Status ?? 'Unknown',
    ...(key.CreateDate ? { createDate: key.CreateDate.toISOString() } : {}),
  };
}

interface KeyInput {
  accessKeyId: string;
  userName?: string;
  status?: 'Active' | 'Inactive';
}

function accessKeyMutation(
  fixedStatus: 'Inactive' | undefined,
  meta: { title: string; description: string },
): ActionDefinition<KeyInput, Record<string, unknown>, AccessKeyState> {
  const desired = (input: KeyInput) => (fixedStatus ?? input.status) as string;
  async function capture(ctx: ActionContext, input: KeyInput): Promise<AccessKeyState> {
    const { c, m } = await iam(ctx);
    const user = input.userName ?? (await ownerOf(ctx, c, m, input.accessKeyId));
    const before = await keyState(ctx, c, m, user, input.accessKeyId);
    await ctx.evidence.save('access-key-before', before);
    return before;
  }
  return defineAction<KeyInput, Record<string, unknown>, AccessKeyState>({
    ...meta,
    docsUrl: `${DOCS}/API_UpdateAccessKey.html`,
    input: {
      type: 'object',
      properties: {
        accessKeyId,
        userName: { ...userName, description: 'Owner of the key; found with GetAccessKeyLastUsed when not given.' },
        ...(fixedStatus ? {} : { status: { type: 'string', enum: ['Active', 'Inactive'] } }),
      },
      required: fixedStatus ? ['accessKeyId'] : ['accessKeyId', 'status'],
      additionalProperties: false,
    },
    output: changeOutput({ userName: { type: 'string' }, accessKeyId: { type: 'string' }, status: { type: 'string' } }),
    effect: 'mutate',
    permissions: ['iam:GetAccessKeyLastUsed', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'],
    example: fixedStatus
      ? { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }
      : { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'alice', status: 'Inactive' },
    capture,
    async preview(_ctx, input, before) {
      const want = desired(input);
      const noop = before?.status === want;
      return {
        summary: noop
          ? `Access key ${input.accessKeyId} of ${before?.userName} is already ${want}`
          : `Set access key ${input.accessKeyId} of IAM user ${before?.userName ?? input.userName ?? '(owner looked up)'} to ${want}`,
        noop,
        before,
        after: before ? { ...before, status: want } : undefined,
      };
    },
    async run(ctx, input, before) {
      const { c, m } = await iam(ctx);
      const b = before ?? (await capture(ctx, input));
      const want = desired(input);
      if (b.status === want)
        return {
          changed: false,
          userName: b.userName,
          accessKeyId: input.accessKeyId,
          status: want,
          before: b,
          after: b,
        };
      // Always pass UserName: without it UpdateAccessKey acts on the caller's own user.
      await send(
        c,
        new m.UpdateAccessKeyCommand({ UserName: b.userName, AccessKeyId: input.accessKeyId, Status: want as never }),
        ctx,
      );
      const after = await keyState(ctx, c, m, b.userName, input.accessKeyId);
      await ctx.evidence.save('access-key-after', after);
      return {
        changed: true,
        userName: b.userName,
        accessKeyId: input.accessKeyId,
        status: after.status,
        before: b,
        after,
      };
    },
    reversible: () => true,
    async undo(ctx, input, before, output) {
      if (!before || output?.changed === false) return { restored: false, reason: 'nothing was changed' };
      const { c, m } = await iam(ctx);
      await send(
        c,
        new m.UpdateAccessKeyCommand({
          UserName: before.userName,
          AccessKeyId: input.accessKeyId,
          Status: before.status as never,
        }),
        ctx,
      );
      return { restored: true, status: before.status };
    },
  });
}

const listAccessKeys = defineAction<{ userName?: string }>({
  title: 'List access keys of a user',
  description:
    "Access keys of an IAM user with their status and creation date (ListAccessKeys). Without userName, the caller's own user.",
  docsUrl: `${DOCS}/API_ListAccessKeys.html`,
  input: { type: 'object', properties: { userName }, additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      userName: { type: 'string' },
      accessKeys: {
        type: 'array',
        items: {
          type: 'object',
          properties: { AccessKeyId: { type: 'string' }, Status: { type: 'string' }, CreateDate: { type: 'string' } },
        },
      },
    },
    required: ['configured', 'accessKeys'],
  },
  effect: 'read',
  permissions: ['iam:ListAccessKeys'],
  example: { userName: 'alice' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    const keys: unknown[] = [];
    try {
      for await (const p of m.paginateListAccessKeys(
        { client: c },
        input.userName ? { UserName: input.userName } : {},
        { abortSignal: ctx.signal },
      )) {
        keys.push(...plain<unknown[]>(p.AccessKeyMetadata ?? []));
      }
    } catch (err) {
      const e = toIrunError(err, 'ListAccessKeys');
      if (e.details?.awsError === 'NoSuchEntity')
        return { configured: false, userName: input.userName, accessKeys: [], reason: e.message };
      throw e;
    }
    return plain({ configured: true, userName: input.userName, accessKeys: keys });
  },
});

const getAccessKeyLastUsed = defineAction<{ accessKeyId: string }>({
  title: 'Owner and last use of an access key',
  description:
    'The IAM user owning an access key and when, where and for which service it was last used (GetAccessKeyLastUsed).',
  docsUrl: `${DOCS}/API_GetAccessKeyLastUsed.html`,
  input: { type: 'object', properties: { accessKeyId }, required: ['accessKeyId'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      accessKeyId: { type: 'string' },
      userName: { type: 'string' },
      lastUsed: {
        type: 'object',
        properties: { LastUsedDate: { type: 'string' }, ServiceName: { type: 'string' }, Region: { type: 'string' } },
      },
    },
    required: ['accessKeyId'],
  },
  effect: 'read',
  permissions: ['iam:GetAccessKeyLastUsed'],
  example: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    const out = await send<{ UserName?: string; AccessKeyLastUsed?: unknown }>(
      c,
      new m.GetAccessKeyLastUsedCommand({ AccessKeyId: input.accessKeyId }),
      ctx,
    );
    return plain({ accessKeyId: input.accessKeyId, userName: out?.UserName, lastUsed: out?.AccessKeyLastUsed ?? {} });
  },
});

const updateAccessKey = accessKeyMutation(undefined, {
  title: 'Set the status of an access key',
  description:
    'Activate or deactivate an IAM user access key (UpdateAccessKey, always with UserName). Undo sets the previous status back.',
});

const disableAccessKey = accessKeyMutation('Inactive', {
  title: 'Deactivate an access key',
  description:
    'Deactivate a long-term access key (UpdateAccessKey Status=Inactive). The owning user is found with GetAccessKeyLastUsed when userName is not given; UserName is always passed so the call never acts on the caller. Undo makes it Active again.',
});

// ---------------------------------------------------------------------------------------------
// roles

interface RoleView {
  RoleName?: string;
  Arn?: string;
  Path?: string;
  AssumeRolePolicyDocument?: unknown;
  [k: string]: unknown;
}

async function readRole(
  ctx: ActionContext,
  c: IAMClient,
  m: Sdk,
  name: string,
  allowMissing = false,
): Promise<RoleView | undefined> {
  const out = await send<{ Role?: Record<string, unknown> }>(c, new m.GetRoleCommand({ RoleName: name }), ctx, {
    allowNotConfigured: allowMissing,
  });
  if (!out?.Role) return undefined;
  const role = plain<RoleView>(out.Role);
  role.AssumeRolePolicyDocument = decodePolicy(out.Role.AssumeRolePolicyDocument as string | undefined);
  return role;
}

function assertNotServiceLinked(role: RoleView | undefined, name: string): void {
  if (role?.Path?.startsWith('/aws-service-role/')) {
    throw new IrunError(
      Codes.IAM_SERVICE_LINKED_ROLE,
      `role ${name} is a service-linked role (path ${role.Path}): IAM does not allow policies to be added to it`,
      {
        suggestions: ['Contain the service that uses the role instead, or open a case with AWS Support.'],
        details: { roleName: name, path: role.Path },
      },
    );
  }
}

const getRole = defineAction<{ roleName: string }>({
  title: 'Get a role',
  description:
    'A role with its trust policy decoded and parsed, and when it was last used (GetRole). A role that does not exist is `configured: false`.',
  docsUrl: `${DOCS}/API_GetRole.html`,
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      role: {
        type: 'object',
        properties: {
          RoleName: { type: 'string' },
          Arn: { type: 'string' },
          Path: { type: 'string' },
          AssumeRolePolicyDocument: anyObject,
          RoleLastUsed: {
            type: 'object',
            properties: { LastUsedDate: { type: 'string' }, Region: { type: 'string' } },
          },
        },
      },
      serviceLinked: { type: 'boolean' },
    },
    required: ['configured'],
  },
  effect: 'read',
  permissions: ['iam:GetRole'],
  example: { roleName: 'app-role' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    const role = await readRole(ctx, c, m, input.roleName, true);
    if (!role) return { configured: false, roleName: input.roleName };
    return { configured: true, role, serviceLinked: !!role.Path?.startsWith('/aws-service-role/') };
  },
});

interface TrustInput {
  roleName: string;
  policyDocument?: unknown;
  denyAll?: true;
}
interface TrustBefore {
  roleName: string;
  arn?: string;
  document: unknown;
}

async function captureTrust(ctx: ActionContext, input: TrustInput): Promise<TrustBefore> {
  const { c, m } = await iam(ctx);
  const role = await readRole(ctx, c, m, input.roleName);
  const before = { roleName: input.roleName, arn: role?.Arn, document: role?.AssumeRolePolicyDocument };
  await ctx.evidence.save('trust-policy-before', before);
  return before;
}

const updateAssumeRolePolicy = defineAction<TrustInput, Record<string, unknown>, TrustBefore>({
  title: 'Replace the trust policy of a role',
  description:
    'Replace who may assume a role (UpdateAssumeRolePolicy): a given trust document, or `denyAll: true` for a trust policy that lets nobody assume it. Existing sessions survive: pair it with revokeRoleSessions. Before and undo: the decoded trust document.',
  docsUrl: `${DOCS}/API_UpdateAssumeRolePolicy.html`,
  input: {
    type: 'object',
    properties: { roleName, policyDocument, denyAll: { type: 'boolean', const: true } },
    required: ['roleName'],
    oneOf: [{ required: ['policyDocument'] }, { required: ['denyAll'] }],
    additionalProperties: false,
  },
  output: changeOutput({ roleName: { type: 'string' } }),
  effect: 'mutate',
  permissions: ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
  example: { roleName: 'app-role', denyAll: true },
  capture: captureTrust,
  async preview(_ctx, input, before) {
    const want = desiredTrust(input);
    const noop = before !== undefined && canonicalJson(before.document) === canonicalJson(want);
    return {
      summary: noop
        ? `Trust policy of role ${input.roleName} is already as requested`
        : `Replace the trust policy of role ${input.roleName}${input.denyAll ? ' with one that lets nobody assume it' : ''}`,
      noop,
      before: before?.document,
      after: want,
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await iam(ctx);
    const b = before ?? (await captureTrust(ctx, input));
    const want = desiredTrust(input);
    if (canonicalJson(b.document) === canonicalJson(want))
      return { changed: false, roleName: input.roleName, before: b, after: b };
    await send(
      c,
      new m.UpdateAssumeRolePolicyCommand({ RoleName: input.roleName, PolicyDocument: JSON.stringify(want) }),
      ctx,
    );
    const role = await readRole(ctx, c, m, input.roleName);
    const after = { roleName: input.roleName, arn: role?.Arn, document: role?.AssumeRolePolicyDocument };
    await ctx.evidence.save('trust-policy-after', after);
    return { changed: true, roleName: input.roleName, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!before || output?.changed === false) return { restored: false, reason: 'nothing was changed' };
    const { c, m } = await iam(ctx);
    await send(
      c,
      new m.UpdateAssumeRolePolicyCommand({
        RoleName: input.roleName,
        PolicyDocument: JSON.stringify(before.document),
      }),
      ctx,
    );
    return { restored: true };
  },
});

function desiredTrust(input: TrustInput): unknown {
  if (input.denyAll) return DENY_ALL_TRUST_DOCUMENT;
  if (input.policyDocument === undefined)
    throw new IrunError(Codes.INPUT_INVALID, 'updateAssumeRolePolicy needs policyDocument or denyAll: true');
  return parseDocument(input.policyDocument, 'policyDocument');
}

async function attachedPolicies(
  ctx: ActionContext,
  c: IAMClient,
  m: Sdk,
  role: string,
): Promise<{ PolicyName?: string; PolicyArn?: string }[]> {
  const pages = await collect(
    m.paginateListAttachedRolePolicies({ client: c }, { RoleName: role }, { abortSignal: ctx.signal }),
    'ListAttachedRolePolicies',
  );
  return plain(pages.flatMap((p) => p.AttachedPolicies ?? []));
}

const listAttachedRolePolicies = defineAction<{ roleName: string }>({
  title: 'Managed policies attached to a role',
  description:
    'The managed policies attached to a role (ListAttachedRolePolicies, all pages). A role that does not exist is `configured: false`.',
  docsUrl: `${DOCS}/API_ListAttachedRolePolicies.html`,
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      attachedPolicies: {
        type: 'array',
        items: { type: 'object', properties: { PolicyName: { type: 'string' }, PolicyArn: { type: 'string' } } },
      },
    },
    required: ['configured', 'attachedPolicies'],
  },
  effect: 'read',
  permissions: ['iam:ListAttachedRolePolicies'],
  example: { roleName: 'app-role' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    try {
      return { configured: true, attachedPolicies: await attachedPolicies(ctx, c, m, input.roleName) };
    } catch (err) {
      if ((err as IrunError).details?.awsError === 'NoSuchEntity')
        return { configured: false, attachedPolicies: [], reason: (err as Error).message };
      throw err;
    }
  },
});

interface DetachBefore {
  roleName: string;
  policyArn: string;
  attached: boolean;
  attachedPolicies: { PolicyName?: string; PolicyArn?: string }[];
}

async function captureAttached(
  ctx: ActionContext,
  input: { roleName: string; policyArn: string },
): Promise<DetachBefore> {
  const { c, m } = await iam(ctx);
  const list = await attachedPolicies(ctx, c, m, input.roleName);
  const before = {
    roleName: input.roleName,
    policyArn: input.policyArn,
    attached: list.some((p) => p.PolicyArn === input.policyArn),
    attachedPolicies: list,
  };
  await ctx.evidence.save('attached-role-policies-before', before);
  return before;
}

const detachRolePolicy = defineAction<{ roleName: string; policyArn: string }, Record<string, unknown>, DetachBefore>({
  title: 'Detach a managed policy from a role',
  description:
    'Detach one managed policy from a role (DetachRolePolicy). Nothing happens when it is not attached. Undo attaches it again (AttachRolePolicy).',
  docsUrl: `${DOCS}/API_DetachRolePolicy.html`,
  input: {
    type: 'object',
    properties: { roleName, policyArn },
    required: ['roleName', 'policyArn'],
    additionalProperties: false,
  },
  output: changeOutput({ roleName: { type: 'string' }, policyArn: { type: 'string' } }),
  effect: 'mutate',
  permissions: ['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:AttachRolePolicy'],
  example: { roleName: 'app-role', policyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' },
  capture: captureAttached,
  async preview(_ctx, input, before) {
    const noop = before !== undefined && !before.attached;
    return {
      summary: noop
        ? `Policy ${input.policyArn} is not attached to role ${input.roleName}`
        : `Detach ${input.policyArn} from role ${input.roleName}`,
      noop,
      before: before?.attachedPolicies,
      after: before?.attachedPolicies.filter((p) => p.PolicyArn !== input.policyArn),
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await iam(ctx);
    const b = before ?? (await captureAttached(ctx, input));
    if (!b.attached)
      return { changed: false, roleName: input.roleName, policyArn: input.policyArn, before: b, after: b };
    await send(c, new m.DetachRolePolicyCommand({ RoleName: input.roleName, PolicyArn: input.policyArn }), ctx);
    const list = await attachedPolicies(ctx, c, m, input.roleName);
    const after = {
      roleName: input.roleName,
      policyArn: input.policyArn,
      attached: list.some((p) => p.PolicyArn === input.policyArn),
      attachedPolicies: list,
    };
    await ctx.evidence.save('attached-role-policies-after', after);
    return { changed: true, roleName: input.roleName, policyArn: input.policyArn, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!before?.attached || output?.changed === false) return { restored: false, reason: 'nothing was detached' };
    const { c, m } = await iam(ctx);
    await send(c, new m.AttachRolePolicyCommand({ RoleName: input.roleName, PolicyArn: input.policyArn }), ctx);
    return { restored: true };
  },
});

const listRolePolicies = defineAction<{ roleName: string }>({
  title: 'Inline policies of a role',
  description:
    'Names of the inline policies of a role (ListRolePolicies, all pages). A role that does not exist is `configured: false`.',
  docsUrl: `${DOCS}/API_ListRolePolicies.html`,
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: { configured: { type: 'boolean' }, policyNames: { type: 'array', items: { type: 'string' } } },
    required: ['configured', 'policyNames'],
  },
  effect: 'read',
  permissions: ['iam:ListRolePolicies'],
  example: { roleName: 'app-role' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    try {
      const pages = await collect(
        m.paginateListRolePolicies({ client: c }, { RoleName: input.roleName }, { abortSignal: ctx.signal }),
        'ListRolePolicies',
      );
      return { configured: true, policyNames: pages.flatMap((p) => p.PolicyNames ?? []) };
    } catch (err) {
      if ((err as IrunError).details?.awsError === 'NoSuchEntity')
        return { configured: false, policyNames: [], reason: (err as Error).message };
      throw err;
    }
  },
});

interface InlineState {
  roleName: string;
  policyName: string;
  exists: boolean;
  document?: unknown;
}

async function inlineState(ctx: ActionContext, c: IAMClient, m: Sdk, role: string, name: string): Promise<InlineState> {
  const out = await send<{ PolicyDocument?: string }>(
    c,
    new m.GetRolePolicyCommand({ RoleName: role, PolicyName: name }),
    ctx,
    { allowNotConfigured: true },
  );
  if (!out) return { roleName: role, policyName: name, exists: false };
  return { roleName: role, policyName: name, exists: true, document: decodePolicy(out.PolicyDocument) };
}

const getRolePolicy = defineAction<{ roleName: string; policyName: string }>({
  title: 'An inline policy of a role',
  description:
    'One inline policy of a role, decoded and parsed (GetRolePolicy). A policy that does not exist is `configured: false`.',
  docsUrl: `${DOCS}/API_GetRolePolicy.html`,
  input: {
    type: 'object',
    properties: { roleName, policyName },
    required: ['roleName', 'policyName'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      roleName: { type: 'string' },
      policyName: { type: 'string' },
      policyDocument: anyObject,
    },
    required: ['configured'],
  },
  effect: 'read',
  permissions: ['iam:GetRolePolicy'],
  example: { roleName: 'app-role', policyName: 'inline-s3' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    const s = await inlineState(ctx, c, m, input.roleName, input.policyName);
    return s.exists
      ? { configured: true, roleName: input.roleName, policyName: input.policyName, policyDocument: s.document }
      : { configured: false, roleName: input.roleName, policyName: input.policyName };
  },
});

interface InlineMutation<I> {
  title: string;
  description: string;
  docsUrl: string;
  input: Record<string, unknown>;
  example: I;
  name(input: I): string;
  document(ctx: ActionContext, input: I): unknown;
  /** Put even when the same document is in place (revocation refreshes its timestamp). */
  always?: boolean;
  /** Refuse service-linked roles up front with a clear error. */
  checkRole?: boolean;
  summary(input: I, doc: unknown): string;
}

/** A PutRolePolicy action: before is GetRolePolicy (or absent); undo deletes it or puts the old one back. */
function inlinePolicyAction<I extends { roleName: string }>(
  spec: InlineMutation<I>,
): ActionDefinition<I, Record<string, unknown>, InlineState> {
  async function capture(ctx: ActionContext, input: I): Promise<InlineState> {
    const { c, m } = await iam(ctx);
    if (spec.checkRole) assertNotServiceLinked(await readRole(ctx, c, m, input.roleName), input.roleName);
    const before = await inlineState(ctx, c, m, input.roleName, spec.name(input));
    await ctx.evidence.save('role-policy-before', before);
    return before;
  }
  return defineAction<I, Record<string, unknown>, InlineState>({
    title: spec.title,
    description: spec.description,
    docsUrl: spec.docsUrl,
    input: spec.input,
    output: changeOutput({ roleName: { type: 'string' }, policyName: { type: 'string' }, policyDocument: anyObject }),
    effect: 'mutate',
    permissions: [
      ...(spec.checkRole ? ['iam:GetRole'] : []),
      'iam:GetRolePolicy',
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
    ],
    example: spec.example,
    capture,
    async preview(ctx, input, before) {
      const doc = spec.document(ctx, input);
      const noop = !spec.always && before?.exists === true && canonicalJson(before.document) === canonicalJson(doc);
      return {
        summary: noop
          ? `Inline policy ${spec.name(input)} of role ${input.roleName} is already in place`
          : spec.summary(input, doc),
        noop,
        before: before?.document ?? null,
        after: doc,
      };
    },
    async run(ctx, input, before) {
      const { c, m } = await iam(ctx);
      const b = before ?? (await capture(ctx, input));
      const name = spec.name(input);
      const doc = spec.document(ctx, input);
      const base = { roleName: input.roleName, policyName: name, policyDocument: doc };
      if (!spec.always && b.exists && canonicalJson(b.document) === canonicalJson(doc))
        return { ...base, changed: false, before: b, after: b };
      await send(
        c,
        new m.PutRolePolicyCommand({ RoleName: input.roleName, PolicyName: name, PolicyDocument: JSON.stringify(doc) }),
        ctx,
      );
      const after = await inlineState(ctx, c, m, input.roleName, name);
      await ctx.evidence.save('role-policy-after', after);
      return { ...base, changed: true, before: b, after };
    },
    reversible: () => true,
    async undo(ctx, input, before, output) {
      if (!before || output?.changed === false) return { restored: false, reason: 'nothing was changed' };
      const { c, m } = await iam(ctx);
      if (before.exists) {
        await send(
          c,
          new m.PutRolePolicyCommand({
            RoleName: input.roleName,
            PolicyName: before.policyName,
            PolicyDocument: JSON.stringify(before.document),
          }),
          ctx,
        );
        return { restored: true, action: 'put back the previous document' };
      }
      await send(c, new m.DeleteRolePolicyCommand({ RoleName: input.roleName, PolicyName: before.policyName }), ctx);
      return { restored: true, action: 'deleted the policy' };
    },
  });
}

const putRolePolicy = inlinePolicyAction<{ roleName: string; policyName: string; policyDocument: unknown }>({
  title: 'Put an inline policy on a role',
  description:
    'Create or replace an inline policy of a role (PutRolePolicy). Before: the existing policy or absent. Undo deletes it, or puts the previous document back.',
  docsUrl: `${DOCS}/API_PutRolePolicy.html`,
  input: {
    type: 'object',
    properties: { roleName, policyName, policyDocument },
    required: ['roleName', 'policyName', 'policyDocument'],
    additionalProperties: false,
  },
  example: {
    roleName: 'app-role',
    policyName: 'deny-s3',
    policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }] },
  },
  name: (i) => i.policyName,
  document: (_ctx, i) => parseDocument(i.policyDocument, 'policyDocument'),
  summary: (i) => `Put inline policy ${i.policyName} on role ${i.roleName}`,
});

const revokeRoleSessions = inlinePolicyAction<{ roleName: string }>({
  title: 'Revoke the active sessions of a role',
  description:
    'Deny everything to every session of the role issued before now (PutRolePolicy AWSRevokeOlderSessions with aws:TokenIssueTime = now, UTC) — what the IAM console\'s "Revoke active sessions" does. Sessions issued later are not affected: lock the role too. Service-linked roles are refused. Undo deletes the policy or puts the previous one back.',
  docsUrl: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html',
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  example: { roleName: 'app-role' },
  name: () => REVOKE_POLICY_NAME,
  document: (ctx) => revokeSessionsDocument(ctx.now()),
  always: true,
  checkRole: true,
  summary: (i, doc) =>
    `Deny all actions to sessions of role ${i.roleName} issued before ${
      (doc as { Statement: { Condition: { DateLessThan: Record<string, string> } } }).Statement.Condition.DateLessThan[
        'aws:TokenIssueTime'
      ]
    }`,
});

const denyAllRolePolicy = inlinePolicyAction<{ roleName: string }>({
  title: 'Deny everything to a role',
  description: `Put an inline deny-all policy (${DENY_ALL_POLICY_NAME}: Deny * on *) on a role, so neither current nor new sessions can do anything. Idempotent. Undo deletes it (or puts back a previous ${DENY_ALL_POLICY_NAME}).`,
  docsUrl: `${DOCS}/API_PutRolePolicy.html`,
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  example: { roleName: 'app-role' },
  name: () => DENY_ALL_POLICY_NAME,
  document: () => DENY_ALL_DOCUMENT,
  checkRole: true,
  summary: (i) => `Put the deny-all inline policy ${DENY_ALL_POLICY_NAME} on role ${i.roleName}`,
});

const listInstanceProfilesForRole = defineAction<{ roleName: string }>({
  title: 'Instance profiles of a role',
  description:
    'The instance profiles that carry a role (ListInstanceProfilesForRole): use their ARNs to find EC2 instances using the role.',
  docsUrl: `${DOCS}/API_ListInstanceProfilesForRole.html`,
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      instanceProfiles: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            InstanceProfileName: { type: 'string' },
            Arn: { type: 'string' },
            InstanceProfileId: { type: 'string' },
          },
        },
      },
    },
    required: ['configured', 'instanceProfiles'],
  },
  effect: 'read',
  permissions: ['iam:ListInstanceProfilesForRole'],
  example: { roleName: 'app-role' },
  async run(ctx, input) {
    const { c, m } = await iam(ctx);
    try {
      const pages = await collect(
        m.paginateListInstanceProfilesForRole({ client: c }, { RoleName: input.roleName }, { abortSignal: ctx.signal }),
        'ListInstanceProfilesForRole',
      );
      const profiles = plain<Record<string, unknown>[]>(pages.flatMap((p) => p.InstanceProfiles ?? [])).map(
        ({ Roles, ...rest }) => ({
          ...rest,
          roleNames: ((Roles as { RoleName?: string }[] | undefined) ?? []).map((r) => r.RoleName),
        }),
      );
      return { configured: true, instanceProfiles: profiles };
    } catch (err) {
      if ((err as IrunError).details?.awsError === 'NoSuchEntity')
        return { configured: false, instanceProfiles: [], reason: (err as Error).message };
      throw err;
    }
  },
});

export default definePlugin({
  namespace: 'aws.iam',
  description:
    'AWS IAM: find and disable access keys, lock roles and users, revoke sessions, remove console passwords.',
  actions: {
    listAccessKeys,
    getAccessKeyLastUsed,
    updateAccessKey,
    disableAccessKey,
    getRole,
    updateAssumeRolePolicy,
    listAttachedRolePolicies,
    detachRolePolicy,
    listRolePolicies,
    getRolePolicy,
    putRolePolicy,
    revokeRoleSessions,
    denyAllRolePolicy,
    listInstanceProfilesForRole,
    detachAllRolePolicies,
    ...userActions,
  },
});
