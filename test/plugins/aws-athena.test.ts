import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetTableMetadataCommand,
  MetadataException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryExecutionOutput,
  type GetQueryResultsOutput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import pack, {
  cloudTrailTableDdl,
  countPlaceholders,
  dataEventsQuery,
  isReadStatement,
  renderParameter,
} from '../../plugins/aws-athena/index.js';
import { makeCtx, type TestContext } from '../helpers/ctx.js';

const athena = mockClient(AthenaClient);
const { query, cloudTrailDataEvents, ensureCloudTrailTable } = pack.actions;

function execution(state: string, extra: Record<string, unknown> = {}): GetQueryExecutionOutput {
  return {
    QueryExecution: {
      QueryExecutionId: 'q-1',
      StatementType: 'DML',
      Status: { State: state },
      Statistics: { DataScannedInBytes: 2048 },
      ResultConfiguration: { OutputLocation: 's3://results/q-1.csv' },
      ...extra,
    },
  } as GetQueryExecutionOutput;
}

const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});
function page(
  rows: ReturnType<typeof row>[],
  next?: string,
  columns = ['eventtime', 'eventname'],
): GetQueryResultsOutput {
  return {
    ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name, Type: 'varchar' })) } },
    ...(next ? { NextToken: next } : {}),
  } as GetQueryResultsOutput;
}

function fastSleep(ctx: TestContext): number[] {
  const slept: number[] = [];
  ctx.sleep = async (ms: number) => void slept.push(ms);
  return slept;
}

const baseInput = { database: 'default', workgroup: 'primary' };

