/**
 * aws.securityhub — findings in AWS Security Finding Format (ASFF) behind an alert (credential
 * leakage 1.3, 1.4.2; S3 controls S3.2/S3.3/S3.8): read them, and record the response on them
 * (workflow status and a note) — undo puts the previous status and note back.
 */
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { defineAction, definePlugin, type ActionContext } from '../../engine/plugins/api.js';
import { client, plain, send } from '../aws-common/index.js';

type Sdk = typeof import('@aws-sdk/client-securityhub');
const DOCS = 'https://docs.aws.amazon.com/securityhub/1.0/APIReference';

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region (default: the step region).',
};
const findingRef = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 512 },
    productArn: { type: 'string', pattern: '^arn:aws' },
  },
  required: ['id', 'productArn'],
  additionalProperties: false,
};

async function hub(ctx: ActionContext, r?: string): Promise<{ c: SecurityHubClient; m: Sdk }> {
  const m = await import('@aws-sdk/client-securityhub');
  return { c: await client(ctx, m.SecurityHubClient, { region: r }), m };
}

/** The fields of an ASFF finding a responder acts on, flattened. */
export function asffView(f: Record<string, unknown>): Record<string, unknown> {
  const p = plain<Record<string, unknown>>(f);
  const resources = (p.Resources as { Id?: string; Type?: string }[] | undefined) ?? [];
  return JSON.parse(
    JSON.stringify({
      id: p.Id,
      productArn: p.ProductArn,
      title: p.Title,
      types: p.Types,
      severity: (p.Severity as { Label?: string } | undefined)?.Label,
      controlId: (p.Compliance as { SecurityControlId?: string } | undefined)?.SecurityControlId,
      generatorId: p.GeneratorId,
      workflowStatus: (p.Workflow as { Status?: string } | undefined)?.Status,
      note: (p.Note as { Text?: string } | undefined)?.Text,
      recordState: p.RecordState,
      firstObservedAt: p.FirstObservedAt,
      resources: resources.map((r) => ({ id: r.Id, type: r.Type })),
    }),
  ) as Record<string, unknown>;
}

const findingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    productArn: { type: 'string' },
    title: { type: 'string' },
    severity: { type: 'string' },
    controlId: { type: 'string' },
    workflowStatus: { type: 'string' },
    resources: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
  },
};

interface GetInput {
  findings?: { id: string; productArn: string }[];
  resourceId?: string;
  controlIds?: string[];
  type?: string;
  includeResolved?: boolean;
  maxFindings?: number;
  region?: string;
}

async function fetchFindings(ctx: ActionContext, c: SecurityHubClient, m: Sdk, input: GetInput) {
  const eq = (values: string[]) => values.map((Value) => ({ Value, Comparison: 'EQUALS' as const }));
  const filters: Record<string, unknown> = {};
  if (input.findings?.length) {
    filters.Id = eq(input.findings.map((f) => f.id));
    filters.ProductArn = eq([...new Set(input.findings.map((f) => f.productArn))]);
  }
  if (input.resourceId) filters.ResourceId = eq([input.resourceId]);
  if (input.controlIds?.length) filters.ComplianceSecurityControlId = eq(input.controlIds);
  if (input.type) filters.Type = [{ Value: input.type, Comparison: 'PREFIX' }];
  if (!input.includeResolved && !input.findings?.length) {
    filters.RecordState = eq(['ACTIVE']);
    filters.WorkflowStatus = eq(['NEW', 'NOTIFIED']);
  }
  const max = input.maxFindings ?? 100;
  const out: Record<string, unknown>[] = [];
  let token: string | undefined;
  let truncated = false;
  do {
    const page = await send<{ Findings?: Record<string, unknown>[]; NextToken?: string }>(
      c,
      new m.GetFindingsCommand({ Filters: filters as never, MaxResults: 100, ...(token ? { NextToken: token } : {}) }),
      ctx,
    );
    out.push(...(page?.Findings ?? []).map(asffView));
    token = page?.NextToken || undefined;
    if (out.length >= max) {
      truncated = out.length > max || !!token;
      break;
    }
  } while (token);
  return { findings: out.slice(0, max), truncated };
}

const getFindings = defineAction<GetInput>({
  title: 'Security Hub findings',
  description:
    'Findings from Security Hub (GetFindings): given ones by id and product ARN, or the active, unresolved findings of a resource, of security controls (e.g. S3.2, S3.3, S3.8, IAM.*) or of a type prefix. Flattened: title, severity, control, workflow status, note, resources.',
  docsUrl: `${DOCS}/API_GetFindings.html`,
  input: {
    type: 'object',
    properties: {
      findings: { type: 'array', items: findingRef, minItems: 1, maxItems: 100 },
      resourceId: { type: 'string', minLength: 1 },
      controlIds: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9]+\\.\\d+$' }, maxItems: 20 },
      type: { type: 'string', minLength: 1 },
      includeResolved: { type: 'boolean', default: false },
      maxFindings: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      findings: { type: 'array', items: findingSchema },
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
    },
    required: ['findings', 'count', 'truncated'],
  },
  effect: 'read',
  permissions: ['securityhub:GetFindings'],
  example: { controlIds: ['S3.2', 'S3.3', 'S3.8'] },
  async run(ctx, input) {
    const { c, m } = await hub(ctx, input.region);
    const { findings, truncated } = await fetchFindings(ctx, c, m, input);
    return { findings, count: findings.length, truncated };
  },
});

