/**
 * Dry-run safety, enforced by the shared AWS layer: every mutating AWS action of the registry,
 * run under dry-run with its example input, sends no mutating command to any SDK client. What is
 * a read is decided by the hand-written table in test/helpers/aws-commands.ts, never by the
 * guard under test.
 */
import { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { Macie2Client } from '@aws-sdk/client-macie2';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { STSClient } from '@aws-sdk/client-sts';
import { expect } from 'chai';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { Registry } from '../../engine/plugins/registry.js';
import { READS } from '../helpers/aws-commands.js';
import { makeCtx } from '../helpers/ctx.js';

const READ_NAMES = new Set(Object.values(READS).flat());

/**
 * A statement that reads only, by a rule written for this test: it starts with a read keyword
 * and names no statement that writes anywhere in it (stricter than the guard, on purpose).
 */
function readOnlySql(sql: string): boolean {
  const writes = /\b(CREATE|INSERT|DROP|ALTER|MSCK|DELETE|UPDATE|MERGE|UNLOAD|OPTIMIZE|VACUUM)\b/i;
  return /^[\s(]*(SELECT|WITH|SHOW|DESCRIBE|EXPLAIN|VALUES)\b/i.test(sql) && !writes.test(sql);
}

function isRead(cmd: { constructor: { name: string }; input?: unknown }): boolean {
  const name = cmd.constructor.name.replace(/Command$/, '');
  if (name === 'StartQueryExecution') return readOnlySql((cmd.input as { QueryString?: string })?.QueryString ?? '');
  return READ_NAMES.has(name);
}

const CLIENTS = [
  AccessAnalyzerClient,
  AthenaClient,
  CloudTrailClient,
  EC2Client,
  IAMClient,
  Macie2Client,
  S3Client,
  S3ControlClient,
  STSClient,
];

describe('dry-run: no mutating command reaches AWS, for every mutating action', function () {
  this.timeout(60_000);

  const mocks: AwsStub<any, any, any>[] = [];

  before(() => {
    for (const C of CLIENTS) mocks.push(mockClient(C as never));
  });
  beforeEach(() => {
    for (const m of mocks) {
      m.reset();
      m.onAnyCommand().resolves({});
    }
  });
  after(() => {
    for (const m of mocks) m.restore();
  });

  it('capture, preview and run under dry-run send reads only', async () => {
    const registry = new Registry();
    const mutating = (await registry.all()).filter((a) => a.namespace.startsWith('aws.') && a.def.effect === 'mutate');
    expect(mutating.length).to.be.greaterThan(20);
    const report: string[] = [];
    let blocked = 0;
    for (const a of mutating) {
      expect(a.def.example, `${a.id} has an example input`).to.not.equal(undefined);
      const ctx = makeCtx({ dryRun: true, aws: { region: 'us-east-1', accountId: '111122223333' } });
      let before: unknown;
      try {
        before = a.def.capture ? await a.def.capture(ctx, a.def.example) : undefined;
        if (a.def.preview) await a.def.preview(ctx, a.def.example, before);
      } catch {
        // generic empty answers may not satisfy every reader: what matters is what was sent
      }
      let runError: { code?: string } | undefined;
      try {
        await a.def.run(ctx, a.def.example, before);
      } catch (e) {
        runError = e as { code?: string };
      }
      const sent = mocks.flatMap((m) =>
        m.calls().map((c) => c.args[0] as { constructor: { name: string }; input?: unknown }),
      );
      const writes = sent.filter((cmd) => !isRead(cmd)).map((cmd) => cmd.constructor.name);
      if (writes.length) report.push(`${a.id}: ${writes.join(', ')}`);
      // (with empty answers some actions find nothing to change and send nothing at all)
      if (runError?.code === 'IRUN_DRY_RUN_BLOCKED') blocked++;
      for (const m of mocks) m.resetHistory();
    }
    expect(report, 'mutating commands that reached a client under dry-run').to.deep.equal([]);
    // the guard really stood in the way of most of them (the check is not vacuous)
    expect(blocked).to.be.greaterThan(mutating.length / 3);
  });
});
