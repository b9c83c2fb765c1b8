/**
 * What a credential did, sorted the way an investigation reads it: data it read, resources it
 * created (and which of them are high-value targets), identity changes that could keep a
 * foothold, deletions, other modifications, and plain reads. Shared by the CloudTrail
 * event-history lookup and the Athena query over the CloudTrail table, so both classify alike.
 *
 * The lists follow the credential-leakage procedure (items 3.4.1–3.4.5); they are name
 * patterns, so a new API of the same shape is classified without a code change.
 */

export type ActivityClass = 'identity' | 'creation' | 'deletion' | 'modification' | 'dataAccess' | 'read';

/** One API call, from event history or from a row of the CloudTrail table. */
export interface ActivityEvent {
  eventId?: string;
  eventTime?: string;
  eventName?: string;
  eventSource?: string;
  readOnly?: string | boolean;
  errorCode?: string;
  sourceIPAddress?: string;
  accessKeyId?: string;
  principal?: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  resources?: unknown[];
}

/** A resource that can hand out credentials (3.6): found in the activity, to contain next. */
export interface CredentialResource {
  kind: 'user' | 'role' | 'accessKey' | 'instance' | 'session';
  /** User or role name, access key id, or instance id. */
  id: string;
  /** The user a new access key belongs to, or the role a session was issued for. */
  owner?: string;
  eventName: string;
  eventTime?: string;
  eventId?: string;
}

/** Identity and foothold patterns (3.4.3.1–3.4.3.13), matched on the event name. */
export const FOOTHOLD_PATTERNS: readonly { ref: string; pattern: RegExp; iamOnly?: boolean }[] = [
  { ref: '3.4.3.1', pattern: /^CreateUser$/ },
  { ref: '3.4.3.2', pattern: /^CreateRole$/ },
  { ref: '3.4.3.3', pattern: /^AssumeRole/ },
  { ref: '3.4.3.4', pattern: /^Get\w*Token$/ },
  { ref: '3.4.3.5', pattern: /^Attach\w*Policy$/ },
  { ref: '3.4.3.6', pattern: /^RunInstances$/ },
  { ref: '3.4.3.7', pattern: /Image/ },
  { ref: '3.4.3.8', pattern: /Provider$/ },
  { ref: '3.4.3.9', pattern: /^Tag/, iamOnly: true },
  { ref: '3.4.3.10', pattern: /^Untag/, iamOnly: true },
  { ref: '3.4.3.11', pattern: /^Create/, iamOnly: true },
  { ref: '3.4.3.12', pattern: /^Delete/, iamOnly: true },
  { ref: '3.4.3.13', pattern: /^(Update|Put|Set|Add|Remove|Detach|Enable|Deactivate|Upload|Change)/, iamOnly: true },
];

/** Services whose calls change who can do what. */
const IDENTITY_SOURCES = /^(iam|sts|sso|identitystore|organizations|cognito-identity|cognito-idp)\.amazonaws\.com$/;

/** High-value creations (3.4.2): compute that scales or runs unattended, and data stores. */
export const HIGH_VALUE =
  /^(RunInstances|CreateAutoScalingGroup|UpdateAutoScalingGroup|CreateLaunchConfiguration|CreateLaunchTemplate\w*|RequestSpotFleet|RequestSpotInstances|CreateFleet|CreateCluster|CreateNodegroup|CreateFargateProfile|CreateService|RunTask|CreateFunction\w*|CreateDBInstance|CreateDBCluster|CreateBucket|CreateStack|CreateNotebookInstance|CreateTrainingJob|CreateComputeEnvironment)$/;

/** Reads that return the data itself rather than configuration (3.4.1). */
const DATA_READS: Record<string, RegExp> = {
  's3.amazonaws.com': /^(GetObject|GetObjectVersion|SelectObjectContent|RestoreObject)$/,
  'secretsmanager.amazonaws.com': /^(GetSecretValue|BatchGetSecretValue)$/,
  'ssm.amazonaws.com': /^(GetParameter|GetParameters|GetParametersByPath)$/,
  'kms.amazonaws.com': /^(Decrypt|GenerateDataKey\w*)$/,
  'dynamodb.amazonaws.com': /^(GetItem|BatchGetItem|Query|Scan|ExportTableToPointInTime)$/,
  'rds.amazonaws.com': /^(DownloadDBLogFilePortion|DownloadCompleteDBLogFile)$/,
  'lambda.amazonaws.com': /^GetFunction\w*$/,
  'ec2.amazonaws.com': /^(GetPasswordData|GetConsoleOutput|GetConsoleScreenshot)$/,
};

const READ_NAMES = /^(Get|List|Describe|Head|Lookup|Search|Select|BatchGet|Query|Scan|Check|Validate|Simulate|View)/;
const CREATE_NAMES = /^(Create|Run|Register|Allocate|Import|Launch|Request|Copy|Publish|Add)/;
const DELETE_NAMES = /^(Delete|Terminate|Remove|Deregister|Release|Purge|Cancel|Disable|Revoke|Detach|Disassociate)/;