type Status = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
interface UpdateInput {
  findings: { id: string; productArn: string }[];
  workflowStatus: Status;
  note: string;
  updatedBy?: string;
  region?: string;
}
interface UpdateBefore {
  findings: { id: string; productArn: string; workflowStatus?: string; note?: string }[];
}

const updateFindings = defineAction<UpdateInput, Record<string, unknown>, UpdateBefore>({
  title: 'Record the response on Security Hub findings',
  description:
    "Set the workflow status (NEW, NOTIFIED, RESOLVED, SUPPRESSED) and a note on findings (BatchUpdateFindings), e.g. NOTIFIED with the ticket when the incident opens, RESOLVED with the run id when it closes. The status and note before are recorded; undo puts each finding's previous status back, with its previous note (or a note saying the change was reverted).",
  docsUrl: `${DOCS}/API_BatchUpdateFindings.html`,
  input: {
    type: 'object',
    properties: {
      findings: { type: 'array', items: findingRef, minItems: 1, maxItems: 100 },
      workflowStatus: { type: 'string', enum: ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] },
      note: { type: 'string', minLength: 1, maxLength: 512 },
      updatedBy: { type: 'string', minLength: 1, maxLength: 512 },
      region,
    },
    required: ['findings', 'workflowStatus', 'note'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      processed: { type: 'array', items: { type: 'string' } },
      unprocessed: { type: 'array', items: { type: 'object', properties: {} } },
    },
    required: ['changed', 'processed'],
  },
  effect: 'mutate',
  permissions: ['securityhub:GetFindings', 'securityhub:BatchUpdateFindings'],
  example: {
    findings: [
      {
        id: 'arn:aws:securityhub:us-east-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/0e3f4a5b',
        productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
      },
    ],
    workflowStatus: 'NOTIFIED',
    note: 'Incident SEC-1234 opened',
  },
  async capture(ctx, input) {
    const { c, m } = await hub(ctx, input.region);
    const { findings } = await fetchFindings(ctx, c, m, { findings: input.findings, maxFindings: 100 });
    const before = {
      findings: input.findings.map((f) => {
        const hit = findings.find((x) => x.id === f.id);
        return JSON.parse(
          JSON.stringify({ ...f, workflowStatus: hit?.workflowStatus, note: hit?.note }),
        ) as UpdateBefore['findings'][number];
      }),
    };
    await ctx.evidence.save('findings-before', before);
    return before;
  },
  async preview(_ctx, input, before) {
    return {
      summary: `Set ${input.findings.length} Security Hub finding(s) to ${input.workflowStatus} with note "${input.note}"`,
      before: before?.findings,
      after: input.findings.map((f) => ({ ...f, workflowStatus: input.workflowStatus, note: input.note })),
    };
  },
  async run(ctx, input) {
    const { c, m } = await hub(ctx, input.region);
    const out = await send<{ ProcessedFindings?: { Id?: string }[]; UnprocessedFindings?: unknown[] }>(
      c,
      new m.BatchUpdateFindingsCommand({
        FindingIdentifiers: input.findings.map((f) => ({ Id: f.id, ProductArn: f.productArn })),
        Workflow: { Status: input.workflowStatus },
        Note: { Text: input.note, UpdatedBy: input.updatedBy ?? `irun ${ctx.runId}` },
      }),
      ctx,
    );
    const processed = (out?.ProcessedFindings ?? []).map((f) => f.Id ?? '');
    return { changed: processed.length > 0, processed, unprocessed: plain(out?.UnprocessedFindings ?? []) };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    const done = new Set((output?.processed as string[] | undefined) ?? []);
    const todo = (before?.findings ?? []).filter((f) => done.has(f.id) && f.workflowStatus);
    if (!todo.length) return { restored: false, reason: 'nothing was changed' };
    const { c, m } = await hub(ctx, input.region);
    for (const f of todo)
      await send(
        c,
        new m.BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: f.id, ProductArn: f.productArn }],
          Workflow: { Status: f.workflowStatus as Status },
          Note: {
            Text: f.note ?? `irun ${ctx.runId}: reverted to ${f.workflowStatus}`,
            UpdatedBy: `irun ${ctx.runId}`,
          },
        }),
        ctx,
      );
    return { restored: true, findings: todo.map((f) => f.id) };
  },
});

export default definePlugin({
  namespace: 'aws.securityhub',
  description: 'AWS Security Hub: read ASFF findings, record the response on them (workflow status and note).',
  actions: { getFindings, updateFindings },
});
