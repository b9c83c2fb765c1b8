/**
 * aws.athena — CloudTrail data events (object-level reads and writes) through Athena: run a
 * read-only query, run the runbook's standard data-event queries, and create the CloudTrail table
 * with partition projection when it does not exist yet.
 */
import { defineAction, definePlugin, type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { awsErrorName, client, toIrunError } from '../aws-common/index.js';
import { credentialActivity } from './activity.js';
import {
  DEFAULT_MAX_ROWS,
  DEFAULT_TIMEOUT_SECONDS,
  executeQuery,
  type QueryInput,
  type SqlParameter,
} from './query.js';
import {
  cloudTrailLocation,
  cloudTrailTableDdl,
  dataEventsQuery,
  dropTableDdl,
  type CloudTrailTableSpec,
  type DataEventsMode,
} from './sql.js';

export { executeQuery, renderParameter, isReadStatement, countPlaceholders, isMissingTable } from './query.js';
export { cloudTrailTableDdl, dataEventsQuery, dropTableDdl, partitionDay, DATA_EVENT_COLUMNS } from './sql.js';

const DOCS = 'https://docs.aws.amazon.com/athena/latest';
const QUERY_PERMISSIONS = [
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
];

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region of Athena (default: the step region).',
};
const identifier = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' };
const common = {
  database: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,255}$' },
  catalog: {
    type: 'string',
    pattern: '^[A-Za-z0-9_@:-]{1,256}$',
    description: 'Data catalog (default AwsDataCatalog).',
  },
  workgroup: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
  outputLocation: {
    type: 'string',
    pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$',
    description: 's3://bucket/prefix/ for the results (else the workgroup setting).',
  },
  timeout: {
    type: 'integer',
    minimum: 1,
    maximum: 86400,
    default: DEFAULT_TIMEOUT_SECONDS,
    description: 'Seconds to wait before stopping the query.',
  },
  maxRows: { type: 'integer', minimum: 1, maximum: 1000000, default: DEFAULT_MAX_ROWS },
  region,
};

const resultOutput = {
  type: 'object',
  properties: {
    configured: { type: 'boolean' },
    reason: { type: 'string' },
    queryExecutionId: { type: 'string' },
    state: { type: 'string' },
    stateChangeReason: { type: 'string' },
    statementType: { type: 'string' },
    dataScannedBytes: { type: 'integer' },
    outputLocation: { type: 'string' },
    columns: { type: 'array', items: { type: 'string' } },
    rows: {
      type: 'array',
      items: { type: 'object', properties: {}, additionalProperties: { type: ['string', 'null'] } },
    },
    rowCount: { type: 'integer' },
    truncated: { type: 'boolean' },
  },
  required: ['configured'],
};

const query = defineAction<QueryInput>({
  title: 'Run an Athena query',
  description:
    'Run one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN) and return its rows keyed by column (null where a value is absent). Values go in `parameters` for the `?` placeholders — never into the SQL text; strings are passed as quoted literals. Polls with backoff; stops the query on timeout or cancel. A missing table is `{ configured: false, reason }`. DDL is refused: use ensureCloudTrailTable.',
  docsUrl: `${DOCS}/ug/querying-with-prepared-statements.html`,
  input: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1 },
      parameters: { type: 'array', items: { type: ['string', 'number', 'boolean'] } },
      ...common,
    },
    required: ['query', 'database'],
    additionalProperties: false,
  },
  output: resultOutput,
  effect: 'read',
  permissions: QUERY_PERMISSIONS,
  example: {
    query:
      'SELECT eventtime, eventname FROM cloudtrail_logs_pp WHERE useridentity.accesskeyid = ? AND "timestamp" >= ?',
    parameters: ['AKIAIOSFODNN7EXAMPLE', '2024/05/01'],
    database: 'default',
    workgroup: 'primary',
  },
  run: (ctx, input) => executeQuery(ctx, input),
});

interface DataEventsInput extends Omit<QueryInput, 'query' | 'parameters'> {
  mode: DataEventsMode;
  value?: string;
  bucket?: string;
  since: string;
  until?: string;
  table: string;
}