describe('aws.athena', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => athena.reset());

  describe('query', () => {
    it('starts with execution parameters, polls with backoff, pages results and drops the DML header on page 1 only', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena
        .on(GetQueryExecutionCommand)
        .resolvesOnce(execution('QUEUED'))
        .resolvesOnce(execution('RUNNING'))
        .resolves(execution('SUCCEEDED'));
      athena
        .on(GetQueryResultsCommand)
        .resolvesOnce(
          page(
            [
              row('eventtime', 'eventname'),
              row('2024-05-01T00:00:00Z', 'GetObject'),
              row('2024-05-01T00:00:01Z', undefined),
            ],
            'n2',
          ),
        )
        .resolvesOnce(page([row('2024-05-01T00:00:02Z', 'PutObject'), row('2024-05-01T00:00:03Z', 'GetObject')]));
      const ctx = makeCtx();
      const slept = fastSleep(ctx);
      const out = await query.run(
        ctx,
        {
          ...baseInput,
          query: "SELECT eventtime, eventname FROM t WHERE a = ? AND b = ? AND c = ? AND d = '?'",
          parameters: ["it's", 42, true],
        },
        undefined,
      );
      const start = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
      expect(start).to.deep.equal({
        QueryString: "SELECT eventtime, eventname FROM t WHERE a = ? AND b = ? AND c = ? AND d = '?'",
        QueryExecutionContext: { Database: 'default' },
        WorkGroup: 'primary',
        ExecutionParameters: ["'it''s'", '42', 'true'],
      });
      expect(slept).to.have.length(2);
      expect(slept[1]).to.be.greaterThan(slept[0]);
      expect(athena.commandCalls(GetQueryResultsCommand)[1].args[0].input.NextToken).to.equal('n2');
      expect(out).to.deep.include({
        configured: true,
        queryExecutionId: 'q-1',
        state: 'SUCCEEDED',
        statementType: 'DML',
        dataScannedBytes: 2048,
        outputLocation: 's3://results/q-1.csv',
        rowCount: 4,
        truncated: false,
      });
      expect(out.columns).to.deep.equal(['eventtime', 'eventname']);
      expect(out.rows[0]).to.deep.equal({ eventtime: '2024-05-01T00:00:00Z', eventname: 'GetObject' });
      expect(out.rows[1]).to.deep.equal({ eventtime: '2024-05-01T00:00:01Z', eventname: null });
      expect(out.rows[2]).to.deep.equal({ eventtime: '2024-05-01T00:00:02Z', eventname: 'PutObject' });
      expect(ctx.saved[0].name).to.equal('athena-query-q-1');
    });

    it('keeps row 0 of UTILITY results (no header)', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', { StatementType: 'UTILITY' }));
      athena
        .on(GetQueryResultsCommand)
        .resolves(page([row('cloudtrail_logs_pp'), row('other')], undefined, ['tab_name']));
      const out = await query.run(makeCtx(), { ...baseInput, query: 'SHOW TABLES' }, undefined);
      expect(out.rows).to.deep.equal([{ tab_name: 'cloudtrail_logs_pp' }, { tab_name: 'other' }]);
    });

    it('maxRows cuts the result and says truncated; exactly maxRows is not truncated', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
      athena.on(GetQueryResultsCommand).resolves(page([row('h', 'h'), row('1', 'a'), row('2', 'b'), row('3', 'c')]));
      const cut = await query.run(makeCtx(), { ...baseInput, query: 'SELECT 1', maxRows: 2 }, undefined);
      expect(cut).to.include({ rowCount: 2, truncated: true });
      expect(athena.commandCalls(GetQueryResultsCommand)[0].args[0].input.MaxResults).to.equal(3);
      const exact = await query.run(makeCtx(), { ...baseInput, query: 'SELECT 1', maxRows: 3 }, undefined);
      expect(exact).to.include({ rowCount: 3, truncated: false });
    });

    it('a missing table is { configured: false, reason }', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(
        execution('FAILED', {
          Status: {
            State: 'FAILED',
            StateChangeReason:
              "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.cloudtrail_logs_pp' does not exist",
            AthenaError: { ErrorCategory: 2, ErrorType: 1301 },
          },
        }),
      );
      const out = await query.run(makeCtx(), { ...baseInput, query: 'SELECT * FROM cloudtrail_logs_pp' }, undefined);
      expect(out.configured).to.equal(false);
      expect(out.reason).to.contain('does not exist');
      expect(athena.commandCalls(GetQueryResultsCommand)).to.have.length(0);
    });

    it('another failure is IRUN_ATHENA_QUERY_FAILED with the reason', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(
        execution('FAILED', {
          Status: { State: 'FAILED', StateChangeReason: 'SYNTAX_ERROR: line 1:8: Column x cannot be resolved' },
        }),
      );
      const err = await query
        .run(makeCtx(), { ...baseInput, query: 'SELECT x FROM t' }, undefined)
        .catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_ATHENA_QUERY_FAILED');
      expect((err as Error).message).to.contain('Column x cannot be resolved');
    });

    it('stops the query when it does not finish within the timeout', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
      athena.on(StopQueryExecutionCommand).resolves({});
      const ctx = makeCtx({ now: new Date('2024-05-01T00:00:00Z') });
      const slept = fastSleep(ctx);
      const err = await query
        .run(ctx, { ...baseInput, query: 'SELECT 1', timeout: 10 }, undefined)
        .catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_TIMEOUT');
      expect(athena.commandCalls(StopQueryExecutionCommand)[0].args[0].input).to.deep.equal({
        QueryExecutionId: 'q-1',
      });
      expect(slept.reduce((x, y) => x + y, 0)).to.be.at.most(10000);
    });

    it('stops the query when the step is cancelled', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
      athena.on(StopQueryExecutionCommand).resolves({});
      const ctx = makeCtx();
      ctx.sleep = async () => {
        ctx.controller.abort(new Error('cancelled'));
        throw new Error('cancelled');
      };
      const err = await query.run(ctx, { ...baseInput, query: 'SELECT 1' }, undefined).catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_ABORTED');
      expect(athena.commandCalls(StopQueryExecutionCommand)).to.have.length(1);
    });

    it('refuses DDL and DML writes, and a parameter count that does not match, without calling AWS', async () => {
      for (const sql of [
        'DROP TABLE t',
        'CREATE EXTERNAL TABLE t (a string)',
        "INSERT INTO t VALUES ('x')",
        '-- note\nMSCK REPAIR TABLE t',
      ]) {
        const err = await query.run(makeCtx(), { ...baseInput, query: sql }, undefined).catch((e: unknown) => e);
        expect((err as IrunError).code, sql).to.equal('IRUN_INPUT_INVALID');
      }
      const err = await query
        .run(makeCtx(), { ...baseInput, query: 'SELECT * FROM t WHERE a = ?', parameters: [] }, undefined)
        .catch((e: unknown) => e);
      expect((err as Error).message).to.contain('1 ');
      expect(athena.calls()).to.have.length(0);
    });

    it('maps AccessDenied on StartQueryExecution with the request id', async () => {
      athena.on(StartQueryExecutionCommand).rejects(
        Object.assign(new Error('not authorized'), {
          name: 'AccessDeniedException',
          $metadata: { requestId: 'r-8', httpStatusCode: 400 },
          $fault: 'client',
        }),
      );
      const err = await query.run(makeCtx(), { ...baseInput, query: 'SELECT 1' }, undefined).catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect((err as IrunError).details?.requestId).to.equal('r-8');
    });

    it('helpers: parameter rendering, placeholder counting, read-only detection', () => {
      expect(renderParameter("O'Brien's")).to.equal("'O''Brien''s'");
      expect(renderParameter(-1.5)).to.equal('-1.5');
      expect(() => renderParameter('a\u0000b')).to.throw(/NUL/);
      expect(renderParameter(false)).to.equal('false');
      expect(() => renderParameter(Number.NaN)).to.throw(IrunError);
      expect(
        countPlaceholders("SELECT '?', \"a?\" FROM t -- ?\nWHERE x = ? /* ? */ AND y = 'it''s?' AND z = ?"),
      ).to.equal(2);
      expect(isReadStatement('/* c */ WITH a AS (SELECT 1) SELECT * FROM a')).to.equal(true);
      expect(isReadStatement('  select 1')).to.equal(true);
      expect(isReadStatement('DROP TABLE x')).to.equal(false);
    });
  });

  describe('cloudTrailDataEvents', () => {
    const now = new Date('2024-05-07T12:00:00Z');
    const t = { database: 'default', table: 'cloudtrail_logs_pp' };

    it('builds Q1–Q4 with values only as parameters and the "timestamp" partition always pruned', () => {
      const q1 = dataEventsQuery(
        { ...t, mode: 'objectKey', value: "secret/it's.txt", bucket: 'bucket-1', since: '2024-05-01T00:00:00Z' },
        now,
      );
      expect(q1.query).to.contain('FROM "default"."cloudtrail_logs_pp"');
      expect(q1.query).to.contain("json_extract_scalar(requestparameters, '$.key') = ?");
      expect(q1.query).to.not.contain('secret');
      expect(q1.parameters).to.deep.equal([
        "secret/it's.txt",
        'bucket-1',
        '2024-05-01T00:00:00Z',
        '2024-05-07T12:00:00Z',
        '2024/05/01',
        '2024/05/07',
      ]);
      expect(countPlaceholders(q1.query)).to.equal(q1.parameters.length);
      for (const mode of ['accessKey', 'principalReads', 'anonymousReads'] as const) {
        const q = dataEventsQuery(
          {
            ...t,
            mode,
            value: mode === 'anonymousReads' ? undefined : 'AKIAIOSFODNN7EXAMPLE',
            since: '2024-05-06T23:00:00+02:00',
            until: '2024-05-07T01:00:00Z',
          },
          now,
        );
        expect(q.query, mode).to.match(/"timestamp" BETWEEN \? AND \?/);
        expect(q.parameters.slice(-2), mode).to.deep.equal(['2024/05/06', '2024/05/07']);
        expect(countPlaceholders(q.query), mode).to.equal(q.parameters.length);
      }
      expect(
        dataEventsQuery(
          { ...t, mode: 'principalReads', value: 'arn:aws:iam::1:role/x', since: '2024-05-01T00:00:00Z' },
          now,
        ).query,
      ).to.contain("eventname = 'GetObject'");
      expect(dataEventsQuery({ ...t, mode: 'anonymousReads', since: '2024-05-01T00:00:00Z' }, now).query).to.contain(
        "useridentity.accountid = 'anonymous' AND useridentity.arn IS NULL".replace(' AND ', '\n  AND '),
      );
    });

    it('rejects a table name that is not an identifier, a missing value, and since after until', () => {
      expect(() =>
        dataEventsQuery(
          { database: 'default', table: 'x"; DROP TABLE y; --', mode: 'anonymousReads', since: '2024-05-01T00:00:00Z' },
          now,
        ),
      ).to.throw(IrunError, /table/);
      expect(() => dataEventsQuery({ ...t, mode: 'accessKey', since: '2024-05-01T00:00:00Z' }, now)).to.throw(
        IrunError,
        /needs value/,
      );
      expect(() => dataEventsQuery({ ...t, mode: 'anonymousReads', since: '2024-05-08T00:00:00Z' }, now)).to.throw(
        IrunError,
        /after/,
      );
    });

    it('runs the built query through Athena with rendered parameters', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
      athena.on(GetQueryResultsCommand).resolves(page([row('eventtime', 'eventname')]));
      const out = await cloudTrailDataEvents.run(
        makeCtx({ now }),
        { ...t, mode: 'accessKey', value: 'AKIAIOSFODNN7EXAMPLE', since: '2024-05-01T00:00:00Z', workgroup: 'primary' },
        undefined,
      );
      const start = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
      expect(start.ExecutionParameters).to.deep.equal([
        "'AKIAIOSFODNN7EXAMPLE'",
        "'2024-05-01T00:00:00Z'",
        "'2024-05-07T12:00:00Z'",
        "'2024/05/01'",
        "'2024/05/07'",
      ]);
      expect(start.QueryString).to.contain('useridentity.accesskeyid = ?');
      expect(start.QueryExecutionContext).to.deep.equal({ Database: 'default' });
      expect(out).to.include({ configured: true, rowCount: 0 });
      expect(out.query).to.equal(start.QueryString);
    });
  });

  describe('ensureCloudTrailTable', () => {
    const input = {
      database: 'default',
      table: 'cloudtrail_logs_pp',
      trailBucket: 'org-trail-logs',
      accountId: '111122223333',
      region: 'eu-west-1',
      workgroup: 'primary',
    };
    const missing = () =>
      new MetadataException({
        message: 'Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException)',
        $metadata: { httpStatusCode: 400 },
      });

    it('the DDL is the partition-projection table over the trail location', () => {
      const ddl = cloudTrailTableDdl({ ...input, prefix: 'trails/main', organizationId: 'o-abcdefghij' });
      expect(ddl).to.match(/^CREATE EXTERNAL TABLE `default`\.`cloudtrail_logs_pp`\(/);
      expect(ddl).to.contain(
        "LOCATION 's3://org-trail-logs/trails/main/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1'",
      );
      expect(ddl).to.contain(
        "'storage.location.template'='s3://org-trail-logs/trails/main/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/${timestamp}'",
      );
      expect(ddl).to.contain("'projection.timestamp.range'='2020/01/01,NOW'");
      expect(ddl).to.contain('PARTITIONED BY (`timestamp` string)');
      expect(ddl).to.contain('ec2roledelivery:string');
      for (const bad of [
        { trailBucket: "b'); DROP" },
        { accountId: '12345' },
        { region: 'eu west 1' },
        { table: 'a-b' },
        { prefix: '../x' },
        { prefix: "a'b" },
      ]) {
        expect(() => cloudTrailTableDdl({ ...input, ...bad }), JSON.stringify(bad)).to.throw(IrunError);
      }
    });

    it('creates the table when it is absent; undo drops it', async () => {
      athena
        .on(GetTableMetadataCommand)
        .rejectsOnce(missing())
        .resolves({
          TableMetadata: {
            Name: 'cloudtrail_logs_pp',
            Parameters: { location: 's3://org-trail-logs/AWSLogs/111122223333/CloudTrail/eu-west-1' },
          },
        });
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-ddl' });
      athena
        .on(GetQueryExecutionCommand)
        .resolves(execution('SUCCEEDED', { QueryExecutionId: 'q-ddl', StatementType: 'DDL' }));
      athena.on(GetQueryResultsCommand).resolves(page([], undefined, []));
      const ctx = makeCtx();
      const before = await ensureCloudTrailTable.capture!(ctx, input);
      expect(before.exists).to.equal(false);
      const plan = await ensureCloudTrailTable.preview!(ctx, input, before);
      expect(plan.noop).to.equal(false);
      expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(0);
      const output = await ensureCloudTrailTable.run(ctx, input, before);
      expect(output).to.include({ changed: true, created: true, queryExecutionId: 'q-ddl' });
      expect(output.after.exists).to.equal(true);
      const ddl = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
      expect(ddl.QueryString).to.match(/^CREATE EXTERNAL TABLE `default`\.`cloudtrail_logs_pp`/);
      expect(ddl).to.not.have.property('ExecutionParameters');
      expect(ctx.saved.map((s) => s.name)).to.include.members(['athena-table-before', 'athena-table-after']);
      await ensureCloudTrailTable.undo!(ctx, input, before, output);
      expect(athena.commandCalls(StartQueryExecutionCommand)[1].args[0].input.QueryString).to.equal(
        'DROP TABLE IF EXISTS `default`.`cloudtrail_logs_pp`',
      );
    });

    it('changes nothing when the table exists, and undo then drops nothing', async () => {
      athena.on(GetTableMetadataCommand).resolves({ TableMetadata: { Name: 'cloudtrail_logs_pp' } });
      const ctx = makeCtx();
      const before = await ensureCloudTrailTable.capture!(ctx, input);
      expect((await ensureCloudTrailTable.preview!(ctx, input, before)).noop).to.equal(true);
      const output = await ensureCloudTrailTable.run(ctx, input, before);
      expect(output).to.include({ changed: false, created: false });
      await ensureCloudTrailTable.undo!(ctx, input, before, output);
      expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(0);
    });

    it('under dry-run the DDL is blocked before the client', async () => {
      athena.on(GetTableMetadataCommand).rejects(missing());
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-ddl' });
      const ctx = makeCtx({ dryRun: true });
      const before = await ensureCloudTrailTable.capture!(ctx, input);
      const err = await ensureCloudTrailTable.run(ctx, input, before).catch((e: unknown) => e);
      expect((err as IrunError).code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(0);
    });

    it('validates names before any AWS call', async () => {
      const err = await ensureCloudTrailTable.capture!(makeCtx(), { ...input, trailBucket: 'Bad_Bucket' }).catch(
        (e: unknown) => e,
      );
      expect((err as IrunError).code).to.equal('IRUN_INPUT_INVALID');
      expect(athena.calls()).to.have.length(0);
    });
  });
});