export interface Classification {
  class: ActivityClass;
  /** The 3.4.3.x item of an identity pattern. */
  pattern?: string;
  highValue?: boolean;
}

/** Sort one call into a class (3.4.1–3.4.5). Identity patterns win over the generic verbs. */
export function classifyEvent(e: Pick<ActivityEvent, 'eventName' | 'eventSource' | 'readOnly'>): Classification {
  const name = e.eventName ?? '';
  const source = e.eventSource ?? '';
  const iamLike = IDENTITY_SOURCES.test(source);
  const dataRead = DATA_READS[source];
  if (dataRead?.test(name)) return { class: 'dataAccess' };
  const foothold = FOOTHOLD_PATTERNS.find((p) => p.pattern.test(name) && (!p.iamOnly || iamLike));
  if (foothold) {
    const highValue = HIGH_VALUE.test(name);
    return { class: 'identity', pattern: foothold.ref, ...(highValue ? { highValue } : {}) };
  }
  const readOnly = e.readOnly === true || e.readOnly === 'true';
  if (readOnly || READ_NAMES.test(name)) return { class: 'read' };
  if (CREATE_NAMES.test(name)) return { class: 'creation', ...(HIGH_VALUE.test(name) ? { highValue: true } : {}) };
  if (DELETE_NAMES.test(name)) return { class: 'deletion' };
  return { class: 'modification' };
}

