/**
 * `irun permissions`: the least-privilege IAM policy for running a runbook. Every IAM action
 * declared by the actions its steps can reach (forEach bodies included), each scoped to the
 * resources the runbook names for it (iam-scope.ts): a bucket ARN, the object ARNs under it, the
 * user or role ARN — `*` only where IAM requires it or the runbook cannot know the resource, with
 * the reason in `notes`. Reads and changes are apart; `--read-only` is the investigation policy:
 * no action that changes AWS, and no IAM write permission even when a read action declares one
 * (those are listed in `excluded`). `--role-arn` adds sts:AssumeRole on that role.
 */
import type { RunbookDoc } from '../model.js';
import type { Registry } from '../plugins/registry.js';
import { actionUses } from './actions.js';
import { isIamWrite, resourceValue, scopeOf } from './iam-scope.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
}

/** An IAM policy document, ready for `aws iam create-policy --policy-document file://...`. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface PermissionsReport {
  policy: PolicyDocument;
  /** Action ids by effect, and the IAM actions each needs. */
  actions: { id: string; effect: 'read' | 'mutate'; permissions: string[]; steps: string[] }[];
  /** Actions the registry does not know (left out of the policy; `irun validate` reports them). */
  unknown: string[];
  /** Why a resource is `*` or a pattern, or which input a `${name}` stands for. */
  notes: { permission: string; resource: string; note: string }[];
  /** Permissions left out of a --read-only policy, and why. */
  excluded: { permission: string; reason: string }[];
}

export const READ_SID = 'IrunRunbookRead';
export const MUTATE_SID = 'IrunRunbookMutate';
export const ASSUME_SID = 'IrunAssumeRole';

export interface PermissionsOptions {
  readOnly?: boolean;
  /** The role irun assumes (--role-arn): the caller needs sts:AssumeRole on it. */
  roleArn?: string;
  /** Input values to put in the ARNs instead of `${name}`. */
  inputs?: Record<string, string>;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort((a, b) => a.localeCompare(b, 'en'));

/** Build the policy. */
export async function buildPermissions(
  doc: RunbookDoc,
  registry: Registry,
  options: PermissionsOptions = {},
): Promise<PermissionsReport> {
  const values = options.inputs ?? {};
  const byAction = new Map<string, { effect: 'read' | 'mutate'; permissions: string[]; steps: string[] }>();
  const unknown = new Set<string>();
  // IAM action -> resources, and whether any read action needs it
  const scoped = new Map<string, { resources: Set<string>; read: boolean }>();
  const notes = new Map<string, { permission: string; resource: string; note: string }>();
  const excluded = new Map<string, string>();
  for (const use of actionUses(doc, { reachableOnly: true })) {
    const a = await registry.get(use.action).catch(() => undefined);
    if (!a) {
      unknown.add(use.action);
      continue;
    }
    const known = byAction.get(use.action);
    if (known) known.steps.push(use.stepId);
    else
      byAction.set(use.action, { effect: a.def.effect, permissions: sorted(a.def.permissions), steps: [use.stepId] });
    const withValues =
      use.step.with && typeof use.step.with === 'object' ? (use.step.with as Record<string, unknown>) : {};
    for (const p of a.def.permissions) {
      if (options.readOnly && a.def.effect === 'mutate') {
        if (!excluded.has(p)) excluded.set(p, `${use.action} changes AWS`);
        continue;
      }
      if (options.readOnly && isIamWrite(p)) {
        excluded.set(p, `IAM classes ${p} as a write; ${use.action} needs it (grant it separately if you accept that)`);
        continue;
      }
      const r = scopeOf(p, use.action, use.stepId, withValues, values);
      const entry = scoped.get(p) ?? { resources: new Set<string>(), read: false };
      entry.resources.add(r.arn);
      entry.read ||= a.def.effect === 'read';
      scoped.set(p, entry);
      if (r.note) notes.set(`${p}|${r.arn}|${r.note}`, { permission: p, resource: r.arn, note: r.note });
    }
  }
  for (const p of scoped.keys()) excluded.delete(p);

  const Statement: PolicyStatement[] = [];
  for (const [sid, read] of [
    [READ_SID, true],
    [MUTATE_SID, false],
  ] as const) {
    // permissions with the same resources share a statement
    const groups = new Map<string, string[]>();
    for (const [p, e] of scoped) {
      if (e.read !== read) continue;
      const resources = e.resources.has('*') ? ['*'] : sorted(e.resources);
      const key = JSON.stringify(resources);
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const ordered = [...groups].sort(([a], [b]) => a.localeCompare(b, 'en'));
    ordered.forEach(([key, perms], i) =>
      Statement.push({
        Sid: ordered.length > 1 ? `${sid}${i + 1}` : sid,
        Effect: 'Allow',
        Action: sorted(perms),
        Resource: JSON.parse(key) as string[],
      }),
    );
  }
  const role = assumedRole(doc, options);
  if (role) Statement.push({ Sid: ASSUME_SID, Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [role.arn] });
  if (role?.note) notes.set('assume', { permission: 'sts:AssumeRole', resource: role.arn, note: role.note });
  return {
    policy: { Version: '2012-10-17', Statement },
    actions: [...byAction].map(([id, a]) => ({ id, ...a })).sort((x, y) => x.id.localeCompare(y.id)),
    unknown: sorted(unknown),
    notes: [...notes.values()],
    excluded: [...excluded]
      .map(([permission, reason]) => ({ permission, reason }))
      .sort((a, b) => a.permission.localeCompare(b.permission, 'en')),
  };
}

/** The role irun assumes: --role-arn, else the runbook's `aws: { roleArn }` when it names one. */
function assumedRole(doc: RunbookDoc, options: PermissionsOptions): { arn: string; note?: string } | undefined {
  if (options.roleArn) return { arn: options.roleArn };
  const v = resourceValue((doc as { aws?: { roleArn?: unknown } }).aws?.roleArn);
  if (!v) return undefined;
  if ('literal' in v) return { arn: v.literal };
  if ('input' in v) {
    const given = options.inputs?.[v.input];
    return given
      ? { arn: given }
      : { arn: `\${${v.input}}`, note: `the runbook assumes the role given as input '${v.input}': replace it` };
  }
  return { arn: 'arn:aws:iam::*:role/*', note: 'the runbook computes the role it assumes at run time' };
}
