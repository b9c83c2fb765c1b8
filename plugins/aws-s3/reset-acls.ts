/**
 * resetObjectAcls: reset public and cross-account object ACLs to owner-only, page by page, with
 * the before-states as evidence (or as an S3 Batch Operations job for large buckets).
 */
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { PutObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, type EvidenceRef, defineAction, Codes, IrunError } from '../../engine/plugins/api.js';
import { send, toIrunError } from '../aws-common/index.js';
import { type PlainAcl, classifyAcl, needsReset, ownerOnlyAcl } from './acl.js';
import {
  EvidenceChunks,
  type FailureSample,
  Failures,
  allowListeners,
  failFastCheck,
  isFatal,
  readLines,
} from './bulk.js';
import { type VersionEntry, chunk, keyVersions, versionPages } from './listing.js';
import { type AclScope, ENFORCED_REASON, aclScope, getAcl, putAcl } from './object-acl.js';
import {
  CONCURRENCY,
  ERROR_LIST,
  ERROR_SAMPLES,
  EVIDENCE_FILES,
  KEY,
  OBJECT_BUCKET,
  OBJECT_REGION,
  PREFIX,
} from './object-schemas.js';
import { AsyncPool } from './pool.js';
import { runAclJob, type AclJobResult } from '../aws-common/s3-batch.js';
import { s3For } from '../aws-common/s3.js';

export interface ResetObjectAclsInput {
  bucket: string;
  region?: string;
  prefix?: string;
  keys?: string[];
  allVersions?: boolean;
  concurrency?: number;
  removeCrossAccount?: boolean;
  batchThreshold?: number;
  batch?: {
    roleArn: string;
    manifestBucket: string;
    manifestPrefix?: string;
    reportBucket?: string;
    accountId?: string;
    wait?: boolean;
    pollSeconds?: number;
  };
}

export interface ResetObjectAclsOutput {
  bucket: string;
  prefix: string | null;
  mode: 'local' | 'batch' | 'skipped';
  skipped: boolean;
  reason?: string;
  ownership: string | null;
  bucketOwnerId: string | null;
  changed: boolean;
  counts: {
    scanned: number;
    public: number;
    crossAccount: number;
    changed: number;
    unchanged: number;
    failed: number;
    skipped: number;
  };
  evidence: (EvidenceRef & { count: number })[];
  errors: FailureSample[];
  before: { versionsNeedingReset: number };
  after: { versionsReset: number; acl: string };
  batch?: AclJobResult & { manifest: { objectArn: string; etag: string }; manifestLines?: number };
  manualUndo?: string;
}

/** One object version to look at. */
export interface Target {
  key: string;
  versionId: string;
}

/**
 * Pages of object versions to reset: every version (or only the current one) under the prefix,
 * or of the listed keys. Delete markers have no ACL and are left out.
 */
export async function* targetPages(
  ctx: ActionContext,
  s3: S3Client,
  input: ResetObjectAclsInput,
  concurrency: number,
): AsyncGenerator<Target[]> {
  const allVersions = input.allVersions !== false;
  const keep = (e: VersionEntry) => !e.deleteMarker && (allVersions || e.isLatest);
  if (input.keys) {
    for (const group of chunk(input.keys, Math.max(concurrency, 16))) {
      const lists = await Promise.all(group.map((k) => keyVersions(ctx, s3, input.bucket, k)));
      yield lists
        .flat()
        .filter(keep)
        .map((e) => ({ key: e.key, versionId: e.versionId }));
    }
    return;
  }
  for await (const page of versionPages(ctx, s3, input.bucket, input.prefix)) {
    yield page.filter(keep).map((e) => ({ key: e.key, versionId: e.versionId }));
  }
}

/** Count target versions, stopping once the count passes `limit`. */
export async function countTargets(
  ctx: ActionContext,
  s3: S3Client,
  input: ResetObjectAclsInput,
  limit: number,
  concurrency: number,
): Promise<number> {
  let n = 0;
  for await (const page of targetPages(ctx, s3, input, concurrency)) {
    n += page.length;
    if (n > limit) break;
  }
  return n;
}

export function emptyCounts(): ResetObjectAclsOutput['counts'] {
  return { scanned: 0, public: 0, crossAccount: 0, changed: 0, unchanged: 0, failed: 0, skipped: 0 };
}

