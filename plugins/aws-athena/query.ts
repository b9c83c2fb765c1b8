/**
 * Running one Athena statement: StartQueryExecution, poll GetQueryExecution with backoff (bounded
 * by a timeout; StopQueryExecution on timeout or abort), then page through GetQueryResults into
 * rows keyed by column. Values reach the SQL only through ExecutionParameters.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { client, send, toIrunError } from '../aws-common/index.js';

export type SqlParameter = string | number | boolean;

export interface QueryInput {
  /** SQL with positional `?` placeholders. */
  query: string;
  parameters?: SqlParameter[];
  database: string;
  catalog?: string;
  workgroup?: string;
  /** s3://bucket/prefix/ for the results (else the workgroup's setting). */
  outputLocation?: string;
  /** Seconds to wait for the query before stopping it (default 300). */
  timeout?: number;
  /** Rows to return at most (default 10000); more are reported as `truncated: true`. */
  maxRows?: number;
  /** Region of Athena (default: the step region). */
  region?: string;
}

export interface QueryResult {
  configured: true;
  queryExecutionId: string;
  state: string;
  stateChangeReason?: string;
  statementType?: string;
  dataScannedBytes: number;
  outputLocation?: string;
  columns: string[];
  rows: Record<string, string | null>[];
  rowCount: number;
  truncated: boolean;
}

export interface QueryNotConfigured {
  configured: false;
  reason: string;
  queryExecutionId?: string;
  state?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_MAX_ROWS = 10000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 5000;

/** Athena's ways of saying that a table (or its database) does not exist. */
const MISSING_TABLE = /does not exist|TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|EntityNotFoundException|Table not found/i;

export function isMissingTable(message: string | undefined): boolean {
  return !!message && MISSING_TABLE.test(message);
}

/** Render one execution parameter: strings as quoted, escaped literals; numbers and booleans as is. */
export function renderParameter(v: SqlParameter): string {
  if (typeof v === 'string') {
    // Same rule as the sqlString template helper: a NUL has no place in a SQL literal.
    if (v.includes('\u0000')) throw new IrunError(Codes.INPUT_INVALID, 'query parameter contains a NUL character');
    return `'${v.replaceAll("'", "''")}'`;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new IrunError(Codes.INPUT_INVALID, `query parameter ${v} is not a finite number`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new IrunError(Codes.INPUT_INVALID, `query parameters must be strings, numbers or booleans (got ${typeof v})`);
}

/** The SQL without leading whitespace and comments (`-- …` lines and block comments). */
export function stripLeadingComments(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('--')) {
      const nl = t.indexOf('\n');
      s = nl < 0 ? '' : t.slice(nl + 1);
    } else if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else return t;
  }
}

/** Statements that only read; anything else (CREATE, DROP, INSERT, MSCK, ...) changes data or the catalog. */
const READ_STATEMENT = /^(\(\s*)?(SELECT|WITH|SHOW|DESCRIBE|EXPLAIN|VALUES)\b/i;

export function isReadStatement(sql: string): boolean {
  return READ_STATEMENT.test(stripLeadingComments(sql));
}

/** Number of `?` placeholders outside string literals, quoted identifiers and comments. */
export function countPlaceholders(sql: string): number {
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = sql.indexOf(ch, i + 1);
      // a doubled quote inside a literal is an escaped quote: the scan simply re-enters the literal
      i = end < 0 ? sql.length : end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '?') n++;
  }
  return n;
}

async function athena(
  ctx: ActionContext,
  region?: string,
): Promise<{ c: AthenaClient; m: typeof import('@aws-sdk/client-athena') }> {
  const m = await import('@aws-sdk/client-athena');
  return { c: await client(ctx, m.AthenaClient, { region }), m };
}

interface Execution {
  QueryExecutionId?: string;
  StatementType?: string;
  ResultConfiguration?: { OutputLocation?: string };
  Status?: {
    State?: string;
    StateChangeReason?: string;
    AthenaError?: { ErrorCategory?: number; ErrorType?: number; ErrorMessage?: string; Retryable?: boolean };
  };
  Statistics?: { DataScannedInBytes?: number; EngineExecutionTimeInMillis?: number };
}

/**
 * Run one statement and return its rows. `allowDdl` lets the DDL actions (ensureCloudTrailTable
 * and its undo) through; the query action refuses anything but reads.
 */
