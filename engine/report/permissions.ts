/**
 * `irun permissions`: the least-privilege IAM policy for running a runbook — every IAM action
 * declared by the actions its steps can reach (forEach bodies included), in one statement for
 * reads and one for changes. The read statement alone is the investigation-only policy.
 */
import type { RunbookDoc } from '../model.js';
import type { Registry } from '../plugins/registry.js';
import { actionUses } from './actions.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: '*';
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
}

export const READ_SID = 'IrunRunbookRead';
export const MUTATE_SID = 'IrunRunbookMutate';

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort((a, b) => a.localeCompare(b, 'en'));

/**
 * Build the policy. The mutate statement lists only what the read statement does not already
 * grant, so each IAM action appears once. With `readOnly`, only the read statement.
 */
export async function buildPermissions(
  doc: RunbookDoc,
  registry: Registry,
  options: { readOnly?: boolean } = {},
): Promise<PermissionsReport> {
  const byAction = new Map<string, { effect: 'read' | 'mutate'; permissions: string[]; steps: string[] }>();
  const unknown = new Set<string>();
  for (const use of actionUses(doc, { reachableOnly: true })) {
    const known = byAction.get(use.action);
    if (known) {
      known.steps.push(use.stepId);
      continue;
    }
    const a = await registry.get(use.action).catch(() => undefined);
    if (!a) {
      unknown.add(use.action);
      continue;
    }
    byAction.set(use.action, { effect: a.def.effect, permissions: sorted(a.def.permissions), steps: [use.stepId] });
  }
  const read = sorted([...byAction.values()].filter((a) => a.effect === 'read').flatMap((a) => a.permissions));
  const readSet = new Set(read);
  const mutate = sorted(
    [...byAction.values()].filter((a) => a.effect === 'mutate').flatMap((a) => a.permissions),
  ).filter((p) => !readSet.has(p));
  const Statement: PolicyStatement[] = [];
  if (read.length) Statement.push({ Sid: READ_SID, Effect: 'Allow', Action: read, Resource: '*' });
  if (mutate.length && !options.readOnly)
    Statement.push({ Sid: MUTATE_SID, Effect: 'Allow', Action: mutate, Resource: '*' });
  return {
    policy: { Version: '2012-10-17', Statement },
    actions: [...byAction].map(([id, a]) => ({ id, ...a })).sort((x, y) => x.id.localeCompare(y.id)),
    unknown: sorted(unknown),
  };
}
