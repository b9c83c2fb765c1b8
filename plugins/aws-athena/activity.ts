/**
 * Everything one credential did, from the CloudTrail table in Athena (credential leakage 3.2,
 * 3.3, 3.6.2): management and data events of every service, for an access key id, a principal
 * ARN (a user), or the sessions of a role (the session issuer's ARN), between two times. The
 * values travel only as execution parameters; the table name is validated and quoted. Rows are
 * classified like the event-history lookup (aws-common/activity).
 */
import { Codes, defineAction, IrunError } from '../../engine/plugins/api.js';
import { ACTIVITY_SUMMARY_SCHEMA, summarizeActivity, type ActivityEvent } from '../aws-common/activity.js';
import { executeQuery, type QueryInput, type SqlParameter } from './query.js';
import { check, partitionDay } from './sql.js';

export type ActivityMode = 'accessKey' | 'principalArn' | 'roleArn';

export interface ActivitySpec {
  mode: ActivityMode;
  value: string;
  since: string;
  until?: string;
  database: string;
  table: string;
}

export const ACTIVITY_COLUMNS = [
  'eventid',
  'eventtime',
  'eventsource',
  'eventname',
  'awsregion',
  'readonly',
  'useridentity.arn AS principal_arn',
  'useridentity.accesskeyid AS access_key_id',
  'sourceipaddress',
  'errorcode',
  'requestparameters',
  'responseelements',
];

const WHERE: Record<ActivityMode, string> = {
  accessKey: 'useridentity.accesskeyid = ?',
  principalArn: 'useridentity.arn = ?',
  roleArn: 'useridentity.sessioncontext.sessionissuer.arn = ?',
};

const VALUE: Record<ActivityMode, RegExp> = {
  accessKey: /^[A-Z0-9]{16,128}$/,
  principalArn: /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+$/,
  roleArn: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
};

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The parameterized query: one `?` per value, pruned on the "timestamp" partition. */
export function activityQuery(spec: ActivitySpec, now: Date): { query: string; parameters: string[] } {
  const db = check('database', spec.database, 'identifier');
  const table = check('table', spec.table, 'identifier');
  if (!WHERE[spec.mode]) throw new IrunError(Codes.INPUT_INVALID, `unknown mode ${String(spec.mode)}`);
  if (!VALUE[spec.mode].test(spec.value ?? ''))
    throw new IrunError(Codes.INPUT_INVALID, `value ${JSON.stringify(spec.value)} is not valid for mode ${spec.mode}`);
  const since = new Date(spec.since);
  const until = spec.until ? new Date(spec.until) : now;
  if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime()))
    throw new IrunError(Codes.INPUT_INVALID, 'since and until must be date-times');
  if (since > until) throw new IrunError(Codes.INPUT_INVALID, `since (${spec.since}) is after until (${iso(until)})`);
  const query =
    `SELECT ${ACTIVITY_COLUMNS.join(', ')}\nFROM "${db}"."${table}"\n` +
    `WHERE ${WHERE[spec.mode]}\n  AND eventtime BETWEEN ? AND ?\n  AND "timestamp" BETWEEN ? AND ?\nORDER BY eventtime`;
  return { query, parameters: [spec.value, iso(since), iso(until), partitionDay(since), partitionDay(until)] };
}

function rowToEvent(r: Record<string, string | null>): ActivityEvent {
  const v = (k: string) => r[k] ?? undefined;
  return JSON.parse(
    JSON.stringify({
      eventId: v('eventid'),
      eventTime: v('eventtime'),
      eventSource: v('eventsource'),
      eventName: v('eventname'),
      readOnly: v('readonly'),
      principal: v('principal_arn'),
      accessKeyId: v('access_key_id'),
      sourceIPAddress: v('sourceipaddress'),
      errorCode: v('errorcode'),
      requestParameters: v('requestparameters'),
      responseElements: v('responseelements'),
    }),
  ) as ActivityEvent;
}

type Input = Omit<QueryInput, 'query' | 'parameters'> & ActivitySpec;

const identifier = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' };

export const credentialActivity = defineAction<Input>({
  title: 'What a credential did (Athena over the CloudTrail table)',
  description:
    'Every CloudTrail event of one credential between since and until, all services, management and data events: `accessKey` (an AKIA…/ASIA… key id), `principalArn` (a user or assumed-role ARN), or `roleArn` (every session issued for a role). Values are execution parameters, never SQL text. Returns the rows and the same classification as aws.cloudtrail.credentialActivity (dataAccess, creation with highValue, identity, deletion, modification) with the credential-obtaining resources found. A missing table is `{ configured: false }`.',
  docsUrl: 'https://docs.aws.amazon.com/athena/latest/ug/cloudtrail-logs.html',
  input: {
    type: 'object',
    properties: {
      mode: { type: 'string', enum: ['accessKey', 'principalArn', 'roleArn'] },
      value: { type: 'string', minLength: 1 },
      since: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time' },
      database: identifier,
      table: identifier,
      catalog: { type: 'string', pattern: '^[A-Za-z0-9_@:-]{1,256}$' },
      workgroup: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
      outputLocation: { type: 'string', pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$' },
      timeout: { type: 'integer', minimum: 1, maximum: 86400 },
      maxRows: { type: 'integer', minimum: 1, maximum: 1000000 },
      region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' },
    },
    required: ['mode', 'value', 'since', 'database', 'table'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      reason: { type: 'string' },
      queryExecutionId: { type: 'string' },
      query: { type: 'string' },
      parameters: { type: 'array', items: { type: 'string' } },
      rowCount: { type: 'integer' },
      truncated: { type: 'boolean' },
      events: { type: 'array', items: { type: 'object', properties: { eventName: { type: 'string' } } } },
      summary: ACTIVITY_SUMMARY_SCHEMA,
    },
    required: ['configured'],
  },
  effect: 'read',
  permissions: [
    'athena:StartQueryExecution',
    'athena:GetQueryExecution',
    'athena:GetQueryResults',
    'athena:StopQueryExecution',
    'glue:GetDatabase',
    'glue:GetTable',
    'glue:GetPartitions',
    's3:GetBucketLocation',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
  ],
  example: {
    mode: 'accessKey',
    value: 'AKIAIOSFODNN7EXAMPLE',
    since: '2024-05-01T00:00:00Z',
    database: 'default',
    table: 'cloudtrail_logs',
    workgroup: 'primary',
  },
  async run(ctx, input) {
    const built = activityQuery(input, ctx.now());
    const { mode: _m, value: _v, since: _s, until: _u, table: _t, ...rest } = input;
    const result = await executeQuery(ctx, {
      ...rest,
      query: built.query,
      parameters: built.parameters as SqlParameter[],
    });
    if (!result.configured) return { ...result, query: built.query, parameters: built.parameters };
    const { events, summary } = summarizeActivity(result.rows.map(rowToEvent));
    return {
      configured: true,
      queryExecutionId: result.queryExecutionId,
      query: built.query,
      parameters: built.parameters,
      rowCount: result.rowCount,
      truncated: result.truncated,
      events: events.map(({ requestParameters: _q, responseElements: _r, ...e }) => e),
      summary,
    };
  },
});
