/**
 * Take every managed policy off a role at once (credential-leakage 2.1.2.2, when a role's
 * sessions keep being used after revocation): one change, the attached list as its before-state,
 * undo attaches them all again.
 */
import { defineAction } from '../../engine/plugins/api.js';
import { client, plain, send, toIrunError } from '../aws-common/index.js';

const roleName = { type: 'string', pattern: '^[\\w+=,.@-]{1,64}$' };

interface Attached {
  PolicyName?: string;
  PolicyArn?: string;
}
interface Before {
  roleName: string;
  attachedPolicies: Attached[];
}

async function listAttached(ctx: Parameters<typeof client>[0], role: string): Promise<Attached[]> {
  const m = await import('@aws-sdk/client-iam');
  const c = await client(ctx, m.IAMClient);
  const out: Attached[] = [];
  try {
    for await (const p of m.paginateListAttachedRolePolicies(
      { client: c },
      { RoleName: role },
      { abortSignal: ctx.signal },
    ))
      out.push(...plain<Attached[]>(p.AttachedPolicies ?? []));
  } catch (err) {
    throw toIrunError(err, 'ListAttachedRolePolicies');
  }
  return out;
}

export const detachAllRolePolicies = defineAction<{ roleName: string }, Record<string, unknown>, Before>({
  title: 'Detach every managed policy from a role',
  description:
    'Detach all managed policies of a role (ListAttachedRolePolicies, DetachRolePolicy for each). Stops every session of the role — legitimate ones too — from using what those policies allowed; inline policies stay (add denyAllRolePolicy for those). Undo attaches the same policies again.',
  docsUrl: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachRolePolicy.html',
  input: { type: 'object', properties: { roleName }, required: ['roleName'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      roleName: { type: 'string' },
      detached: { type: 'array', items: { type: 'string' } },
    },
    required: ['changed', 'roleName', 'detached'],
  },
  effect: 'mutate',
  permissions: ['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:AttachRolePolicy'],
  example: { roleName: 'app-role' },
  async capture(ctx, input) {
    const before = { roleName: input.roleName, attachedPolicies: await listAttached(ctx, input.roleName) };
    await ctx.evidence.save('attached-role-policies-before', before);
    return before;
  },
  async preview(_ctx, input, before) {
    const arns = (before?.attachedPolicies ?? []).map((p) => p.PolicyArn);
    return {
      summary: arns.length
        ? `Detach ${arns.length} managed policies from role ${input.roleName}: ${arns.join(', ')} (stops legitimate users of the role too)`
        : `Role ${input.roleName} has no managed policy attached`,
      noop: arns.length === 0,
      before: before?.attachedPolicies,
      after: [],
    };
  },
  async run(ctx, input, before) {
    const m = await import('@aws-sdk/client-iam');
    const c = await client(ctx, m.IAMClient);
    const list = before?.attachedPolicies ?? (await listAttached(ctx, input.roleName));
    const detached: string[] = [];
    for (const p of list) {
      if (!p.PolicyArn) continue;
      await send(c, new m.DetachRolePolicyCommand({ RoleName: input.roleName, PolicyArn: p.PolicyArn }), ctx);
      detached.push(p.PolicyArn);
    }
    return { changed: detached.length > 0, roleName: input.roleName, detached };
  },
  reversible: () => true,
  async undo(ctx, input, _before, output) {
    const arns = (output?.detached as string[] | undefined) ?? [];
    if (!arns.length) return { restored: false, reason: 'nothing was detached' };
    const m = await import('@aws-sdk/client-iam');
    const c = await client(ctx, m.IAMClient);
    for (const arn of arns)
      await send(c, new m.AttachRolePolicyCommand({ RoleName: input.roleName, PolicyArn: arn }), ctx);
    return { restored: true, attached: arns };
  },
});
