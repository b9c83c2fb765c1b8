/**
 * aws.guardduty — the findings that raised a credential alarm (credential leakage 1.3, 1.4.2,
 * 1.5): list and read findings (with the access key, principal and first-seen time they carry),
 * and archive them once handled (undo unarchives).
 */
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { defineAction, definePlugin, type ActionContext } from '../../engine/plugins/api.js';
import { client, plain, send } from '../aws-common/index.js';

type Sdk = typeof import('@aws-sdk/client-guardduty');
const DOCS = 'https://docs.aws.amazon.com/guardduty/latest/APIReference';

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region (default: the step region).',
};
const detectorId = { type: 'string', pattern: '^[a-z0-9]{1,300}$' };
const findingIds = {
  type: 'array',
  items: { type: 'string', pattern: '^[a-z0-9]{1,300}$' },
  minItems: 1,
  maxItems: 50,
};

async function gd(ctx: ActionContext, r?: string): Promise<{ c: GuardDutyClient; m: Sdk }> {
  const m = await import('@aws-sdk/client-guardduty');
  return { c: await client(ctx, m.GuardDutyClient, { region: r }), m };
}

/** The detector of the region: the one given, else the first ListDetectors returns (none: undefined). */
async function detector(ctx: ActionContext, c: GuardDutyClient, m: Sdk, given?: string): Promise<string | undefined> {
  if (given) return given;
  const out = await send<{ DetectorIds?: string[] }>(c, new m.ListDetectorsCommand({}), ctx);
  return out?.DetectorIds?.[0];
}

/** The fields of a finding a responder acts on, flattened. */
export function findingView(f: Record<string, unknown>): Record<string, unknown> {
  const p = plain<Record<string, unknown>>(f);
  const resource = (p.Resource ?? {}) as Record<string, unknown>;
  const service = (p.Service ?? {}) as Record<string, unknown>;
  const key = (resource.AccessKeyDetails ?? {}) as Record<string, unknown>;
  return JSON.parse(
    JSON.stringify({
      id: p.Id,
      type: p.Type,
      title: p.Title,
      severity: p.Severity,
      accountId: p.AccountId,
      region: p.Region,
      resourceType: resource.ResourceType,
      accessKeyId: key.AccessKeyId,
      principalId: key.PrincipalId,
      userName: key.UserName,
      userType: key.UserType,
      instanceId: (resource.InstanceDetails as { InstanceId?: string } | undefined)?.InstanceId,
      eventFirstSeen: service.EventFirstSeen,
      eventLastSeen: service.EventLastSeen,
      archived: service.Archived ?? false,
      count: service.Count,
      updatedAt: p.UpdatedAt,
    }),
  ) as Record<string, unknown>;
}

const findingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    severity: { type: 'number' },
    accessKeyId: { type: 'string' },
    userName: { type: 'string' },
    eventFirstSeen: { type: 'string' },
    archived: { type: 'boolean' },
  },
};

async function getMany(ctx: ActionContext, c: GuardDutyClient, m: Sdk, det: string, ids: string[]) {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const page = await send<{ Findings?: Record<string, unknown>[] }>(
      c,
      new m.GetFindingsCommand({ DetectorId: det, FindingIds: ids.slice(i, i + 50) }),
      ctx,
    );
    out.push(...(page?.Findings ?? []).map(findingView));
  }
  return out;
}

interface ListInput {
  detectorId?: string;
  findingTypes?: string[];
  accessKeyId?: string;
  since?: string;
  includeArchived?: boolean;
  maxFindings?: number;
  region?: string;
}

const listFindings = defineAction<ListInput>({
  title: 'GuardDuty findings',
  description:
    'Findings of the GuardDuty detector of a region (ListDetectors when detectorId is not given, ListFindings, GetFindings), optionally of some finding types, of one access key (resource.accessKeyDetails.accessKeyId) or updated since a time; archived ones only with includeArchived. Each finding is flattened: type, severity, access key, user, principal, instance, first and last seen. No detector is `configured: false`.',
  docsUrl: `${DOCS}/API_ListFindings.html`,
  input: {
    type: 'object',
    properties: {
      detectorId,
      findingTypes: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 50 },
      accessKeyId: { type: 'string', pattern: '^[A-Z0-9]{16,128}$' },
      since: { type: 'string', format: 'date-time' },
      includeArchived: { type: 'boolean', default: false },
      maxFindings: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      detectorId: { type: 'string' },
      findings: { type: 'array', items: findingSchema },
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
      reason: { type: 'string' },
    },
    required: ['configured', 'findings'],
  },
  effect: 'read',
  permissions: ['guardduty:ListDetectors', 'guardduty:ListFindings', 'guardduty:GetFindings'],
  example: { findingTypes: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'] },
  async run(ctx, input) {
    const { c, m } = await gd(ctx, input.region);
    const det = await detector(ctx, c, m, input.detectorId);
    if (!det) return { configured: false, findings: [], count: 0, reason: 'no GuardDuty detector in this region' };
    const criterion: Record<string, Record<string, unknown>> = {};
    if (input.findingTypes?.length) criterion.type = { Eq: input.findingTypes };
    if (input.accessKeyId) criterion['resource.accessKeyDetails.accessKeyId'] = { Eq: [input.accessKeyId] };
    if (input.since) criterion.updatedAt = { GreaterThanOrEqual: Date.parse(input.since) };
    if (!input.includeArchived) criterion['service.archived'] = { Eq: ['false'] };
    const max = input.maxFindings ?? 100;
    const ids: string[] = [];
    let token: string | undefined;
    let truncated = false;
    do {
      const page = await send<{ FindingIds?: string[]; NextToken?: string }>(
        c,
        new m.ListFindingsCommand({
          DetectorId: det,
          FindingCriteria: { Criterion: criterion as never },
          MaxResults: 50,
          ...(token ? { NextToken: token } : {}),
        }),
        ctx,
      );
      ids.push(...(page?.FindingIds ?? []));
      token = page?.NextToken || undefined;
      if (ids.length >= max) {
        truncated = ids.length > max || !!token;
        break;
      }
    } while (token);
    const findings = await getMany(ctx, c, m, det, ids.slice(0, max));
    return { configured: true, detectorId: det, findings, count: findings.length, truncated };
  },
});

