/**
 * No change without a recorded human decision unless the runbook says why: a change marked
 * `approve: auto` needs a written `reason` (an error without one), and every such change is
 * listed as a warning, so `irun validate --strict` puts each one in front of a reviewer.
 */
import { Codes } from '../errors.js';
import type { Registry } from '../plugins/registry.js';
import type { RuleContext } from './context.js';

export async function autoApprovalPhase(ctx: RuleContext, registry: Registry): Promise<void> {
  for (const info of ctx.steps) {
    const { step } = info;
    if (step.approve !== 'auto' || typeof step.action !== 'string') continue;
    const action = await registry.get(step.action).catch(() => undefined);
    if (action?.def.effect !== 'mutate') continue; // unknown actions are reported by the action phase
    const where = step.forEach !== undefined ? `every item of forEach step '${info.id}'` : `step '${info.id}'`;
    const reason = typeof step.reason === 'string' ? step.reason.trim() : '';
    if (!reason) {
      ctx.report({
        code: Codes.AUTO_APPROVE_REASON,
        message: `${where} changes AWS state (${step.action}) with approve: auto but gives no reason: write why it may run without a responder's approval in 'reason', or remove approve: auto`,
        path: [...info.path, 'approve'],
      });
      continue;
    }
    ctx.report({
      code: Codes.AUTO_APPROVED,
      severity: 'warning',
      message: `${where} changes AWS state (${step.action}) without asking: auto-approved by the runbook: ${reason}`,
      path: [...info.path, 'approve'],
    });
  }
}