const cloudTrailDataEvents = defineAction<DataEventsInput>({
  title: 'CloudTrail S3 data events',
  description:
    'The runbook\'s standard queries over the CloudTrail table: `objectKey` — who touched an object key (Q1); `accessKey` — what one access key did in S3 (Q2, also the Part 2 verification: any event with a null errorcode after containment is an alert); `principalReads` — GetObject calls by one principal ARN (Q3); `anonymousReads` — anonymous requests (Q4). Optional bucket filter; always pruned on the "timestamp" partition between since and until. Returns rows with eventtime, eventname, principal, access key, source IP, error code, bucket and object key, and ec2_role_delivery (1.0 = credentials delivered by IMDSv1).',
  docsUrl: `${DOCS}/ug/cloudtrail-logs.html`,
  input: {
    type: 'object',
    properties: {
      mode: { type: 'string', enum: ['objectKey', 'accessKey', 'principalReads', 'anonymousReads'] },
      value: { type: 'string', minLength: 1, description: 'Object key, access key id or principal ARN, by mode.' },
      bucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
      since: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time' },
      ...common,
      database: identifier,
      table: identifier,
    },
    required: ['mode', 'since', 'database', 'table'],
    additionalProperties: false,
  },
  output: {
    ...resultOutput,
    properties: {
      ...resultOutput.properties,
      query: { type: 'string' },
      parameters: { type: 'array', items: { type: 'string' } },
    },
  },
  effect: 'read',
  permissions: QUERY_PERMISSIONS,
  example: {
    mode: 'accessKey',
    value: 'AKIAIOSFODNN7EXAMPLE',
    since: '2024-05-01T00:00:00Z',
    database: 'default',
    table: 'cloudtrail_logs_pp',
    workgroup: 'primary',
  },
  async run(ctx, input) {
    const built = dataEventsQuery(input, ctx.now());
    const { mode: _m, value: _v, bucket: _b, since: _s, until: _u, table: _t, ...rest } = input;
    const result = await executeQuery(ctx, {
      ...rest,
      query: built.query,
      parameters: built.parameters as SqlParameter[],
    });
    return { ...result, query: built.query, parameters: built.parameters };
  },
});

interface TableInput extends CloudTrailTableSpec {
  catalog?: string;
  outputLocation?: string;
  workgroup?: string;
  timeout?: number;
  athenaRegion?: string;
}
interface TableBefore {
  database: string;
  table: string;
  exists: boolean;
  location?: string;
}

async function tableState(ctx: ActionContext, input: TableInput): Promise<TableBefore> {
  const m = await import('@aws-sdk/client-athena');
  const c = await client(ctx, m.AthenaClient, { region: input.athenaRegion });
  try {
    const out = await c.send(
      new m.GetTableMetadataCommand({
        CatalogName: input.catalog ?? 'AwsDataCatalog',
        DatabaseName: input.database,
        TableName: input.table,
      }),
      { abortSignal: ctx.signal },
    );
    const location = out.TableMetadata?.Parameters?.location;
    return { database: input.database, table: input.table, exists: true, ...(location ? { location } : {}) };
  } catch (err) {
    const name = awsErrorName(err);
    const message = (err as Error)?.message ?? '';
    if (
      name === 'EntityNotFoundException' ||
      (name === 'MetadataException' && /not found|does not exist|EntityNotFound/i.test(message))
    ) {
      return { database: input.database, table: input.table, exists: false };
    }
    throw toIrunError(err, 'GetTableMetadata');
  }
}

async function captureTable(ctx: ActionContext, input: TableInput): Promise<TableBefore> {
  cloudTrailTableDdl(input); // validate every identifier before touching AWS
  const before = await tableState(ctx, input);
  await ctx.evidence.save('athena-table-before', before);
  return before;
}