export function baseResetOutput(input: ResetObjectAclsInput, scope: AclScope): ResetObjectAclsOutput {
  return {
    bucket: input.bucket,
    prefix: input.prefix ?? null,
    mode: 'local',
    skipped: false,
    ownership: scope.ownership,
    bucketOwnerId: scope.bucketOwnerId,
    changed: false,
    counts: emptyCounts(),
    evidence: [],
    errors: [],
    before: { versionsNeedingReset: 0 },
    after: { versionsReset: 0, acl: 'owner-only (bucket owner FULL_CONTROL)' },
  };
}

/**
 * Scan (and unless `write` is false, reset) every target version: per page, GetObjectAcl for
 * each version with bounded concurrency; the original ACLs of the versions to change are saved
 * as one evidence file; then PutObjectAcl owner-only for each of them.
 */
export async function scanAndReset(
  ctx: ActionContext,
  s3: S3Client,
  input: ResetObjectAclsInput,
  scope: AclScope,
  write: boolean,
  total: number | undefined,
  evidence: EvidenceChunks,
  onCandidate?: (t: Target, acl: PlainAcl) => void,
): Promise<{ counts: ResetObjectAclsOutput['counts']; failures: Failures }> {
  const concurrency = input.concurrency ?? 16;
  const removeCross = input.removeCrossAccount === true;
  const ownerId = scope.bucketOwnerId!;
  const counts = emptyCounts();
  const failures = new Failures();
  const pool = new AsyncPool(concurrency);
  allowListeners(ctx.signal, concurrency);
  let ok = 0;

  for await (const page of targetPages(ctx, s3, input, concurrency)) {
    const toChange: { key: string; versionId: string; acl: PlainAcl }[] = [];
    for (const t of page) {
      await pool.submit(async () => {
        try {
          const acl = await getAcl(ctx, s3, input.bucket, t.key, t.versionId);
          ok++;
          counts.scanned++;
          const v = classifyAcl(acl, ownerId);
          if (v.public) counts.public++;
          if (v.crossAccount) counts.crossAccount++;
          if (needsReset(acl, ownerId, removeCross)) {
            toChange.push({ key: t.key, versionId: t.versionId, acl });
            onCandidate?.(t, acl);
          } else counts.unchanged++;
        } catch (err) {
          if (isFatal(err)) throw err;
          failures.record(t.key, t.versionId, err);
          failFastCheck(failures, ok, 'GetObjectAcl');
        }
      });
    }
    await pool.drain();
    if (write && toChange.length > 0) {
      // Write-ahead: the original ACLs are on record before any of them is replaced.
      await evidence.write(toChange);
      for (const c of toChange) {
        await pool.submit(async () => {
          try {
            await putAcl(ctx, s3, input.bucket, c.key, c.versionId, ownerOnlyAcl(c.acl.owner, ownerId));
            ok++;
            counts.changed++;
          } catch (err) {
            if (isFatal(err)) throw err;
            failures.record(c.key, c.versionId, err);
            failFastCheck(failures, ok, 'PutObjectAcl');
          }
        });
      }
      await pool.drain();
    }
    ctx.progress({
      done: counts.scanned + failures.count,
      ...(total !== undefined ? { total } : {}),
      message: `${counts.scanned} versions scanned, ${counts.changed} reset`,
    });
  }
  counts.failed = failures.count;
  return { counts, failures };
}