const getFindings = defineAction<{ detectorId?: string; findingIds: string[]; region?: string }>({
  title: 'Read GuardDuty findings',
  description: 'Some findings by id (GetFindings), flattened as listFindings returns them, plus the raw finding JSON.',
  docsUrl: `${DOCS}/API_GetFindings.html`,
  input: {
    type: 'object',
    properties: { detectorId, findingIds, region },
    required: ['findingIds'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      detectorId: { type: 'string' },
      findings: { type: 'array', items: findingSchema },
    },
    required: ['configured', 'findings'],
  },
  effect: 'read',
  permissions: ['guardduty:ListDetectors', 'guardduty:GetFindings'],
  example: { findingIds: ['60baffd3f9042e38640f2300d5c5a631'] },
  async run(ctx, input) {
    const { c, m } = await gd(ctx, input.region);
    const det = await detector(ctx, c, m, input.detectorId);
    if (!det) return { configured: false, findings: [] };
    return { configured: true, detectorId: det, findings: await getMany(ctx, c, m, det, input.findingIds) };
  },
});

interface ArchiveBefore {
  detectorId: string;
  archived: Record<string, boolean>;
}

const archiveFindings = defineAction<
  { detectorId?: string; findingIds: string[]; region?: string },
  Record<string, unknown>,
  ArchiveBefore
>({
  title: 'Archive GuardDuty findings',
  description:
    'Archive findings once the incident is handled (ArchiveFindings); their archived state before is recorded. Undo unarchives the ones this step archived (UnarchiveFindings).',
  docsUrl: `${DOCS}/API_ArchiveFindings.html`,
  input: {
    type: 'object',
    properties: { detectorId, findingIds, region },
    required: ['findingIds'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      detectorId: { type: 'string' },
      archived: { type: 'array', items: { type: 'string' } },
    },
    required: ['changed', 'archived'],
  },
  effect: 'mutate',
  permissions: [
    'guardduty:ListDetectors',
    'guardduty:GetFindings',
    'guardduty:ArchiveFindings',
    'guardduty:UnarchiveFindings',
  ],
  example: { findingIds: ['60baffd3f9042e38640f2300d5c5a631'] },
  async capture(ctx, input) {
    const { c, m } = await gd(ctx, input.region);
    const det = (await detector(ctx, c, m, input.detectorId)) ?? '';
    const found = det ? await getMany(ctx, c, m, det, input.findingIds) : [];
    const archived = Object.fromEntries(
      input.findingIds.map((id) => [id, found.find((f) => f.id === id)?.archived === true]),
    );
    const before = { detectorId: det, archived };
    await ctx.evidence.save('findings-before', { ...before, findings: found });
    return before;
  },
  async preview(_ctx, input, before) {
    const todo = input.findingIds.filter((id) => !before?.archived[id]);
    return {
      summary: todo.length ? `Archive ${todo.length} GuardDuty finding(s)` : 'The findings are already archived',
      noop: todo.length === 0,
      details: { findingIds: todo },
    };
  },
  async run(ctx, input, before) {
    const { c, m } = await gd(ctx, input.region);
    const det = before?.detectorId || (await detector(ctx, c, m, input.detectorId)) || '';
    const todo = input.findingIds.filter((id) => !before?.archived[id]);
    if (todo.length) await send(c, new m.ArchiveFindingsCommand({ DetectorId: det, FindingIds: todo }), ctx);
    return { changed: todo.length > 0, detectorId: det, archived: todo };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    const ids = (output?.archived as string[] | undefined) ?? [];
    if (!ids.length) return { restored: false, reason: 'nothing was archived' };
    const { c, m } = await gd(ctx, input.region);
    await send(
      c,
      new m.UnarchiveFindingsCommand({
        DetectorId: (output?.detectorId as string) || before!.detectorId,
        FindingIds: ids,
      }),
      ctx,
    );
    return { restored: true, unarchived: ids };
  },
});

export default definePlugin({
  namespace: 'aws.guardduty',
  description: 'Amazon GuardDuty: read the findings behind an alert, archive them once handled.',
  actions: { listFindings, getFindings, archiveFindings },
});
