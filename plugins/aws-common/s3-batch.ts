/**
 * An S3 Batch Operations job that resets object ACLs to owner-only, for buckets too large to
 * reset from one machine: CreateJob with a CSV manifest (Bucket,Key,VersionId) and an
 * S3PutObjectAcl operation that leaves the bucket owner alone with FULL_CONTROL, then
 * DescribeJob until the job ends. Shared by aws.s3control.createAclJob and the hand-off of
 * aws.s3.resetObjectAcls.
 */
import { createHash } from 'node:crypto';
import type { JobDescriptor, JobStatus } from '@aws-sdk/client-s3-control';
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { client, plain, send } from './index.js';
import { bucketOwnerId, bucketRegion, resolveAccountId, s3For } from './s3.js';

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
