/**
 * SQL the runbook needs over CloudTrail logs: the partition-projection table DDL (AWS's current
 * text) and the standard data-event queries Q1–Q4 of docs/reference/aws-actions.md.
 *
 * DDL cannot take parameters, so every identifier and value spliced into it is validated against
 * a strict pattern first. The queries take their values only as execution parameters.
 */
import { Codes, IrunError } from '../../engine/plugins/api.js';

export const PATTERNS = {
  identifier: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
  bucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  accountId: /^\d{12}$/,
  region: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  organizationId: /^o-[a-z0-9]{10,32}$/,
  prefix: /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
  date: /^\d{4}\/\d{2}\/\d{2}$/,
} as const;

/** Throw IRUN_INPUT_INVALID unless `value` matches the named pattern. */
export function check(field: string, value: string, pattern: keyof typeof PATTERNS): string {
  if (
    typeof value !== 'string' ||
    !PATTERNS[pattern].test(value) ||
    (pattern === 'prefix' && value.split('/').some((s) => s === '.' || s === '..'))
  ) {
    throw new IrunError(
      Codes.INPUT_INVALID,
      `${field} ${JSON.stringify(value)} is not a valid ${pattern} (${PATTERNS[pattern].source})`,
    );
  }
  return value;
}

/** A validated identifier, double-quoted for Athena DML. */
export function quoteIdent(field: string, value: string): string {
  return `"${check(field, value, 'identifier')}"`;
}

export interface CloudTrailTableSpec {
  database: string;
  table: string;
  trailBucket: string;
  accountId: string;
  region: string;
  /** S3 key prefix of the trail, if it has one. */
  prefix?: string;
  /** Organization trail: logs are under AWSLogs/<org id>/<account>/. */
  organizationId?: string;
  /** First day of the projected partitions, yyyy/MM/dd (default 2020/01/01). */
  rangeStart?: string;
}

/** s3://bucket/[prefix/]AWSLogs/[o-id/]account/CloudTrail/region */
export function cloudTrailLocation(spec: CloudTrailTableSpec): string {
  const bucket = check('trailBucket', spec.trailBucket, 'bucket');
  const account = check('accountId', spec.accountId, 'accountId');
  const region = check('region', spec.region, 'region');
  const prefix = spec.prefix ? `${check('prefix', spec.prefix.replace(/^\/+|\/+$/g, ''), 'prefix')}/` : '';
  const org = spec.organizationId ? `${check('organizationId', spec.organizationId, 'organizationId')}/` : '';
  return `s3://${bucket}/${prefix}AWSLogs/${org}${account}/CloudTrail/${region}`;
}

/** The CloudTrail table with partition projection on "timestamp" (yyyy/MM/dd). */
export function cloudTrailTableDdl(spec: CloudTrailTableSpec): string {
  const db = check('database', spec.database, 'identifier');
  const table = check('table', spec.table, 'identifier');
  const location = cloudTrailLocation(spec);
  const rangeStart = check('rangeStart', spec.rangeStart ?? '2020/01/01', 'date');
  return `CREATE EXTERNAL TABLE \`${db}\`.\`${table}\`(
    eventversion STRING,
    useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING,
        invokedby: STRING, accesskeyid: STRING, username: STRING,
        onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING,
                                  accountid: STRING, username: STRING>,
            ec2roledelivery:string,
            webidfederationdata: STRUCT<federatedprovider: STRING, attributes: map<string,string>>>>,
    eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING,
    sourceipaddress STRING, useragent STRING, errorcode STRING, errormessage STRING,
    requestparameters STRING, responseelements STRING, additionaleventdata STRING,
    requestid STRING, eventid STRING, readonly STRING,
    resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
    eventtype STRING, apiversion STRING, recipientaccountid STRING,
    serviceeventdetails STRING, sharedeventid STRING, vpcendpointid STRING,
    vpcendpointaccountid STRING, eventcategory STRING,
    addendum STRUCT<reason:STRING, updatedfields:STRING, originalrequestid:STRING, originaleventid:STRING>,
    sessioncredentialfromconsole STRING, edgedevicedetails STRING,
    tlsdetails STRUCT<tlsversion:STRING, ciphersuite:STRING, clientprovidedhostheader:STRING>)
PARTITIONED BY (\`timestamp\` string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${location}'
TBLPROPERTIES ('projection.enabled'='true', 'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.interval'='1', 'projection.timestamp.interval.unit'='DAYS',
  'projection.timestamp.range'='${rangeStart},NOW', 'projection.timestamp.type'='date',
  'storage.location.template'='${location}/\${timestamp}')`;
}

