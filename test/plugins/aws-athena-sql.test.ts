/**
 * Athena SQL by table: the exact text and parameters of the data-event queries (values only ever
 * as parameters), the trail location, comment stripping, placeholder counting outside literals
 * and comments, and parameter rendering.
 */
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import { countPlaceholders, renderParameter, stripLeadingComments } from '../../plugins/aws-athena/query.js';
import { cloudTrailLocation, dataEventsQuery, dropTableDdl, partitionDay } from '../../plugins/aws-athena/sql.js';

const COLUMNS =
  'eventtime, eventname, eventsource, useridentity.type AS identity_type, useridentity.arn AS principal_arn, ' +
  'useridentity.accountid AS account_id, useridentity.accesskeyid AS access_key_id, ' +
  'useridentity.sessioncontext.ec2roledelivery AS ec2_role_delivery, sourceipaddress, useragent, errorcode, ' +
  "json_extract_scalar(requestparameters, '$.bucketName') AS bucket, " +
  "json_extract_scalar(requestparameters, '$.key') AS object_key";

const NOW = new Date('2026-12-02T18:30:00.123Z');
const base = { database: 'irun', table: 'cloudtrail_logs', since: '2026-11-30T09:05:00Z' };

function expectQuery(where: string[]) {
  return `SELECT ${COLUMNS}\nFROM "irun"."cloudtrail_logs"\nWHERE ${where.join('\n  AND ')}\nORDER BY eventtime`;
}

const rejects = (f: () => unknown, re: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'throws').to.be.instanceOf(IrunError);
  expect((err as IrunError).code).to.equal('IRUN_INPUT_INVALID');
  expect((err as IrunError).message).to.match(re);
};

describe('Athena SQL: data-event queries, exactly', () => {
  const tail = ['eventtime BETWEEN ? AND ?', '"timestamp" BETWEEN ? AND ?'];
  const times = ['2026-11-30T09:05:00Z', '2026-12-02T18:30:00Z', '2026/11/30', '2026/12/02'];
  const cases: { mode: string; value?: string; bucket?: string; where: string[]; params: string[] }[] = [
    {
      mode: 'objectKey',
      value: "secret/it's.txt",
      where: ["json_extract_scalar(requestparameters, '$.key') = ?"],
      params: ["secret/it's.txt"],
    },
    {
      mode: 'accessKey',
      value: 'AKIAIOSFODNN7EXAMPLE',
      bucket: 'incident-logs',
      where: ['useridentity.accesskeyid = ?', "json_extract_scalar(requestparameters, '$.bucketName') = ?"],
      params: ['AKIAIOSFODNN7EXAMPLE', 'incident-logs'],
    },
    {
      mode: 'principalReads',
      value: 'arn:aws:iam::111122223333:role/x',
      where: ["eventname = 'GetObject'", 'useridentity.arn = ?'],
      params: ['arn:aws:iam::111122223333:role/x'],
    },
    {
      mode: 'anonymousReads',
      where: ["useridentity.accountid = 'anonymous'", 'useridentity.arn IS NULL'],
      params: [],
    },
  ];
  for (const c of cases) {
    it(`${c.mode}: the query text and its parameters`, () => {
      const q = dataEventsQuery(
        {
          ...base,
          mode: c.mode as 'objectKey',
          ...(c.value ? { value: c.value } : {}),
          ...(c.bucket ? { bucket: c.bucket } : {}),
        },
        NOW,
      );
      expect(q.query).to.equal(expectQuery(["eventsource = 's3.amazonaws.com'", ...c.where, ...tail]));
      expect(q.parameters).to.deep.equal([...c.params, ...times]);
    });
  }

  it('until given: it bounds the times; since equal to until is allowed, after it is not', () => {
    const q = dataEventsQuery({ ...base, mode: 'anonymousReads', until: '2026-11-30T09:05:00.999Z' }, NOW);
    expect(q.parameters).to.deep.equal(['2026-11-30T09:05:00Z', '2026-11-30T09:05:00Z', '2026/11/30', '2026/11/30']);
    rejects(
      () => dataEventsQuery({ ...base, mode: 'anonymousReads', until: '2026-11-30T09:04:59Z' }, NOW),
      /since \(2026-11-30T09:05:00Z\) is after until \(2026-11-30T09:04:59Z\)/,
    );
  });

  it('refuses a missing value, a bad date, a bad bucket, an unknown mode and a bad table name', () => {
    rejects(
      () => dataEventsQuery({ ...base, mode: 'objectKey' }, NOW),
      /^mode objectKey needs value \(the object key\)$/,
    );
    rejects(() => dataEventsQuery({ ...base, mode: 'accessKey', value: '' }, NOW), /needs value \(the access key id\)/);
    rejects(() => dataEventsQuery({ ...base, mode: 'principalReads' }, NOW), /needs value \(the principal ARN\)/);
    rejects(
      () => dataEventsQuery({ ...base, since: 'yesterday', mode: 'anonymousReads' }, NOW),
      /^since "yesterday" is not a date-time$/,
    );
    rejects(
      () => dataEventsQuery({ ...base, mode: 'anonymousReads', bucket: 'Bad_Bucket' }, NOW),
      /^bucket "Bad_Bucket" is not a valid bucket/,
    );
    rejects(() => dataEventsQuery({ ...base, mode: 'nope' as 'objectKey' }, NOW), /^unknown mode nope$/);
    rejects(
      () => dataEventsQuery({ ...base, table: 'x"; DROP TABLE y; --', mode: 'anonymousReads' }, NOW),
      /^table .* is not a valid identifier/,
    );
  });

  it('partition days are UTC yyyy/MM/dd with zero padding', () => {
    expect(partitionDay(new Date('2026-01-05T23:59:59Z'))).to.equal('2026/01/05');
  });
});

