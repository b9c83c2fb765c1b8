/**
 * What one credential did since a point in time, from CloudTrail event history (credential
 * leakage 3.1, 3.4, 3.6.2): every management event of an access key or an IAM user, or of the
 * sessions issued for a role, in the regions asked for (plus us-east-1, where IAM and STS calls
 * from global endpoints are recorded), classified into data access, creation (high-value targets
 * marked), identity and foothold changes, deletions and modifications, with the resources able
 * to obtain credentials that the activity created.
 */
import { Codes, defineAction, type ActionContext, IrunError } from '../../engine/plugins/api.js';
import { ACTIVITY_SUMMARY_SCHEMA, summarizeActivity, type ActivityEvent } from '../aws-common/activity.js';
import { client, plain, toIrunError } from '../aws-common/index.js';

export interface CredentialActivityInput {
  accessKeyId?: string;
  userName?: string;
  roleArn?: string;
  startTime: string;
  endTime?: string;
  regions?: string[];
  includeGlobal?: boolean;
  maxEvents?: number;
  maxSessions?: number;
}

interface Lookup {
  key: 'AccessKeyId' | 'Username' | 'ResourceName';
  value: string;
}

function toEvent(raw: Record<string, unknown>, region: string): ActivityEvent & { awsRegion: string } {
  let d: Record<string, unknown> = {};
  if (typeof raw.CloudTrailEvent === 'string') {
    try {
      d = JSON.parse(raw.CloudTrailEvent) as Record<string, unknown>;
    } catch {
      // summary fields only
    }
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const identity = (d.userIdentity ?? {}) as Record<string, unknown>;
  return JSON.parse(
    JSON.stringify({
      eventId: str(raw.EventId),
      eventTime: str(raw.EventTime),
      eventName: str(raw.EventName),
      eventSource: str(raw.EventSource) ?? str(d.eventSource),
      readOnly: str(raw.ReadOnly),
      accessKeyId: str(raw.AccessKeyId),
      principal: str(identity.arn),
      errorCode: str(d.errorCode),
      sourceIPAddress: str(d.sourceIPAddress),
      requestParameters: d.requestParameters ?? undefined,
      responseElements: d.responseElements ?? undefined,
      resources: Array.isArray(raw.Resources) ? raw.Resources : undefined,
      awsRegion: str(d.awsRegion) ?? region,
    }),
  ) as ActivityEvent & { awsRegion: string };
}

async function lookup(
  ctx: ActionContext,
  region: string,
  by: Lookup,
  input: CredentialActivityInput,
  limit: number,
): Promise<{ events: (ActivityEvent & { awsRegion: string })[]; truncated: boolean }> {
  const m = await import('@aws-sdk/client-cloudtrail');
  const c = await client(ctx, m.CloudTrailClient, { region });
  const events: (ActivityEvent & { awsRegion: string })[] = [];
  const request = {
    LookupAttributes: [{ AttributeKey: by.key, AttributeValue: by.value }],
    StartTime: new Date(input.startTime),
    ...(input.endTime ? { EndTime: new Date(input.endTime) } : {}),
  };
  try {
    for await (const page of m.paginateLookupEvents({ client: c, pageSize: 50 }, request, {
      abortSignal: ctx.signal,
    })) {
      for (const raw of plain<Record<string, unknown>[]>(page.Events ?? [])) {
        if (events.length >= limit) return { events, truncated: true };
        events.push(toEvent(raw, region));
      }
      ctx.progress({ message: `CloudTrail ${region}: ${events.length} events of ${by.value}` });
    }
  } catch (err) {
    throw toIrunError(err, 'LookupEvents');
  }
  return { events, truncated: false };
}

/** Session keys (ASIA…) issued by AssumeRole calls for the role. */
function sessionKeys(events: ActivityEvent[], roleArn: string): string[] {
  const keys = new Set<string>();
  for (const e of events) {
    if (!/^AssumeRole/.test(e.eventName ?? '') || e.errorCode) continue;
    const req = (e.requestParameters ?? {}) as { roleArn?: string };
    if (req.roleArn && req.roleArn !== roleArn) continue;
    const id = ((e.responseElements ?? {}) as { credentials?: { accessKeyId?: string } }).credentials?.accessKeyId;
    if (id) keys.add(id);
  }
  return [...keys];
}

const region = { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' };

export const credentialActivity = defineAction<CredentialActivityInput>({
  title: 'What a credential did (CloudTrail event history)',
  description:
    'Management events of one credential since startTime: an access key id (AKIA… or ASIA…), an IAM user name, or a role ARN (its AssumeRole calls, then the events of each session key they issued, up to maxSessions); when more than one is given, the most specific is used (key, then user, then role). Queries each region in `regions` (default the step region) and us-east-1 unless includeGlobal is false. Each event is classified: dataAccess, creation (highValue marked), identity (foothold patterns), deletion, modification or read; `summary.credentialResources` lists the users, roles, access keys, sessions and instances with roles the activity created. Event history keeps 90 days of management events; data events (S3 GetObject, ...) need the Athena query.',
  docsUrl: 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html',
  input: {
    type: 'object',
    properties: {
      accessKeyId: { type: 'string', pattern: '^[A-Z0-9]{16,128}$' },
      userName: { type: 'string', pattern: '^[\\w+=,.@-]{1,64}$' },
      roleArn: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$' },
      startTime: { type: 'string', format: 'date-time' },
      endTime: { type: 'string', format: 'date-time' },
      regions: { type: 'array', items: region, uniqueItems: true },
      includeGlobal: { type: 'boolean', default: true },
      maxEvents: { type: 'integer', minimum: 1, maximum: 50000, default: 5000 },
      maxSessions: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
    },
    required: ['startTime'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      credential: { type: 'string' },
      regions: { type: 'array', items: { type: 'string' } },
      sessionKeys: { type: 'array', items: { type: 'string' } },
      events: {
        type: 'array',
        items: {
          type: 'object',
          properties: { eventId: { type: 'string' }, eventName: { type: 'string' }, class: { type: 'string' } },
        },
      },
      summary: ACTIVITY_SUMMARY_SCHEMA,
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
    },
    required: ['credential', 'events', 'summary', 'count', 'truncated'],
  },
  effect: 'read',
  permissions: ['cloudtrail:LookupEvents'],
  example: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', startTime: '2024-05-01T00:00:00Z' },
  async run(ctx, input) {
    if (input.accessKeyId === undefined && input.userName === undefined && input.roleArn === undefined)
      throw new IrunError(Codes.INPUT_INVALID, 'credentialActivity needs accessKeyId, userName or roleArn');
    // the most specific credential given wins: a key, then a user, then a role's sessions
    if (input.accessKeyId !== undefined) input = { ...input, userName: undefined, roleArn: undefined };
    else if (input.userName !== undefined) input = { ...input, roleArn: undefined };
    if (input.endTime && Date.parse(input.startTime) > Date.parse(input.endTime))
      throw new IrunError(Codes.INPUT_INVALID, 'credentialActivity: startTime is after endTime');
    const regions = [...(input.regions?.length ? input.regions : [ctx.aws.region ?? 'us-east-1'])];
    if (input.includeGlobal !== false && !regions.includes('us-east-1')) regions.push('us-east-1');
    const max = input.maxEvents ?? 5000;
    const credential = (input.accessKeyId ?? input.userName ?? input.roleArn) as string;
    const lookups: Lookup[] = [];
    let keys: string[] = [];
    const all = new Map<string, ActivityEvent & { awsRegion: string }>();
    let truncated = false;
    const gather = async (by: Lookup) => {
      for (const r of regions) {
        const got = await lookup(ctx, r, by, input, Math.max(1, max - all.size));
        truncated ||= got.truncated;
        for (const e of got.events) all.set(e.eventId ?? `${r}:${all.size}`, e);
      }
    };
    if (input.roleArn) {
      await gather({ key: 'ResourceName', value: input.roleArn });
      const found = sessionKeys([...all.values()], input.roleArn);
      keys = found.slice(0, input.maxSessions ?? 20);
      truncated ||= found.length > keys.length;
      all.clear();
      for (const k of keys) lookups.push({ key: 'AccessKeyId', value: k });
    } else if (input.accessKeyId) lookups.push({ key: 'AccessKeyId', value: input.accessKeyId });
    else lookups.push({ key: 'Username', value: input.userName as string });
    for (const by of lookups) if (all.size < max) await gather(by);
    const sorted = [...all.values()].sort((a, b) => (a.eventTime ?? '').localeCompare(b.eventTime ?? ''));
    const { events, summary } = summarizeActivity(sorted);
    return plain({
      credential,
      regions,
      ...(input.roleArn ? { sessionKeys: keys } : {}),
      events: events.map(({ requestParameters: _q, responseElements: _r, ...e }) => e),
      summary,
      count: events.length,
      truncated,
    });
  },
});