function obj(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') {
    try {
      const parsed = JSON.parse(v) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}
const s = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const roleNameOf = (arn: string | undefined) => arn?.split('/').pop();

/** Resources able to obtain credentials that a successful call created or opened up (3.6). */
export function credentialResources(e: ActivityEvent): CredentialResource[] {
  if (e.errorCode || !e.eventName) return [];
  const req = obj(e.requestParameters);
  const res = obj(e.responseElements);
  const base = { eventName: e.eventName, eventTime: e.eventTime, eventId: e.eventId };
  const out: CredentialResource[] = [];
  const add = (kind: CredentialResource['kind'], id: string | undefined, owner?: string) => {
    if (id) out.push(JSON.parse(JSON.stringify({ kind, id, owner, ...base })) as CredentialResource);
  };
  switch (e.eventName) {
    case 'CreateUser':
    case 'CreateLoginProfile':
    case 'UpdateLoginProfile':
      add('user', s(req.userName));
      break;
    case 'CreateAccessKey': {
      const key = obj(res.accessKey);
      add('accessKey', s(key.accessKeyId), s(key.userName) ?? s(req.userName));
      break;
    }
    case 'CreateRole':
    case 'UpdateAssumeRolePolicy':
      add('role', s(req.roleName));
      break;
    case 'AssumeRole':
    case 'AssumeRoleWithSAML':
    case 'AssumeRoleWithWebIdentity':
      add('session', s(obj(res.credentials).accessKeyId), roleNameOf(s(req.roleArn)));
      break;
    case 'GetSessionToken':
    case 'GetFederationToken':
      add('session', s(obj(res.credentials).accessKeyId));
      break;
    case 'RunInstances': {
      if (!req.iamInstanceProfile) break;
      const items = obj(res.instancesSet).items;
      for (const i of Array.isArray(items) ? items : []) add('instance', s(obj(i).instanceId));
      break;
    }
    case 'AssociateIamInstanceProfile':
    case 'ReplaceIamInstanceProfileAssociation':
      add('instance', s(req.instanceId) ?? s(obj(obj(res.iamInstanceProfileAssociation)).instanceId));
      break;
  }
  return out;
}

/** A resource a successful call created (3.7): what to list with its evidence and remove or isolate. */
export interface CreatedResource {
  /** instance, user, role, accessKey, or the event source's service name for anything else. */
  type: string;
  id: string;
  eventName: string;
  eventTime?: string;
  eventId?: string;
  highValue?: boolean;
}

const NAME_KEYS = [
  'bucketName',
  'functionName',
  'userName',
  'roleName',
  'autoScalingGroupName',
  'launchTemplateName',
  'clusterName',
  'name',
  'dBInstanceIdentifier',
  'dBClusterIdentifier',
  'stackName',
  'groupName',
  'policyName',
  'keyName',
  'queueName',
  'topicName',
  'secretId',
];

/** The resources a creating call made, by id (instance ids from RunInstances, else a name field). */
export function createdResources(e: ActivityEvent): CreatedResource[] {
  if (e.errorCode || !e.eventName || !/^(Create|Run|Register|Allocate|Import|Launch|Request|Copy)/.test(e.eventName))
    return [];
  const req = obj(e.requestParameters);
  const res = obj(e.responseElements);
  const base = JSON.parse(
    JSON.stringify({ eventName: e.eventName, eventTime: e.eventTime, eventId: e.eventId }),
  ) as Omit<CreatedResource, 'type' | 'id'>;
  const highValue = HIGH_VALUE.test(e.eventName) ? { highValue: true } : {};
  if (e.eventName === 'RunInstances') {
    const items = obj(res.instancesSet).items;
    return (Array.isArray(items) ? items : [])
      .map((i) => s(obj(i).instanceId))
      .filter((id): id is string => !!id)
      .map((id) => ({ type: 'instance', id, ...base, ...highValue }));
  }
  if (e.eventName === 'CreateAccessKey') {
    const id = s(obj(res.accessKey).accessKeyId);
    return id ? [{ type: 'accessKey', id, ...base }] : [];
  }
  const service = (e.eventSource ?? '').replace(/\.amazonaws\.com$/, '');
  const type = e.eventName === 'CreateUser' ? 'user' : e.eventName === 'CreateRole' ? 'role' : service || 'resource';
  const fromResources = (e.resources ?? [])
    .map((r) => s(obj(r).ResourceName) ?? s(obj(r).arn))
    .filter((id): id is string => !!id);
  const named = NAME_KEYS.map((k) => s(req[k])).find(Boolean);
  const id = named ?? fromResources[0];
  return id ? [{ type, id, ...base, ...highValue }] : [];
}

export interface ClassifiedEvent extends ActivityEvent {
  class: ActivityClass;
  pattern?: string;
  highValue?: boolean;
}

export interface ActivitySummary {
  counts: Record<ActivityClass, number>;
  /** Calls that succeeded, by class (reads left out: they are in `events`). */
  dataAccess: ClassifiedEvent[];
  creation: ClassifiedEvent[];
  highValue: ClassifiedEvent[];
  identity: ClassifiedEvent[];
  deletion: ClassifiedEvent[];
  modification: ClassifiedEvent[];
  /** Resources able to obtain credentials, one entry per resource. */
  credentialResources: CredentialResource[];
  /** Resources the calls created, one entry per resource; `instances` are the EC2 instance ids among them. */
  created: CreatedResource[];
  instances: string[];
  /** Denied or failed calls (attempts). */
  failed: number;
}

/** Classify every call and gather the investigation's lists. */
export function summarizeActivity(events: ActivityEvent[]): { events: ClassifiedEvent[]; summary: ActivitySummary } {
  const classified = events.map((e) => ({ ...e, ...classifyEvent(e) }) as ClassifiedEvent);
  const counts: Record<ActivityClass, number> = {
    identity: 0,
    creation: 0,
    deletion: 0,
    modification: 0,
    dataAccess: 0,
    read: 0,
  };
  const ok = classified.filter((e) => !e.errorCode);
  for (const e of ok) counts[e.class]++;
  const slim = (e: ClassifiedEvent): ClassifiedEvent => {
    const { requestParameters: _q, responseElements: _r, ...rest } = e;
    return rest as ClassifiedEvent;
  };
  const seen = new Set<string>();
  const resources: CredentialResource[] = [];
  for (const e of ok) {
    for (const r of credentialResources(e)) {
      const k = `${r.kind}:${r.id}`;
      if (seen.has(k)) continue;
      seen.add(k);
      resources.push(r);
    }
  }
  const created: CreatedResource[] = [];
  for (const e of ok)
    for (const r of createdResources(e)) if (!created.some((x) => x.type === r.type && x.id === r.id)) created.push(r);
  const of = (c: ActivityClass) => ok.filter((e) => e.class === c).map(slim);
  return {
    events: classified,
    summary: {
      counts,
      dataAccess: of('dataAccess'),
      creation: of('creation'),
      highValue: ok.filter((e) => e.highValue).map(slim),
      identity: of('identity'),
      deletion: of('deletion'),
      modification: of('modification'),
      credentialResources: resources,
      created,
      instances: created.filter((r) => r.type === 'instance').map((r) => r.id),
      failed: classified.length - ok.length,
    },
  };
}

/** JSON schema of ActivitySummary, for the output schemas of the actions that return one. */
export const ACTIVITY_SUMMARY_SCHEMA = (() => {
  const event = {
    type: 'object',
    properties: {
      eventId: { type: 'string' },
      eventTime: { type: 'string' },
      eventName: { type: 'string' },
      eventSource: { type: 'string' },
      class: { type: 'string' },
      pattern: { type: 'string' },
      highValue: { type: 'boolean' },
    },
  };
  const list = { type: 'array', items: event };
  return {
    type: 'object',
    properties: {
      counts: { type: 'object', properties: {}, additionalProperties: { type: 'integer' } },
      dataAccess: list,
      creation: list,
      highValue: list,
      identity: list,
      deletion: list,
      modification: list,
      credentialResources: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            kind: { type: 'string', enum: ['user', 'role', 'accessKey', 'instance', 'session'] },
            id: { type: 'string' },
            owner: { type: 'string' },
            eventName: { type: 'string' },
          },
          required: ['kind', 'id'],
        },
      },
      created: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            id: { type: 'string' },
            eventName: { type: 'string' },
            highValue: { type: 'boolean' },
          },
          required: ['type', 'id'],
        },
      },
      instances: { type: 'array', items: { type: 'string' } },
      failed: { type: 'integer' },
    },
    required: ['counts', 'credentialResources', 'created', 'instances'],
  };
})();