describe('Athena SQL: trail location and DDL', () => {
  const spec = {
    database: 'irun',
    table: 'ct',
    trailBucket: 'trail-bucket',
    accountId: '111122223333',
    region: 'eu-west-1',
  };
  it('s3://bucket/[prefix/]AWSLogs/[org/]account/CloudTrail/region, prefix slashes trimmed', () => {
    expect(cloudTrailLocation(spec)).to.equal('s3://trail-bucket/AWSLogs/111122223333/CloudTrail/eu-west-1');
    expect(cloudTrailLocation({ ...spec, prefix: '//logs/ct//', organizationId: 'o-abcdefghij' })).to.equal(
      's3://trail-bucket/logs/ct/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1',
    );
    rejects(
      () => cloudTrailLocation({ ...spec, prefix: 'logs/../other' }),
      /^prefix "logs\/..\/other" is not a valid prefix/,
    );
    rejects(() => cloudTrailLocation({ ...spec, accountId: '1234' }), /^accountId "1234" is not a valid accountId/);
    rejects(() => cloudTrailLocation({ ...spec, region: 'moon' }), /^region "moon" is not a valid region/);
  });
  it('DROP TABLE names a validated database and table', () => {
    expect(dropTableDdl('irun', 'ct')).to.equal('DROP TABLE IF EXISTS `irun`.`ct`');
    rejects(() => dropTableDdl('irun', 'ct`; DROP'), /^table .* is not a valid identifier/);
    rejects(() => dropTableDdl('1db', 'ct'), /^database "1db" is not a valid identifier/);
  });
});

describe('Athena SQL: comments, placeholders and parameters', () => {
  it('leading whitespace and comments are stripped, nothing else', () => {
    const table: [string, string][] = [
      ['  SELECT 1', 'SELECT 1'],
      ['-- note\nSELECT 1', 'SELECT 1'],
      ['-- only a comment', ''],
      ['/* a */ /* b */\n-- c\n  DROP TABLE t', 'DROP TABLE t'],
      ['/* never closed', ''],
      ['SELECT 1 -- trailing', 'SELECT 1 -- trailing'],
      ['SELECT /* inside */ 1', 'SELECT /* inside */ 1'],
      ['- 1', '- 1'],
      ['/ 2', '/ 2'],
    ];
    for (const [sql, want] of table) expect(stripLeadingComments(sql), JSON.stringify(sql)).to.equal(want);
  });

  it('counts ? outside string literals, quoted identifiers and comments', () => {
    const table: [string, number][] = [
      ['SELECT ?', 1],
      ['SELECT ? , ?', 2],
      ["SELECT '?' , ?", 1],
      ["SELECT 'it''s ?' , ?", 1],
      ['SELECT "col?" , `x?` , ?', 1],
      ['SELECT 1 -- ?\n, ?', 1],
      ['SELECT 1 -- ? to the end', 0],
      ['SELECT /* ? */ ?', 1],
      ['SELECT /* ? never closed', 0],
      ["SELECT 'never closed ?", 0],
      ['SELECT 1 - ?', 1],
      ['SELECT 4 / ?', 1],
      ['SELECT ?-?', 2],
      ['?', 1],
    ];
    for (const [sql, n] of table) expect(countPlaceholders(sql), JSON.stringify(sql)).to.equal(n);
  });

  it('renders each parameter as a literal, and refuses what cannot be one', () => {
    expect(renderParameter('')).to.equal("''");
    expect(renderParameter("a'b")).to.equal("'a''b'");
    expect(renderParameter(42)).to.equal('42');
    expect(renderParameter(true)).to.equal('true');
    expect(renderParameter(false)).to.equal('false');
    rejects(() => renderParameter('a\u0000'), /^query parameter contains a NUL character$/);
    rejects(() => renderParameter(Number.POSITIVE_INFINITY), /^query parameter Infinity is not a finite number$/);
    rejects(
      () => renderParameter(null as unknown as string),
      /^query parameters must be strings, numbers or booleans \(got object\)$/,
    );
  });
});
