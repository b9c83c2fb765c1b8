/**
 * aws.cloudtrail — management-event history (LookupEvents) for runbook steps 1.2.3 / 1.2.4 and
 * the Part 2 verification. Event history holds management events only (90 days, one region per
 * call); object-level data events (GetObject, PutObjectAcl, ...) are in Athena (aws.athena).
 */
import { defineAction, definePlugin, Codes, IrunError } from '../../engine/plugins/api.js';
import { client, plain, resolveRegion, toIrunError } from '../aws-common/index.js';
import { credentialActivity } from './activity.js';

/** S3 bucket-configuration changes (management events, in the bucket's region). */
export const BUCKET_CONFIG_EVENTS: readonly string[] = [
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketAcl',
  'PutBucketPublicAccessBlock',
  'DeleteBucketPublicAccessBlock',
  'PutBucketOwnershipControls',
  'DeleteBucketOwnershipControls',
  'PutBucketVersioning',
  'PutBucketEncryption',
  'DeleteBucketEncryption',
  'PutBucketReplication',
  'DeleteBucketReplication',
  'PutBucketLifecycle',
  'PutObjectLockConfiguration',
  'PutBucketWebsite',
];
/** Account-level Block Public Access changes. */
export const ACCOUNT_BPA_EVENTS: readonly string[] = ['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock'];
/** IAM changes that widen access (IAM is global: its events are in us-east-1). */
export const IAM_EVENTS: readonly string[] = [
  'UpdateAssumeRolePolicy',
  'CreateRole',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'PutRolePermissionsBoundary',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'CreateAccessKey',
  'UpdateAccessKey',
  'PutUserPolicy',
];
/** STS calls worth a look (who took on a role). */
export const STS_EVENTS: readonly string[] = ['AssumeRole'];
/** Attempts to blind the investigation. */
export const ANTI_FORENSICS_EVENTS: readonly string[] = [
  'StopLogging',
  'DeleteTrail',
  'PutEventSelectors',
  'DeleteAnalyzer',
];

const FLAG_CATEGORIES: [string, readonly string[]][] = [
  ['bucketConfig', BUCKET_CONFIG_EVENTS],
  ['accountBpa', ACCOUNT_BPA_EVENTS],
  ['iam', IAM_EVENTS],
  ['sts', STS_EVENTS],
  ['antiForensics', ANTI_FORENSICS_EVENTS],
];

/** The flag category of an event name, or undefined when it is not on any list. */
export function flagCategory(eventName: string | undefined): string | undefined {
  if (!eventName) return undefined;
  for (const [cat, names] of FLAG_CATEGORIES) if (names.includes(eventName)) return cat;
  return undefined;
}

const ATTRIBUTES = {
  resourceName: 'ResourceName',
  accessKeyId: 'AccessKeyId',
  username: 'Username',
  eventName: 'EventName',
  eventSource: 'EventSource',
} as const;
type AttrKey = keyof typeof ATTRIBUTES;

export interface LookupEventsInput {
  resourceName?: string;
  accessKeyId?: string;
  username?: string;
  eventName?: string;
  eventSource?: string;
  startTime?: string;
  endTime?: string;
  eventNames?: string[];
  insight?: boolean;
  iam?: boolean;
  maxEvents?: number;
  region?: string;
}

export interface TrailEvent {
  eventId?: string;
  eventName?: string;
  eventTime?: string;
  eventSource?: string;
  username?: string;
  accessKeyId?: string;
  readOnly?: string;
  resources: unknown[];
  awsRegion?: string;
  userIdentity?: unknown;
  requestParameters?: unknown;
  responseElements?: unknown;
  errorCode?: string;
  errorMessage?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  flag?: string;
}