/** Write the CSV manifest (Bucket,Key,VersionId; keys URL-encoded) to a temp file, then PutObject it. */
export async function writeManifest(
  ctx: ActionContext,
  s3: S3Client,
  input: ResetObjectAclsInput,
  batch: NonNullable<ResetObjectAclsInput['batch']>,
): Promise<{ bucket: string; key: string; etag?: string; lines: number }> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const dir = await mkdtemp(path.join(tmpdir(), 'irun-manifest-'));
  const file = path.join(dir, 'manifest.csv');
  let lines = 0;
  try {
    const fh = await open(file, 'w');
    try {
      for await (const page of targetPages(ctx, s3, input, input.concurrency ?? 16)) {
        if (page.length === 0) continue;
        const text = page
          .map((t) => `${input.bucket},${encodeURIComponent(t.key)},${t.versionId === 'null' ? '' : t.versionId}\n`)
          .join('');
        await fh.write(text);
        lines += page.length;
        ctx.progress({ done: lines, message: `manifest: ${lines} versions listed` });
      }
    } finally {
      await fh.close();
    }
    const size = (await stat(file)).size;
    const prefix = (batch.manifestPrefix ?? 'irun/manifests').replace(/\/+$/, '');
    const key = `${prefix}/${ctx.runId}/${ctx.stepId}/${input.bucket}.csv`;
    const manifestS3 = await s3For(ctx, batch.manifestBucket, input.region);
    const out = await send<PutObjectCommandOutput>(
      manifestS3,
      new PutObjectCommand({
        Bucket: batch.manifestBucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: 'text/csv',
      }),
      ctx,
    );
    return { bucket: batch.manifestBucket, key, ...(out?.ETag ? { etag: out.ETag } : {}), lines };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const BATCH_MANUAL_UNDO =
  'the ACLs were reset by S3 Batch Operations, which keeps no before-state; at this scale the original ACLs were not dumped, so undo is manual';

export async function resetObjectAclsRun(
  ctx: ActionContext,
  input: ResetObjectAclsInput,
  before: AclScope | undefined,
): Promise<ResetObjectAclsOutput> {
  const scope = before ?? (await aclScope(ctx, input.bucket, input.region));
  const out = baseResetOutput(input, scope);
  if (scope.ownership === 'BucketOwnerEnforced') {
    return { ...out, mode: 'skipped', skipped: true, reason: ENFORCED_REASON };
  }
  const s3 = await s3For(ctx, input.bucket, input.region);
  const concurrency = input.concurrency ?? 16;
  const threshold = input.batchThreshold ?? 100_000;
  const total = await countTargets(ctx, s3, input, threshold, concurrency);

  if (total > threshold) {
    if (!input.batch) {
      throw new IrunError(
        Codes.BATCH_SETTINGS_REQUIRED,
        `more than ${threshold} object versions under s3://${input.bucket}/${input.prefix ?? ''}: too many to reset from one machine; ` +
          'provide batch: { roleArn, manifestBucket } to hand the work to S3 Batch Operations, or raise batchThreshold',
        {
          details: { bucket: input.bucket, prefix: input.prefix ?? null, counted: total, batchThreshold: threshold },
          suggestions: ['set batch.roleArn and batch.manifestBucket', 'narrow the prefix'],
        },
      );
    }
    const b = input.batch;
    const manifest = await writeManifest(ctx, s3, input, b);
    await ctx.evidence.save('object-acls-batch-manifest', {
      bucket: manifest.bucket,
      key: manifest.key,
      etag: manifest.etag ?? null,
      lines: manifest.lines,
    });
    const job = await runAclJob(ctx, {
      roleArn: b.roleArn,
      bucket: input.bucket,
      ...(input.region ? { region: input.region } : {}),
      ...(b.accountId ? { accountId: b.accountId } : {}),
      manifest: { bucket: manifest.bucket, key: manifest.key, ...(manifest.etag ? { etag: manifest.etag } : {}) },
      reportBucket: b.reportBucket ?? b.manifestBucket,
      ownerId: scope.bucketOwnerId!,
      ...(b.wait !== undefined ? { wait: b.wait } : {}),
      ...(b.pollSeconds !== undefined ? { pollSeconds: b.pollSeconds } : {}),
    });
    const succeeded = job.progress?.succeeded ?? 0;
    return {
      ...out,
      mode: 'batch',
      changed: true,
      counts: { ...emptyCounts(), scanned: manifest.lines, changed: succeeded, failed: job.progress?.failed ?? 0 },
      before: { versionsNeedingReset: manifest.lines },
      after: { versionsReset: succeeded, acl: out.after.acl },
      batch: { ...job, manifestLines: manifest.lines },
      manualUndo: BATCH_MANUAL_UNDO,
    };
  }

  const evidence = new EvidenceChunks(ctx, 'object-acls-before');
  let scanned: Awaited<ReturnType<typeof scanAndReset>>;
  try {
    scanned = await scanAndReset(ctx, s3, input, scope, true, total, evidence);
  } catch (err) {
    if (evidence.files.length === 0) throw err;
    // Some ACLs were already replaced: keep the evidence files in the error so they can be restored.
    const e = err instanceof IrunError ? err : toIrunError(err, 'resetObjectAcls');
    throw new IrunError(
      e.code,
      `${e.message} (original ACLs of changed versions saved in ${evidence.files.map((f) => f.file).join(', ')})`,
      {
        cause: err,
        details: { ...(e.details ?? {}), evidence: evidence.files },
      },
    );
  }
  const { counts, failures } = scanned;
  const result: ResetObjectAclsOutput = {
    ...out,
    changed: counts.changed > 0,
    counts,
    evidence: evidence.files,
    errors: failures.samples,
    before: { versionsNeedingReset: counts.changed + failures.count },
    after: { versionsReset: counts.changed, acl: out.after.acl },
  };
  await ctx.evidence.save('object-acls-after', { counts, evidence: evidence.files.map((f) => f.file) });
  if (failures.count > 0) {
    throw new IrunError(
      Codes.BULK_PARTIAL_FAILURE,
      `resetObjectAcls: ${failures.count} object version(s) failed (${counts.changed} reset); first: ${failures.samples[0]?.message}`,
      {
        details: { ...result },
      },
    );
  }
  return result;
}

export async function restoreAclsFromEvidence(
  ctx: ActionContext,
  input: ResetObjectAclsInput,
  files: { file: string }[],
): Promise<{ restored: number; failed: number; errors: FailureSample[] }> {
  const s3 = await s3For(ctx, input.bucket, input.region);
  const pool = new AsyncPool(input.concurrency ?? 16);
  allowListeners(ctx.signal, pool.limit);
  const failures = new Failures();
  let restored = 0;
  for (const f of files) {
    const lines = await readLines<{ key: string; versionId: string; acl: PlainAcl }>(ctx, f.file);
    for (const l of lines) {
      await pool.submit(async () => {
        try {
          await putAcl(ctx, s3, input.bucket, l.key, l.versionId, l.acl);
          restored++;
        } catch (err) {
          if (isFatal(err)) throw err;
          failures.record(l.key, l.versionId, err);
          failFastCheck(failures, restored, 'PutObjectAcl');
        }
      });
    }
    await pool.drain();
    ctx.progress({ done: restored + failures.count, message: `${restored} ACLs restored` });
  }
  if (failures.count > 0) {
    throw new IrunError(
      Codes.BULK_PARTIAL_FAILURE,
      `undo resetObjectAcls: ${failures.count} ACL(s) could not be restored (${restored} restored)`,
      {
        details: { restored, failed: failures.count, errors: failures.samples },
      },
    );
  }
  return { restored, failed: 0, errors: [] };
}

// restoreDeleted

export const resetObjectAcls = defineAction<ResetObjectAclsInput, ResetObjectAclsOutput, AclScope>({
  title: 'Reset object ACLs under a prefix',
  description:
    'Reset to owner-only every object version under a prefix (or of listed keys) whose ACL grants AllUsers / AuthenticatedUsers (and, optionally, other accounts). ' +
    'Streams the version listing with bounded concurrency; saves the original ACLs as evidence for undo. Skipped when ACLs are disabled (BucketOwnerEnforced). ' +
    'Above batchThreshold versions, hands the work to S3 Batch Operations (undo then manual).',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/managing-acls.html',
  effect: 'mutate',
  permissions: [
    's3:GetBucketOwnershipControls',
    's3:GetBucketAcl',
    's3:ListBucketVersions',
    's3:GetObjectAcl',
    's3:GetObjectVersionAcl',
    's3:PutObjectAcl',
    's3:PutObjectVersionAcl',
    's3:PutObject',
    's3:CreateJob',
    's3:DescribeJob',
    'iam:PassRole',
  ],
  input: {
    type: 'object',
    properties: {
      bucket: OBJECT_BUCKET,
      region: OBJECT_REGION,
      prefix: PREFIX,
      keys: { type: 'array', items: KEY, minItems: 1, description: 'Only these keys (instead of a prefix)' },
      allVersions: {
        type: 'boolean',
        default: true,
        description: 'Every version (ACLs are per version), or only the current ones',
      },
      concurrency: CONCURRENCY,
      removeCrossAccount: { type: 'boolean', default: false, description: 'Also remove grants to other accounts' },
      batchThreshold: {
        type: 'integer',
        minimum: 1,
        default: 100000,
        description: 'Above this many versions, use S3 Batch Operations',
      },
      batch: {
        type: 'object',
        properties: {
          roleArn: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$' },
          manifestBucket: OBJECT_BUCKET,
          manifestPrefix: { type: 'string' },
          reportBucket: OBJECT_BUCKET,
          accountId: { type: 'string', pattern: '^\\d{12}$' },
          wait: { type: 'boolean', default: true },
          pollSeconds: { type: 'number', minimum: 0, maximum: 3600, default: 15 },
        },
        required: ['roleArn', 'manifestBucket'],
        additionalProperties: false,
      },
    },
    required: ['bucket'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      bucket: { type: 'string' },
      prefix: { type: ['string', 'null'] },
      mode: { type: 'string', enum: ['local', 'batch', 'skipped'] },
      skipped: { type: 'boolean' },
      reason: { type: 'string' },
      ownership: { type: ['string', 'null'] },
      bucketOwnerId: { type: ['string', 'null'] },
      changed: { type: 'boolean' },
      counts: {
        type: 'object',
        properties: {
          scanned: { type: 'integer' },
          public: { type: 'integer' },
          crossAccount: { type: 'integer' },
          changed: { type: 'integer' },
          unchanged: { type: 'integer' },
          failed: { type: 'integer' },
          skipped: { type: 'integer' },
        },
      },
      evidence: EVIDENCE_FILES,
      errors: ERROR_LIST,
      before: { type: 'object' },
      after: { type: 'object' },
      batch: { type: 'object' },
      manualUndo: { type: 'string' },
    },
    required: ['bucket', 'mode', 'skipped', 'changed', 'counts'],
  },
  example: { bucket: 'example-bucket', prefix: 'exports/' },
  async capture(ctx, input) {
    const scope = await aclScope(ctx, input.bucket, input.region);
    await ctx.evidence.save('object-acls-scope-before', {
      ...scope,
      prefix: input.prefix ?? null,
      keys: input.keys?.length ?? null,
    });
    return scope;
  },
  run: resetObjectAclsRun,
  async preview(ctx, input, captured) {
    const scope = captured ?? (await aclScope(ctx, input.bucket, input.region));
    if (scope.ownership === 'BucketOwnerEnforced')
      return { summary: `Skip: ${ENFORCED_REASON}`, noop: true, details: { ownership: scope.ownership } };
    const s3 = await s3For(ctx, input.bucket, input.region);
    const threshold = input.batchThreshold ?? 100_000;
    const total = await countTargets(ctx, s3, input, threshold, input.concurrency ?? 16);
    const where = `s3://${input.bucket}/${input.prefix ?? ''}`;
    if (total > threshold) {
      return {
        summary: input.batch
          ? `More than ${threshold} object versions under ${where}: would hand off to S3 Batch Operations (manifest in s3://${input.batch.manifestBucket}); undo would be manual`
          : `More than ${threshold} object versions under ${where}: would fail without batch settings (roleArn, manifestBucket)`,
        details: { counted: total, batchThreshold: threshold, manualUndo: BATCH_MANUAL_UNDO },
      };
    }
    const samples: { key: string; versionId: string; grants: string[] }[] = [];
    const { counts, failures } = await scanAndReset(
      ctx,
      s3,
      input,
      scope,
      false,
      total,
      new EvidenceChunks(ctx, 'unused'),
      (t, acl) => {
        if (samples.length < ERROR_SAMPLES)
          samples.push({
            key: t.key,
            versionId: t.versionId,
            grants: classifyAcl(acl, scope.bucketOwnerId ?? undefined).offending,
          });
      },
    );
    const would = counts.scanned - counts.unchanged;
    return {
      summary: `Reset to owner-only the ACL of ${would} of ${counts.scanned} object versions under ${where}${failures.count ? ` (${failures.count} could not be read)` : ''}`,
      noop: would === 0,
      before: { versionsNeedingReset: would, public: counts.public, crossAccount: counts.crossAccount },
      after: { acl: 'owner-only (bucket owner FULL_CONTROL)' },
      details: { counts: { ...counts, changed: 0 }, samples, errors: failures.samples },
    };
  },
  reversible(_input, _before, output) {
    if (output?.mode === 'batch') return BATCH_MANUAL_UNDO;
    return true;
  },
  async undo(ctx, input, _before, output) {
    if (!output || output.mode === 'skipped' || !output.changed) return { restored: 0 };
    if (output.mode === 'batch')
      throw new IrunError(Codes.ACTION_FAILED, `cannot undo resetObjectAcls on ${input.bucket}: ${BATCH_MANUAL_UNDO}`);
    return restoreAclsFromEvidence(ctx, input, output.evidence);
  },
});
