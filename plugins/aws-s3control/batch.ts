/**
 * S3 Batch Operations for ACL resets too large for one machine (DESIGN.md §7 "Scale"):
 * CreateJob with a CSV manifest (Bucket,Key,VersionId) and an S3PutObjectAcl operation that
 * leaves the bucket owner alone with FULL_CONTROL, then DescribeJob until the job ends.
 *
 * `runAclJob` is the implementation shared with aws.s3.resetObjectAcls' hand-off.
 */
import { createHash } from 'node:crypto';
import type { JobDescriptor, JobStatus } from '@aws-sdk/client-s3-control';
import { Codes, IrunError } from '../../engine/errors.js';
import { defineAction, type ActionContext, type ActionDefinition, type JsonSchema } from '../../engine/plugins/api.js';
import { resolveAccountId } from './account.js';
import { client, plain, send } from '../aws-common/index.js';
import { bucketOwnerId } from '../aws-s3/acl.js';
import { bucketRegion, s3For } from '../aws-s3/common.js';

const BUCKET = { type: 'string', minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' };

/** Job states after which DescribeJob will not change any more (Suspended waits for a human). */
const FINAL: ReadonlySet<string> = new Set<JobStatus>(['Complete', 'Failed', 'Cancelled', 'Suspended']);

export interface AclJobParams {
  /** Account that owns the job; else ctx.aws.accountId, else STS GetCallerIdentity. */
  accountId?: string;
  /** Role S3 Batch Operations assumes (trusts batchoperations.s3.amazonaws.com). */
  roleArn: string;
  /** Bucket whose objects the manifest lists (sets the job's region and the owner id). */
  bucket: string;
  region?: string;
  manifest: { bucket: string; key: string; etag?: string };
  reportBucket?: string;
  reportPrefix?: string;
  priority?: number;
  /** Canonical id that gets FULL_CONTROL; else the bucket owner from GetBucketAcl. */
  ownerId?: string;
  /** Poll DescribeJob until the job ends (default true). */
  wait?: boolean;
  pollSeconds?: number;
  description?: string;
}

export interface AclJobResult {
  jobId: string;
  accountId: string;
  region: string;
  clientRequestToken: string;
  status: string;
  manifest: { objectArn: string; etag: string };
  report: { bucket: string; prefix: string } | null;
  progress?: { total?: number; succeeded?: number; failed?: number };
  failureReasons?: { code?: string; reason?: string }[];
  statusUpdateReason?: string;
  waited: boolean;
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Same run + step -> same token, so a retried or resumed step does not start a second job. */
export function jobToken(ctx: ActionContext): string {
  return createHash('sha256').update(`irun|${ctx.runId}|${ctx.stepId}`).digest('hex').slice(0, 64);
}

function summarize(
  job: JobDescriptor | undefined,
): Pick<AclJobResult, 'status' | 'progress' | 'failureReasons' | 'statusUpdateReason'> {
  const out: Pick<AclJobResult, 'status' | 'progress' | 'failureReasons' | 'statusUpdateReason'> = {
    status: job?.Status ?? 'Unknown',
  };
  const p = job?.ProgressSummary;
  if (p)
    out.progress = { total: p.TotalNumberOfTasks, succeeded: p.NumberOfTasksSucceeded, failed: p.NumberOfTasksFailed };
  if (job?.FailureReasons?.length)
    out.failureReasons = job.FailureReasons.map((f) => ({ code: f.FailureCode, reason: f.FailureReason }));
  if (job?.StatusUpdateReason) out.statusUpdateReason = job.StatusUpdateReason;
  return plain(out);
}

/**
 * Create the S3PutObjectAcl job and (by default) poll DescribeJob until it is Complete, Failed
 * or Cancelled. A failed or cancelled job, or one with failed tasks, fails with
 * IRUN_BATCH_JOB_FAILED naming the job and its report.
 */
export async function runAclJob(ctx: ActionContext, p: AclJobParams): Promise<AclJobResult> {
  const region = await bucketRegion(ctx, p.bucket, p.region);
  const partition = partitionOf(region);
  const accountId = await resolveAccountId(ctx, p.accountId, region);
  const ownerId = p.ownerId ?? (await bucketOwnerId(ctx, p.bucket, region));
  let etag = p.manifest.etag;
  if (!etag) {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = await s3For(ctx, p.manifest.bucket, region);
    const head = await send<{ ETag?: string }>(
      s3,
      new HeadObjectCommand({ Bucket: p.manifest.bucket, Key: p.manifest.key }),
      ctx,
    );
    etag = head?.ETag;
    if (!etag)
      throw new IrunError(Codes.ACTION_FAILED, `manifest s3://${p.manifest.bucket}/${p.manifest.key} has no ETag`);
  }
  etag = etag.replace(/^"|"$/g, '');
  const objectArn = `arn:${partition}:s3:::${p.manifest.bucket}/${p.manifest.key}`;
  const token = jobToken(ctx);
  const report = p.reportBucket
    ? { bucket: p.reportBucket, prefix: p.reportPrefix ?? `irun/${ctx.runId}/${ctx.stepId}` }
    : null;

  const { S3ControlClient, CreateJobCommand, DescribeJobCommand } = await import('@aws-sdk/client-s3-control');
  const s3c = await client(ctx, S3ControlClient, { region });
  const created = await send<{ JobId?: string }>(
    s3c,
    new CreateJobCommand({
      AccountId: accountId,
      ConfirmationRequired: false,
      Priority: p.priority ?? 10,
      RoleArn: p.roleArn,
      ClientRequestToken: token,
      Description: (p.description ?? `irun ${ctx.runId} ${ctx.stepId}: reset object ACLs in ${p.bucket}`).slice(0, 256),
      Operation: {
        S3PutObjectAcl: {
          AccessControlPolicy: {
            AccessControlList: {
              Owner: { ID: ownerId },
              Grants: [{ Grantee: { TypeIdentifier: 'id', Identifier: ownerId }, Permission: 'FULL_CONTROL' }],
            },
          },
        },
      },
      Manifest: {
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
        Location: { ObjectArn: objectArn, ETag: etag },
      },
      Report: report
        ? {
            Enabled: true,
            Bucket: `arn:${partition}:s3:::${report.bucket}`,
            Format: 'Report_CSV_20180820',
            Prefix: report.prefix,
            ReportScope: 'AllTasks',
          }
        : { Enabled: false },
    }),
    ctx,
  );
  const jobId = created?.JobId;
  if (!jobId) throw new IrunError(Codes.ACTION_FAILED, 'CreateJob returned no job id');
  ctx.log.info(`S3 Batch Operations job ${jobId} created`, { jobId, accountId, region });

  const base = { jobId, accountId, region, clientRequestToken: token, manifest: { objectArn, etag }, report };
  const describe = async () =>
    (await send<{ Job?: JobDescriptor }>(s3c, new DescribeJobCommand({ AccountId: accountId, JobId: jobId }), ctx))
      ?.Job;

  let job = await describe();
  if (p.wait === false) return { ...base, ...summarize(job), waited: false };
  const pollMs = Math.max(0, (p.pollSeconds ?? 15) * 1000);
  while (!FINAL.has(job?.Status ?? '')) {
    const s = summarize(job);
    ctx.progress({
      message: `batch job ${jobId}: ${s.status}`,
      ...(s.progress?.total !== undefined ? { total: s.progress.total } : {}),
      done: (s.progress?.succeeded ?? 0) + (s.progress?.failed ?? 0),
    });
    try {
      await ctx.sleep(pollMs);
    } catch (cause) {
      throw new IrunError(
        Codes.ABORTED,
        `stopped waiting for S3 Batch Operations job ${jobId}; the job keeps running in AWS`,
        {
          cause,
          details: { jobId, accountId, region },
        },
      );
    }
    job = await describe();
  }
  const result: AclJobResult = { ...base, ...summarize(job), waited: true };
  const failedTasks = result.progress?.failed ?? 0;
  if (result.status !== 'Complete' || failedTasks > 0) {
    const where = report ? ` (report: s3://${report.bucket}/${report.prefix})` : '';
    const why =
      result.status !== 'Complete'
        ? `ended ${result.status}${result.statusUpdateReason ? `: ${result.statusUpdateReason}` : ''}`
        : `completed with ${failedTasks} failed task(s)`;
    throw new IrunError(Codes.BATCH_JOB_FAILED, `S3 Batch Operations job ${jobId} ${why}${where}`, {
      details: { ...result },
    });
  }
  return result;
}

const NOT_REVERSIBLE =
  'S3 Batch Operations keeps no copy of the ACLs it replaces; restoring them needs the ACLs dumped before the job (undo is manual)';

const jobOutput: JsonSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    accountId: { type: 'string' },
    region: { type: 'string' },
    clientRequestToken: { type: 'string' },
    status: { type: 'string' },
    manifest: { type: 'object', properties: { objectArn: { type: 'string' }, etag: { type: 'string' } } },
    report: { type: ['object', 'null'], properties: { bucket: { type: 'string' }, prefix: { type: 'string' } } },
    progress: {
      type: 'object',
      properties: { total: { type: 'integer' }, succeeded: { type: 'integer' }, failed: { type: 'integer' } },
    },
    failureReasons: {
      type: 'array',
      items: { type: 'object', properties: { code: { type: 'string' }, reason: { type: 'string' } } },
    },
    statusUpdateReason: { type: 'string' },
    waited: { type: 'boolean' },
  },
  required: ['jobId', 'status'],
};