/** One LookupEvents record as plain JSON, with its CloudTrailEvent JSON parsed (data only). */
export function parseEvent(e: Record<string, unknown>): TrailEvent {
  let detail: Record<string, unknown> = {};
  if (typeof e.CloudTrailEvent === 'string') {
    try {
      const parsed = JSON.parse(e.CloudTrailEvent) as unknown;
      if (parsed && typeof parsed === 'object') detail = parsed as Record<string, unknown>;
    } catch {
      // leave the detail empty; the record still has its summary fields
    }
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const eventName = str(e.EventName);
  const ev: TrailEvent = {
    eventId: str(e.EventId),
    eventName,
    eventTime: str(e.EventTime),
    eventSource: str(e.EventSource) ?? str(detail.eventSource),
    username: str(e.Username),
    accessKeyId: str(e.AccessKeyId),
    readOnly: str(e.ReadOnly),
    resources: Array.isArray(e.Resources) ? e.Resources : [],
    awsRegion: str(detail.awsRegion),
    userIdentity: detail.userIdentity ?? null,
    requestParameters: detail.requestParameters ?? null,
    responseElements: detail.responseElements ?? null,
    errorCode: str(detail.errorCode),
    errorMessage: str(detail.errorMessage),
    sourceIPAddress: str(detail.sourceIPAddress),
    userAgent: str(detail.userAgent),
  };
  const flag = flagCategory(eventName);
  if (flag) ev.flag = flag;
  return JSON.parse(JSON.stringify(ev)) as TrailEvent;
}

const str = { type: 'string', minLength: 1 };
const lookupEvents = defineAction<LookupEventsInput>({
  title: 'Look up CloudTrail management events',
  description:
    'Management events from CloudTrail event history (LookupEvents, last 90 days, one region). Give one lookup attribute (resourceName — a bucket or role name —, accessKeyId, username, eventName or eventSource), optionally a time window and `eventNames` to keep only some names (filtered client-side). Each event carries its parsed CloudTrailEvent fields; events named on the flag lists (bucket configuration, account Block Public Access, IAM, STS AssumeRole, anti-forensics) are listed in `flagged`. `iam: true` queries us-east-1, where IAM events are recorded.',
  docsUrl: 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html',
  input: {
    type: 'object',
    properties: {
      resourceName: str,
      accessKeyId: { type: 'string', pattern: '^[A-Z0-9]{16,128}$' },
      username: str,
      eventName: str,
      eventSource: { type: 'string', pattern: '^[a-z0-9.-]+\\.amazonaws\\.com$' },
      startTime: { type: 'string', format: 'date-time' },
      endTime: { type: 'string', format: 'date-time' },
      eventNames: { type: 'array', items: str, description: 'Keep only these event names (client-side).' },
      insight: { type: 'boolean', description: 'Look up Insights events (EventCategory insight).' },
      iam: { type: 'boolean', description: 'IAM events are global: query us-east-1.' },
      maxEvents: { type: 'integer', minimum: 1, maximum: 50000, default: 5000 },
      region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' },
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      region: { type: 'string' },
      events: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            eventId: { type: 'string' },
            eventName: { type: 'string' },
            eventTime: { type: 'string' },
            errorCode: { type: 'string' },
            sourceIPAddress: { type: 'string' },
            flag: { type: 'string' },
          },
        },
      },
      flagged: {
        type: 'array',
        items: {
          type: 'object',
          properties: { eventId: { type: 'string' }, eventName: { type: 'string' }, flag: { type: 'string' } },
        },
      },
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
    },
    required: ['events', 'flagged', 'count', 'truncated'],
  },
  effect: 'read',
  permissions: ['cloudtrail:LookupEvents'],
  example: { resourceName: 'example-bucket', eventNames: ['PutBucketPolicy', 'PutBucketAcl'] },
  async run(ctx, input) {
    const given = (Object.keys(ATTRIBUTES) as AttrKey[]).filter((k) => input[k] !== undefined);
    if (given.length > 1 || (given.length === 0 && !input.insight)) {
      throw new IrunError(
        Codes.INPUT_INVALID,
        `lookupEvents takes exactly one lookup attribute (resourceName, accessKeyId, username, eventName or eventSource); got ${given.length ? given.join(', ') : 'none'}`,
        { suggestions: ['Query by one attribute and narrow with eventNames (filtered client-side).'] },
      );
    }
    if (input.startTime && input.endTime && Date.parse(input.startTime) > Date.parse(input.endTime)) {
      throw new IrunError(Codes.INPUT_INVALID, 'lookupEvents: startTime is after endTime');
    }
    const m = await import('@aws-sdk/client-cloudtrail');
    const region = input.iam ? 'us-east-1' : input.region;
    const c = await client(ctx, m.CloudTrailClient, { region });
    const max = input.maxEvents ?? 5000;
    const keep = input.eventNames?.length ? new Set(input.eventNames) : undefined;
    const request = {
      ...(given.length
        ? { LookupAttributes: [{ AttributeKey: ATTRIBUTES[given[0]], AttributeValue: input[given[0]] as string }] }
        : {}),
      ...(input.startTime ? { StartTime: new Date(input.startTime) } : {}),
      ...(input.endTime ? { EndTime: new Date(input.endTime) } : {}),
      ...(input.insight ? { EventCategory: 'insight' as const } : {}),
    };
    const events: TrailEvent[] = [];
    let truncated = false;
    let pages = 0;
    try {
      outer: for await (const page of m.paginateLookupEvents({ client: c, pageSize: 50 }, request, {
        abortSignal: ctx.signal,
      })) {
        pages++;
        for (const raw of plain<Record<string, unknown>[]>(page.Events ?? [])) {
          if (keep && !keep.has(raw.EventName as string)) continue;
          if (events.length >= max) {
            truncated = true;
            break outer;
          }
          events.push(parseEvent(raw));
        }
        ctx.progress({ message: `CloudTrail event history: ${events.length} events (${pages} pages)` });
      }
    } catch (err) {
      throw toIrunError(err, 'LookupEvents');
    }
    const flagged = events
      .filter((e) => e.flag)
      .map((e) => ({
        eventId: e.eventId,
        eventName: e.eventName,
        eventTime: e.eventTime,
        flag: e.flag,
        username: e.username,
        errorCode: e.errorCode,
      }));
    return plain({ region: resolveRegion(ctx, region), events, flagged, count: events.length, truncated });
  },
});

export default definePlugin({
  namespace: 'aws.cloudtrail',
  description: 'AWS CloudTrail event history: who changed bucket, account and IAM settings, and what a credential did.',
  actions: { lookupEvents, credentialActivity },
});