export async function executeQuery(
  ctx: ActionContext,
  input: QueryInput,
  options: { allowDdl?: boolean } = {},
): Promise<QueryResult | QueryNotConfigured> {
  const sql = stripLeadingComments(input.query);
  if (!options.allowDdl && !isReadStatement(sql)) {
    throw new IrunError(
      Codes.INPUT_INVALID,
      `aws.athena.query runs read-only statements (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN); got "${sql.slice(0, 40)}…"`,
      {
        suggestions: ['Create the CloudTrail table with aws.athena.ensureCloudTrailTable.'],
      },
    );
  }
  const params = input.parameters ?? [];
  const placeholders = countPlaceholders(sql);
  if (placeholders !== params.length) {
    throw new IrunError(
      Codes.INPUT_INVALID,
      `the query has ${placeholders} '?' placeholder(s) but ${params.length} parameter(s) were given`,
    );
  }
  const rendered = params.map(renderParameter);
  const maxRows = input.maxRows ?? DEFAULT_MAX_ROWS;
  const timeoutMs = (input.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const { c, m } = await athena(ctx, input.region);

  let id: string;
  try {
    const started = await c.send(
      new m.StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: input.database, ...(input.catalog ? { Catalog: input.catalog } : {}) },
        ...(input.outputLocation ? { ResultConfiguration: { OutputLocation: input.outputLocation } } : {}),
        ...(input.workgroup ? { WorkGroup: input.workgroup } : {}),
        ...(rendered.length ? { ExecutionParameters: rendered } : {}),
      }),
      { abortSignal: ctx.signal },
    );
    id = started.QueryExecutionId ?? '';
  } catch (err) {
    const e = toIrunError(err, 'StartQueryExecution');
    if (isMissingTable(e.details?.awsMessage as string | undefined))
      return { configured: false, reason: String(e.details?.awsMessage) };
    throw e;
  }

  const stop = async (why: string) => {
    try {
      // Not with ctx.signal: it may be the reason we are stopping.
      await c.send(new m.StopQueryExecutionCommand({ QueryExecutionId: id }));
      ctx.log.warn(`stopped Athena query ${id}: ${why}`);
    } catch (err) {
      ctx.log.warn(`could not stop Athena query ${id}: ${(err as Error).message}`);
    }
  };

  let exec: Execution;
  const startedAt = ctx.now().getTime();
  let slept = 0;
  let delay = FIRST_DELAY_MS;
  try {
    for (;;) {
      const out = await send<{ QueryExecution?: Execution }>(
        c,
        new m.GetQueryExecutionCommand({ QueryExecutionId: id }),
        ctx,
      );
      exec = out?.QueryExecution ?? {};
      const state = exec.Status?.State ?? 'UNKNOWN';
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') break;
      const scanned = exec.Statistics?.DataScannedInBytes ?? 0;
      ctx.progress({
        message: `Athena query ${id}: ${state}${scanned ? `, ${(scanned / 1e6).toFixed(1)} MB scanned` : ''}`,
      });
      const elapsed = Math.max(slept, ctx.now().getTime() - startedAt);
      if (elapsed + delay > timeoutMs) {
        await stop(`no result after ${Math.round(timeoutMs / 1000)} s`);
        throw new IrunError(
          Codes.TIMEOUT,
          `Athena query ${id} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`,
          {
            details: { queryExecutionId: id, state },
            suggestions: ['Narrow the time window ("timestamp" partitions) or raise timeout.'],
          },
        );
      }
      await ctx.sleep(delay);
      slept += delay;
      delay = Math.min(Math.round(delay * 1.5), MAX_DELAY_MS);
    }
  } catch (err) {
    if (err instanceof IrunError && err.code === Codes.TIMEOUT) throw err;
    await stop(ctx.signal.aborted ? 'the step was cancelled' : 'polling failed');
    if (ctx.signal.aborted)
      throw new IrunError(Codes.ABORTED, `Athena query ${id} was cancelled and stopped`, {
        cause: err,
        details: { queryExecutionId: id },
      });
    throw err;
  }

  const state = exec.Status?.State ?? 'UNKNOWN';
  const reason = exec.Status?.StateChangeReason ?? exec.Status?.AthenaError?.ErrorMessage;
  if (state !== 'SUCCEEDED') {
    const text = [exec.Status?.StateChangeReason, exec.Status?.AthenaError?.ErrorMessage].filter(Boolean).join(' ');
    if (state === 'FAILED' && isMissingTable(text))
      return { configured: false, reason: reason ?? 'table does not exist', queryExecutionId: id, state };
    throw new IrunError(Codes.ATHENA_QUERY_FAILED, `Athena query ${id} ${state}${reason ? `: ${reason}` : ''}`, {
      details: {
        queryExecutionId: id,
        state,
        stateChangeReason: exec.Status?.StateChangeReason,
        athenaError: exec.Status?.AthenaError,
      },
    });
  }

  const statementType = exec.StatementType;
  const columns: string[] = [];
  const rows: Record<string, string | null>[] = [];
  let truncated = false;
  let first = true;
  try {
    const pageSize = Math.min(1000, maxRows + 1);
    outer: for await (const page of m.paginateGetQueryResults(
      { client: c, pageSize },
      { QueryExecutionId: id },
      { abortSignal: ctx.signal },
    )) {
      if (first)
        for (const col of page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [])
          columns.push(col.Name ?? `_col${columns.length}`);
      let data = page.ResultSet?.Rows ?? [];
      // SELECT results repeat the column names as row 0 of the first page only.
      if (first && statementType === 'DML') data = data.slice(1);
      first = false;
      for (const row of data) {
        if (rows.length >= maxRows) {
          truncated = true;
          break outer;
        }
        const cells = row.Data ?? [];
        rows.push(Object.fromEntries(columns.map((col, i) => [col, cells[i]?.VarCharValue ?? null])));
      }
    }
  } catch (err) {
    throw toIrunError(err, 'GetQueryResults');
  }

  const result: QueryResult = {
    configured: true,
    queryExecutionId: id,
    state,
    ...(exec.Status?.StateChangeReason ? { stateChangeReason: exec.Status.StateChangeReason } : {}),
    ...(statementType ? { statementType } : {}),
    dataScannedBytes: exec.Statistics?.DataScannedInBytes ?? 0,
    ...(exec.ResultConfiguration?.OutputLocation ? { outputLocation: exec.ResultConfiguration.OutputLocation } : {}),
    columns,
    rows,
    rowCount: rows.length,
    truncated,
  };
  await ctx.evidence.save(`athena-query-${id}`, {
    queryExecutionId: id,
    query: sql,
    parameters: rendered,
    database: input.database,
    state,
    statementType,
    dataScannedBytes: result.dataScannedBytes,
    outputLocation: result.outputLocation,
    rowCount: rows.length,
    truncated,
  });
  return result;
}
