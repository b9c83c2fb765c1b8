/**
 * Resource scoping for `irun permissions`: which ARNs an IAM action of a step may be limited to,
 * from the resources the runbook names in that step's `with:` (a literal, or an input — shown as
 * `${name}` until a value is given), and why a statement keeps `*` where it must.
 *
 * Resource types follow the Service Authorization Reference: bucket-level S3 actions take a
 * bucket ARN, object-level ones an object ARN under it, IAM user and role actions the user or role
 * ARN. Actions that support no resource-level permission, and permissions a pack needs on
 * resources the runbook does not name (an Athena results location), keep `*`, with the reason.
 */

/** S3 actions whose resource is an object (`arn:aws:s3:::bucket/key`). */
const S3_OBJECT = new Set([
  's3:GetObject',
  's3:GetObjectAcl',
  's3:GetObjectVersion',
  's3:GetObjectVersionAcl',
  's3:GetObjectVersionTagging',
  's3:GetObjectTagging',
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:RestoreObject',
]);

/** S3 actions on the account (no bucket): IAM accepts only `*`. */
const S3_ACCOUNT = new Set([
  's3:GetAccountPublicAccessBlock',
  's3:PutAccountPublicAccessBlock',
  's3:ListAllMyBuckets',
  's3:CreateJob',
]);

/** IAM actions whose resource is a user, a role. */
const IAM_USER = new Set([
  'iam:ListAccessKeys',
  'iam:UpdateAccessKey',
  'iam:GetAccessKeyLastUsed',
  'iam:DeleteAccessKey',
]);
const IAM_ROLE = new Set([
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListInstanceProfilesForRole',
  'iam:ListRolePolicies',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:PassRole',
]);

/** Actions that support no resource-level permission at all (`*` is the only resource). */
function noResourceLevel(permission: string): boolean {
  return (
    /^ec2:Describe/.test(permission) ||
    /^(cloudtrail:LookupEvents|sts:GetAccessKeyInfo|sts:GetCallerIdentity|access-analyzer:ListAnalyzers)$/.test(
      permission,
    ) ||
    /^macie2:/.test(permission) ||
    S3_ACCOUNT.has(permission)
  );
}

/** A value the runbook gives a resource field: a literal, an input, or only known at run time. */
export type ResourceValue = { literal: string } | { input: string } | { runtime: string };

/** How a `with:` value names a resource. */
export function resourceValue(v: unknown): ResourceValue | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  if (!v.includes('{{')) return { literal: v };
  const m = /^\{\{\s*inputs\.([A-Za-z_][\w-]*)\s*\}\}$/.exec(v.trim());
  if (m) return { input: m[1] };
  return { runtime: v };
}

/** One resource of a statement, with where it came from. */
export interface ScopedResource {
  arn: string;
  /** Why this is `*` or wider than one resource; or which input a `${name}` stands for. */
  note?: string;
}

const text = (v: ResourceValue, values: Record<string, string>): string | undefined =>
  'literal' in v ? v.literal : 'input' in v ? (values[v.input] ?? `\${${v.input}}`) : undefined;

function inputNote(v: ResourceValue | undefined, what: string, values: Record<string, string>): string | undefined {
  if (v && 'input' in v && values[v.input] === undefined)
    return `\${${v.input}} is the ${what} given as input '${v.input}': replace it, or pass --input ${v.input}=…`;
  return undefined;
}

/**
 * The resources `permission` needs for one step of `action` with input `withValues`.
 * `values` are input values given on the command line.
 */
export function scopeOf(
  permission: string,
  action: string,
  step: string,
  withValues: Record<string, unknown>,
  values: Record<string, string>,
): ScopedResource {
  if (noResourceLevel(permission))
    return { arn: '*', note: `${permission} supports no resource-level permission: IAM requires "*"` };
  const field = (name: string) => resourceValue(withValues[name]);
  const runtime = (what: string, v: ResourceValue | undefined) =>
    v && 'runtime' in v ? `the ${what} of step '${step}' is computed at run time (${v.runtime})` : undefined;

  if (permission.startsWith('s3:') && action.startsWith('aws.s3.')) {
    const bucket = field('bucket');
    const b = bucket ? text(bucket, values) : undefined;
    if (!b)
      return {
        arn: S3_OBJECT.has(permission) ? 'arn:aws:s3:::*/*' : 'arn:aws:s3:::*',
        note: runtime('bucket', bucket) ?? `step '${step}' names no bucket`,
      };
    const note = inputNote(bucket, 'bucket', values);
    if (S3_OBJECT.has(permission)) {
      const key = field('key');
      const k = key ? text(key, values) : undefined;
      return {
        arn: `arn:aws:s3:::${b}/${k ?? '*'}`,
        ...(note || inputNote(key, 'object key', values)
          ? { note: [note, inputNote(key, 'object key', values)].filter(Boolean).join('; ') }
          : {}),
      };
    }
    return { arn: `arn:aws:s3:::${b}`, ...(note ? { note } : {}) };
  }
  if (IAM_USER.has(permission)) {
    const user = field('userName');
    const u = user ? text(user, values) : undefined;
    if (!u)
      return {
        arn: 'arn:aws:iam::*:user/*',
        note: runtime('user', user) ?? `the user of step '${step}' is found from its access key at run time`,
      };
    const note = inputNote(user, 'user name', values);
    return { arn: `arn:aws:iam::*:user/${u}`, ...(note ? { note } : {}) };
  }
  if (IAM_ROLE.has(permission)) {
    if (permission === 'iam:PassRole') {
      const arn = field('roleArn');
      const a = arn ? text(arn, values) : undefined;
      if (a)
        return { arn: a, ...(inputNote(arn, 'role ARN', values) ? { note: inputNote(arn, 'role ARN', values) } : {}) };
    }
    const role = field('roleName');
    const r = role ? text(role, values) : undefined;
    if (!r)
      return {
        arn: 'arn:aws:iam::*:role/*',
        note: runtime('role', role) ?? `step '${step}' names no role (${action} finds it at run time)`,
      };
    const note = inputNote(role, 'role name', values);
    return { arn: `arn:aws:iam::*:role/${r}`, ...(note ? { note } : {}) };
  }
  if (permission === 'ec2:ModifyInstanceMetadataOptions') {
    const id = field('instanceId');
    const i = id ? text(id, values) : undefined;
    if (!i)
      return { arn: 'arn:aws:ec2:*:*:instance/*', note: runtime('instance', id) ?? `step '${step}' names no instance` };
    const note = inputNote(id, 'instance id', values);
    return { arn: `arn:aws:ec2:*:*:instance/${i}`, ...(note ? { note } : {}) };
  }
  return {
    arn: '*',
    note: `${action} (step '${step}') needs ${permission} on resources the runbook does not name`,
  };
}

/**
 * IAM's access level of an action, by its verb: List, Read (Get, Describe, Lookup, ...), or a
 * write (everything else — Put, Create, Delete, Update, Start, Attach, PassRole, ...). Used to
 * keep every write out of the --read-only policy whatever the irun action declares.
 */
export function isIamWrite(permission: string): boolean {
  const verb = permission.slice(permission.indexOf(':') + 1);
  return !/^(Get|List|Describe|Lookup|Search|Head|View|Check|BatchGet|Scan)/.test(verb);
}