interface CreateAclJobInput extends Omit<AclJobParams, 'manifest'> {
  manifest: { bucket: string; key: string; etag?: string };
}

export const batchActions: Record<string, ActionDefinition> = {
  createAclJob: defineAction<CreateAclJobInput, AclJobResult, { manifest: string; clientRequestToken: string }>({
    title: 'Reset object ACLs with S3 Batch Operations',
    description:
      'Create an S3 Batch Operations job that sets every object version listed in a CSV manifest (Bucket,Key,VersionId) to an owner-only ACL ' +
      '(FULL_CONTROL to the bucket owner), and wait for it to finish. For buckets too large to reset from one machine.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-put-object-acl.html',
    effect: 'mutate',
    permissions: ['s3:CreateJob', 's3:DescribeJob', 'iam:PassRole', 's3:GetBucketAcl', 's3:GetObject'],
    input: {
      type: 'object',
      properties: {
        accountId: {
          type: 'string',
          pattern: '^\\d{12}$',
          description: 'Account that owns the job (default: the caller account)',
        },
        roleArn: {
          type: 'string',
          pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$',
          description: 'Role Batch Operations assumes',
        },
        bucket: { ...BUCKET, description: 'Bucket whose object ACLs the job resets' },
        region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' },
        manifest: {
          type: 'object',
          properties: { bucket: BUCKET, key: { type: 'string', minLength: 1 }, etag: { type: 'string' } },
          required: ['bucket', 'key'],
          additionalProperties: false,
        },
        reportBucket: BUCKET,
        reportPrefix: { type: 'string' },
        priority: { type: 'integer', minimum: 0, maximum: 2147483647, default: 10 },
        ownerId: {
          type: 'string',
          minLength: 1,
          description: 'Canonical id given FULL_CONTROL (default: the bucket owner)',
        },
        wait: { type: 'boolean', default: true },
        pollSeconds: { type: 'number', minimum: 0, maximum: 3600, default: 15 },
        description: { type: 'string', maxLength: 256 },
      },
      required: ['roleArn', 'bucket', 'manifest'],
      additionalProperties: false,
    },
    output: jobOutput,
    example: {
      roleArn: 'arn:aws:iam::111122223333:role/irun-batch-acl',
      bucket: 'example-bucket',
      manifest: { bucket: 'example-ir-manifests', key: 'acl-reset/manifest.csv' },
      reportBucket: 'example-ir-manifests',
    },
    async capture(ctx, input) {
      // Nothing to read back: a job that does not exist yet has no before-state, and Batch
      // Operations does not record the ACLs it replaces.
      return { manifest: `s3://${input.manifest.bucket}/${input.manifest.key}`, clientRequestToken: jobToken(ctx) };
    },
    async run(ctx, input) {
      return runAclJob(ctx, input);
    },
    async preview(_ctx, input) {
      return {
        summary: `Create an S3 Batch Operations job resetting to owner-only the ACL of every object version listed in s3://${input.manifest.bucket}/${input.manifest.key}`,
        before: null,
        after: { operation: 'S3PutObjectAcl', grants: ['bucket owner FULL_CONTROL'] },
        details: {
          roleArn: input.roleArn,
          report: input.reportBucket ? `s3://${input.reportBucket}/${input.reportPrefix ?? ''}` : null,
          reversible: NOT_REVERSIBLE,
        },
      };
    },
    reversible() {
      return NOT_REVERSIBLE;
    },
  }),
};