const ensureCloudTrailTable = defineAction<TableInput, Record<string, unknown>, TableBefore>({
  title: 'Create the CloudTrail table in Athena',
  description:
    'Create the CloudTrail logs table with partition projection on "timestamp" (AWS\'s current DDL) over s3://<trailBucket>/[prefix/]AWSLogs/[organizationId/]<accountId>/CloudTrail/<region>, unless a table of that name already exists (then nothing changes). Every name is checked against a strict pattern because DDL cannot take parameters. Undo drops the table if this step created it (the logs themselves are untouched).',
  docsUrl: `${DOCS}/ug/create-cloudtrail-table-partition-projection.html`,
  input: {
    type: 'object',
    properties: {
      database: identifier,
      table: identifier,
      trailBucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
      accountId: { type: 'string', pattern: '^\\d{12}$' },
      region: { ...region, description: 'Region whose CloudTrail logs the table reads.' },
      prefix: {
        type: 'string',
        pattern: '^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$',
        description: 'S3 key prefix of the trail, if any.',
      },
      organizationId: { type: 'string', pattern: '^o-[a-z0-9]{10,32}$', description: 'For an organization trail.' },
      rangeStart: { type: 'string', pattern: '^\\d{4}/\\d{2}/\\d{2}$', default: '2020/01/01' },
      catalog: common.catalog,
      outputLocation: common.outputLocation,
      workgroup: common.workgroup,
      timeout: common.timeout,
      athenaRegion: { ...region, description: 'Region of Athena (default: the step region).' },
    },
    required: ['database', 'table', 'trailBucket', 'accountId', 'region'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      changed: { type: 'boolean' },
      created: { type: 'boolean' },
      database: { type: 'string' },
      table: { type: 'string' },
      location: { type: 'string' },
      queryExecutionId: { type: 'string' },
      before: { type: 'object', properties: { exists: { type: 'boolean' } } },
      after: { type: 'object', properties: { exists: { type: 'boolean' } } },
    },
    required: ['changed', 'created'],
  },
  effect: 'mutate',
  permissions: [...QUERY_PERMISSIONS, 'athena:GetTableMetadata', 'glue:CreateTable', 'glue:DeleteTable'],
  example: {
    database: 'default',
    table: 'cloudtrail_logs_pp',
    trailBucket: 'org-cloudtrail-logs',
    accountId: '111122223333',
    region: 'us-east-1',
    workgroup: 'primary',
  },
  capture: captureTable,
  async preview(_ctx, input, before) {
    const ddl = cloudTrailTableDdl(input);
    const noop = before?.exists === true;
    return {
      summary: noop
        ? `Athena table ${input.database}.${input.table} already exists`
        : `Create Athena table ${input.database}.${input.table} over ${cloudTrailLocation(input)}`,
      noop,
      before,
      after: { database: input.database, table: input.table, exists: true },
      details: noop ? undefined : { ddl },
    };
  },
  async run(ctx, input, before) {
    const ddl = cloudTrailTableDdl(input);
    const b = before ?? (await captureTable(ctx, input));
    const location = cloudTrailLocation(input);
    if (b.exists)
      return {
        changed: false,
        created: false,
        database: input.database,
        table: input.table,
        location,
        before: b,
        after: b,
      };
    const result = await executeQuery(
      ctx,
      {
        query: ddl,
        database: input.database,
        catalog: input.catalog,
        workgroup: input.workgroup,
        outputLocation: input.outputLocation,
        timeout: input.timeout,
        region: input.athenaRegion,
      },
      { allowDdl: true },
    );
    if (!result.configured) {
      throw new IrunError(
        Codes.ATHENA_QUERY_FAILED,
        `cannot create ${input.database}.${input.table}: ${result.reason}`,
        {
          suggestions: [`Create the database first: CREATE DATABASE ${input.database}`],
        },
      );
    }
    const after = await tableState(ctx, input);
    await ctx.evidence.save('athena-table-after', after);
    return {
      changed: true,
      created: true,
      database: input.database,
      table: input.table,
      location,
      queryExecutionId: result.queryExecutionId,
      before: b,
      after,
    };
  },
  reversible: () => true,
  async undo(ctx, input, before, output) {
    if (!output?.created || before?.exists) return { dropped: false, reason: 'the table existed before this step' };
    await executeQuery(
      ctx,
      {
        query: dropTableDdl(input.database, input.table),
        database: input.database,
        catalog: input.catalog,
        workgroup: input.workgroup,
        outputLocation: input.outputLocation,
        timeout: input.timeout,
        region: input.athenaRegion,
      },
      { allowDdl: true },
    );
    return { dropped: true };
  },
});

export default definePlugin({
  namespace: 'aws.athena',
  description: 'Amazon Athena over CloudTrail logs: object-level (data) events, the CloudTrail table.',
  actions: { query, cloudTrailDataEvents, ensureCloudTrailTable, credentialActivity },
});