export function dropTableDdl(database: string, table: string): string {
  return `DROP TABLE IF EXISTS \`${check('database', database, 'identifier')}\`.\`${check('table', table, 'identifier')}\``;
}

export type DataEventsMode = 'objectKey' | 'accessKey' | 'principalReads' | 'anonymousReads';

export interface DataEventsSpec {
  mode: DataEventsMode;
  /** Object key (objectKey), access key id (accessKey) or principal ARN (principalReads). */
  value?: string;
  /** Limit to one bucket (requestParameters.bucketName). */
  bucket?: string;
  /** ISO date-time, inclusive. */
  since: string;
  /** ISO date-time, inclusive (default: now). */
  until?: string;
  database: string;
  table: string;
}

/** The SELECT list shared by the four CloudTrail queries of the runbook, plus the IMDS delivery and error code. */
export const DATA_EVENT_COLUMNS = [
  'eventtime',
  'eventname',
  'eventsource',
  'useridentity.type AS identity_type',
  'useridentity.arn AS principal_arn',
  'useridentity.accountid AS account_id',
  'useridentity.accesskeyid AS access_key_id',
  'useridentity.sessioncontext.ec2roledelivery AS ec2_role_delivery',
  'sourceipaddress',
  'useragent',
  'errorcode',
  "json_extract_scalar(requestparameters, '$.bucketName') AS bucket",
  "json_extract_scalar(requestparameters, '$.key') AS object_key",
];

/** ISO-8601 UTC with seconds (the format of CloudTrail's eventtime). */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** yyyy/MM/dd in UTC: the "timestamp" partition value of a day. */
export function partitionDay(d: Date): string {
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

function parseTime(field: string, v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new IrunError(Codes.INPUT_INVALID, `${field} ${JSON.stringify(v)} is not a date-time`);
  return d;
}

/**
 * Build Q1–Q4 as parameterized SQL: table name validated and quoted; every value (key, access
 * key, ARN, bucket, times) a `?` with its parameter; always pruned on the "timestamp" partition.
 */
export function dataEventsQuery(spec: DataEventsSpec, now: Date): { query: string; parameters: string[] } {
  const from = `${quoteIdent('database', spec.database)}.${quoteIdent('table', spec.table)}`;
  const since = parseTime('since', spec.since);
  const until = spec.until ? parseTime('until', spec.until) : now;
  if (since.getTime() > until.getTime())
    throw new IrunError(Codes.INPUT_INVALID, `since (${spec.since}) is after until (${isoSeconds(until)})`);
  const where: string[] = ["eventsource = 's3.amazonaws.com'"];
  const parameters: string[] = [];
  const needValue = (what: string): string => {
    if (spec.value === undefined || spec.value === '')
      throw new IrunError(Codes.INPUT_INVALID, `mode ${spec.mode} needs value (${what})`);
    return spec.value;
  };
  switch (spec.mode) {
    case 'objectKey':
      where.push("json_extract_scalar(requestparameters, '$.key') = ?");
      parameters.push(needValue('the object key'));
      break;
    case 'accessKey':
      where.push('useridentity.accesskeyid = ?');
      parameters.push(needValue('the access key id'));
      break;
    case 'principalReads':
      where.push("eventname = 'GetObject'", 'useridentity.arn = ?');
      parameters.push(needValue('the principal ARN'));
      break;
    case 'anonymousReads':
      where.push("useridentity.accountid = 'anonymous'", 'useridentity.arn IS NULL');
      break;
    default:
      throw new IrunError(Codes.INPUT_INVALID, `unknown mode ${String((spec as { mode: unknown }).mode)}`);
  }
  if (spec.bucket) {
    where.push("json_extract_scalar(requestparameters, '$.bucketName') = ?");
    parameters.push(check('bucket', spec.bucket, 'bucket'));
  }
  where.push('eventtime BETWEEN ? AND ?');
  parameters.push(isoSeconds(since), isoSeconds(until));
  where.push('"timestamp" BETWEEN ? AND ?');
  parameters.push(partitionDay(since), partitionDay(until));
  const query = `SELECT ${DATA_EVENT_COLUMNS.join(', ')}\nFROM ${from}\nWHERE ${where.join('\n  AND ')}\nORDER BY eventtime`;
  return { query, parameters };
}
