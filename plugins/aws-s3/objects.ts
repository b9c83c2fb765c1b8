/**
 * aws.s3 object-level actions: listing objects and versions, object ACLs, restoring versions
 * and deleted or archived objects, and the two bulk actions of the runbook — resetObjectAcls
 * (Part 2 2.3.1.3 / 2.4.2–3) and restoreDeleted (Part 4).
 *
 * Bulk work streams: the version listing is consumed page by page and every page is processed
 * by a small async pool with at most `concurrency` requests in flight, so memory does not grow
 * with the object count (DESIGN.md §7). Before-states are written as evidence per page, before
 * the page is changed, as JSON lines; undo reads them back.
 */
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { getMaxListeners, setMaxListeners } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type {
  CopyObjectCommandOutput,
  DeleteObjectCommandOutput,
  GetBucketOwnershipControlsCommandOutput,
  GetObjectAclCommandOutput,
  HeadObjectCommandOutput,
  ListObjectVersionsCommandOutput,
  ListObjectsV2CommandOutput,
  PutObjectCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { Codes, IrunError, type Code } from '../../engine/errors.js';
import {
  defineAction,
  type ActionContext,
  type ActionDefinition,
  type EvidenceRef,
  type JsonSchema,
} from '../../engine/plugins/api.js';
import { awsErrorName, plain, send, toIrunError } from '../aws-common/index.js';
import { runAclJob, type AclJobResult } from '../aws-s3control/batch.js';
import {
  bucketOwnerId,
  classifyAcl,
  describeAcl,
  isOwnerOnly,
  needsReset,
  ownerOnlyAcl,
  toAccessControlPolicy,
  toPlainAcl,
  PLAIN_ACL_SCHEMA,
  type PlainAcl,
} from './acl.js';
import { s3For } from './common.js';

/** CopyObject copies at most 5 GB in one request; larger objects need UploadPartCopy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** How many per-object errors are kept as samples in outputs and error details. */
const ERROR_SAMPLES = 20;
/** How many entries of a bulk result list are returned in the output (evidence has them all). */
const LIST_CAP = 1000;
/** Stop a bulk action early when this many calls failed and none succeeded (e.g. no permission). */
const FAIL_FAST_AFTER = 50;

// ---------------------------------------------------------------------------------------------
// Schemas

const BUCKET = {
  type: 'string',
  minLength: 3,
  maxLength: 63,
  pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
  description: 'Bucket name',
};
const REGION = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
  description: 'Bucket region (default: discovered with GetBucketLocation)',
};
const KEY = { type: 'string', minLength: 1, maxLength: 1024, description: 'Object key' };
const VERSION_ID = { type: 'string', minLength: 1, maxLength: 1024, description: 'Object version id' };
const PREFIX = { type: 'string', maxLength: 1024, description: 'Key prefix' };
const CONCURRENCY = {
  type: 'integer',
  minimum: 1,
  maximum: 128,
  default: 16,
  description: 'Requests in flight at most',
};

const ACL_SCHEMA: JsonSchema = PLAIN_ACL_SCHEMA;

const VERSION_ENTRY: JsonSchema = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    versionId: { type: 'string' },
    isLatest: { type: 'boolean' },
    lastModified: { type: 'string' },
    size: { type: 'integer' },
    etag: { type: 'string' },
    storageClass: { type: 'string' },
    deleteMarker: { type: 'boolean' },
  },
};

const EVIDENCE_FILES: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      file: { type: 'string' },
      sha256: { type: 'string' },
      count: { type: 'integer' },
    },
  },
};

const ERROR_LIST: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      key: { type: 'string' },
      versionId: { type: 'string' },
      code: { type: 'string' },
      message: { type: 'string' },
    },
  },
};

// ---------------------------------------------------------------------------------------------
// A small async pool: at most `limit` tasks in flight; submit() waits for a free slot, which is
// what keeps the listing from running ahead of the work.

export class AsyncPool {
  private active = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private error: unknown;
  private failed = false;
  /** Highest number of tasks seen in flight at once. */
  peak = 0;

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('pool limit must be >= 1');
  }

  /**
   * Start `task` as soon as a slot is free. Resolves once it has started (not finished). A task
   * that throws stops the pool: later submit()/drain() calls reject with that error. Tasks must
   * catch the errors they want to count instead.
   */
  async submit(task: () => Promise<void>): Promise<void> {
    while (!this.failed && this.active >= this.limit) await new Promise<void>((r) => this.slotWaiters.push(r));
    if (this.failed) throw this.error;
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
    task()
      .catch((err: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.error = err;
        }
      })
      .finally(() => {
        this.active--;
        this.slotWaiters.shift()?.();
        if (this.failed) for (const w of this.slotWaiters.splice(0)) w();
        if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Wait for every started task; rejects with the error that stopped the pool, if any. */
  async drain(): Promise<void> {
    while (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.failed) throw this.error;
  }
}

// ---------------------------------------------------------------------------------------------
// Listing

/** One entry of ListObjectVersions (a version or a delete marker) as plain JSON. */
export interface VersionEntry {
  key: string;
  versionId: string;
  isLatest: boolean;
  lastModified?: string;
  deleteMarker: boolean;
  size?: number;
  etag?: string;
  storageClass?: string;
}

/** S3 lists keys in UTF-8 binary order. */
function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function time(e: { lastModified?: string }): number {
  return e.lastModified ? Date.parse(e.lastModified) : 0;
}

/** Merge a page's Versions and DeleteMarkers back into S3's order: key, then newest first. */
function mergePage(out: ListObjectVersionsCommandOutput | undefined): VersionEntry[] {
  const iso = (d: Date | string | undefined) =>
    d === undefined ? undefined : d instanceof Date ? d.toISOString() : String(d);
  const entries: VersionEntry[] = [];
  for (const v of out?.Versions ?? []) {
    const e: VersionEntry = {
      key: v.Key ?? '',
      versionId: v.VersionId ?? 'null',
      isLatest: v.IsLatest === true,
      deleteMarker: false,
    };
    const lm = iso(v.LastModified);
    if (lm) e.lastModified = lm;
    if (v.Size !== undefined) e.size = Number(v.Size);
    if (v.ETag !== undefined) e.etag = v.ETag;
    if (v.StorageClass !== undefined) e.storageClass = v.StorageClass;
    entries.push(e);
  }
  for (const m of out?.DeleteMarkers ?? []) {
    const e: VersionEntry = {
      key: m.Key ?? '',
      versionId: m.VersionId ?? 'null',
      isLatest: m.IsLatest === true,
      deleteMarker: true,
    };
    const lm = iso(m.LastModified);
    if (lm) e.lastModified = lm;
    entries.push(e);
  }
  if (out?.DeleteMarkers?.length && out?.Versions?.length) {
    entries.sort((a, b) => compareKeys(a.key, b.key) || Number(b.isLatest) - Number(a.isLatest) || time(b) - time(a));
  }
  return entries;
}

/**
 * Pages of ListObjectVersions under a prefix, in S3 order. There is no v3 paginator for this
 * command: loop on IsTruncated / NextKeyMarker / NextVersionIdMarker.
 */
export async function* versionPages(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  prefix: string | undefined,
  options: { pageSize?: number; keyMarker?: string } = {},
): AsyncGenerator<VersionEntry[]> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  let keyMarker: string | undefined = options.keyMarker;
  let versionIdMarker: string | undefined;
  for (;;) {
    const out = await send<ListObjectVersionsCommandOutput>(
      s3,
      new ListObjectVersionsCommand({
        Bucket: bucket,
        ...(prefix ? { Prefix: prefix } : {}),
        ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
        ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
        ...(options.pageSize ? { MaxKeys: options.pageSize } : {}),
      }),
      ctx,
    );
    yield mergePage(out);
    if (!out?.IsTruncated) return;
    if (out.NextKeyMarker === undefined && out.NextVersionIdMarker === undefined) return; // defensive: no way forward
    keyMarker = out.NextKeyMarker;
    versionIdMarker = out.NextVersionIdMarker;
  }
}

/** Every version and delete marker of exactly one key, newest first. */
export async function keyVersions(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<VersionEntry[]> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  const found: VersionEntry[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const out = await send<ListObjectVersionsCommandOutput>(
      s3,
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: key,
        ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
        ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
      }),
      ctx,
    );
    for (const e of mergePage(out)) if (e.key === key) found.push(e);
    // Keys sort after their own prefixes: once the listing moved past `key`, it is complete.
    if (!out?.IsTruncated || out.NextKeyMarker !== key) break;
    keyMarker = out.NextKeyMarker;
    versionIdMarker = out.NextVersionIdMarker;
  }
  return found;
}

/** Group a version stream by key (a key's versions may span pages), newest first per key. */
async function* keyGroups(
  pages: AsyncIterable<VersionEntry[]>,
): AsyncGenerator<{ key: string; entries: VersionEntry[] }> {
  let current: { key: string; entries: VersionEntry[] } | undefined;
  for await (const page of pages) {
    for (const e of page) {
      if (current && current.key === e.key) current.entries.push(e);
      else {
        if (current) yield current;
        current = { key: e.key, entries: [e] };
      }
    }
  }
  if (current) yield current;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bulk bookkeeping

interface FailureSample {
  key: string;
  versionId?: string;
  code: string;
  message: string;
}

class Failures {
  count = 0;
  readonly samples: FailureSample[] = [];
  record(key: string, versionId: string | undefined, err: unknown): void {
    this.count++;
    if (this.samples.length < ERROR_SAMPLES) {
      const e = err as { code?: string; message?: string };
      this.samples.push({
        key,
        ...(versionId ? { versionId } : {}),
        code: typeof e?.code === 'string' ? e.code : Codes.ACTION_FAILED,
        message: e?.message ?? String(err),
      });
    }
  }
}

/** Every in-flight SDK request listens for abort on the step's signal: allow that many. */
function allowListeners(signal: AbortSignal, concurrency: number): void {
  if (getMaxListeners(signal) < concurrency + 10) setMaxListeners(concurrency + 10, signal);
}

/** Errors that stop the whole action rather than count against one object. */
function isFatal(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === Codes.DRY_RUN_BLOCKED || code === Codes.ABORTED || (err as Error)?.name === 'AbortError';
}

function failFastCheck(failures: Failures, succeeded: number, what: string): void {
  if (failures.count >= FAIL_FAST_AFTER && succeeded === 0) {
    const first = failures.samples[0];
    throw new IrunError(
      (first?.code ?? Codes.BULK_PARTIAL_FAILURE) as Code,
      `${what}: the first ${failures.count} calls all failed (${first?.message ?? 'unknown error'}); stopping`,
      {
        details: { failed: failures.count, errors: failures.samples },
      },
    );
  }
}

/** Writes evidence files of JSON lines, numbered, one per page of changes. */
class EvidenceChunks {
  private n = 0;
  readonly files: (EvidenceRef & { count: number })[] = [];
  constructor(
    private readonly ctx: ActionContext,
    private readonly base: string,
  ) {}
  async write(lines: unknown[]): Promise<void> {
    if (lines.length === 0) return;
    this.n++;
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const ref = await this.ctx.evidence.save(`${this.base}-${String(this.n).padStart(4, '0')}`, text, { ext: 'jsonl' });
    this.files.push({ ...ref, count: lines.length });
  }
}

/** Read back a JSON-lines evidence file. */
async function readLines<T>(ctx: ActionContext, file: string): Promise<T[]> {
  const text = await ctx.evidence.read(file);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function copySource(bucket: string, key: string, versionId: string): string {
  return `${bucket}/${encodeURIComponent(key)}?versionId=${encodeURIComponent(versionId)}`;
}

// ---------------------------------------------------------------------------------------------
// Ownership controls and ACL scope

interface AclScope {
  bucket: string;
  /** Rules[0].ObjectOwnership, or null when ownership controls are not configured. */
  ownership: string | null;
  /** Canonical id of the bucket owner (null when ACLs are disabled and it was not needed). */
  bucketOwnerId: string | null;
}

const ENFORCED_REASON =
  'BucketOwnerEnforced: ACLs are disabled on this bucket (Object Ownership); every object is owned by the bucket owner and no object ACL can grant access';

async function aclScope(ctx: ActionContext, bucket: string, region?: string): Promise<AclScope> {
  const { GetBucketOwnershipControlsCommand } = await import('@aws-sdk/client-s3');
  const s3 = await s3For(ctx, bucket, region);
  const oc = await send<GetBucketOwnershipControlsCommandOutput>(
    s3,
    new GetBucketOwnershipControlsCommand({ Bucket: bucket }),
    ctx,
    { allowNotConfigured: true },
  );
  const ownership = oc?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? null;
  if (ownership === 'BucketOwnerEnforced') return { bucket, ownership, bucketOwnerId: null };
  return { bucket, ownership, bucketOwnerId: await bucketOwnerId(ctx, bucket, region) };
}

async function getAcl(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<PlainAcl> {
  const { GetObjectAclCommand } = await import('@aws-sdk/client-s3');
  const out = await send<GetObjectAclCommandOutput>(
    s3,
    new GetObjectAclCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    ctx,
  );
  return toPlainAcl(out);
}

async function putAcl(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
  acl: PlainAcl,
): Promise<void> {
  const { PutObjectAclCommand } = await import('@aws-sdk/client-s3');
  await send(
    s3,
    new PutObjectAclCommand({
      Bucket: bucket,
      Key: key,
      ...(versionId ? { VersionId: versionId } : {}),
      AccessControlPolicy: toAccessControlPolicy(acl),
    }),
    ctx,
  );
}

// ---------------------------------------------------------------------------------------------
// resetObjectAcls

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
interface Target {
  key: string;
  versionId: string;
}

/**
 * Pages of object versions to reset: every version (or only the current one) under the prefix,
 * or of the listed keys. Delete markers have no ACL and are left out.
 */
async function* targetPages(
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
async function countTargets(
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

function emptyCounts(): ResetObjectAclsOutput['counts'] {
  return { scanned: 0, public: 0, crossAccount: 0, changed: 0, unchanged: 0, failed: 0, skipped: 0 };
}

function baseResetOutput(input: ResetObjectAclsInput, scope: AclScope): ResetObjectAclsOutput {
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
async function scanAndReset(
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
async function writeManifest(
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

const BATCH_MANUAL_UNDO =
  'the ACLs were reset by S3 Batch Operations, which keeps no before-state; at this scale the original ACLs were not dumped, so undo is manual';

async function resetObjectAclsRun(
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

async function restoreAclsFromEvidence(
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

// ---------------------------------------------------------------------------------------------
// restoreDeleted

export interface RestoreDeletedInput {
  bucket: string;
  region?: string;
  keys?: string[];
  prefix?: string;
  since?: string;
  until?: string;
  concurrency?: number;
}

/** What restoreDeleted does (or would do) for one key. */
export type KeyPlan =
  | { key: string; action: 'removeDeleteMarker'; markerIds: string[]; revealsVersionId: string }
  | {
      key: string;
      action: 'copyBack';
      sourceVersionId: string;
      sourceLastModified?: string;
      priorVersionId: string;
      priorIsDeleteMarker: boolean;
      size?: number;
    }
  | { key: string; action: 'unrecoverable'; reason: string }
  | { key: string; action: 'none'; reason: string };

/** A change made, as written to evidence and read back by undo. */
export type KeyChange =
  | { key: string; action: 'removeDeleteMarker'; markerIds: string[]; revealsVersionId: string }
  | { key: string; action: 'copyBack'; sourceVersionId: string; newVersionId: string; priorVersionId: string };

/**
 * Decide for one key (its versions newest first) following Part 4 of the runbook:
 * - latest is a delete marker → remove the marker(s) on top, revealing the newest version —
 *   unless that version itself was written inside the window, then copy back the newest
 *   version written before `since`;
 * - latest is a version written inside [since, until] → copy back the newest version written
 *   before `since`;
 * - no version to go back to → unrecoverable (Part 4 step 2: look for other copies).
 */
export function planKey(key: string, entries: VersionEntry[], since?: number, until?: number): KeyPlan {
  if (entries.length === 0)
    return {
      key,
      action: 'unrecoverable',
      reason: 'no version of this key exists (deleted with a version id, or never written here)',
    };
  const latest = entries[0];
  const t = time(latest);
  const inWindow = (since === undefined || t >= since) && (until === undefined || t <= until);
  const hasWindow = since !== undefined || until !== undefined;
  const newestBefore = (limit: number) => entries.find((e) => !e.deleteMarker && time(e) < limit);
  if (latest.deleteMarker) {
    if (hasWindow && !inWindow) return { key, action: 'none', reason: 'deleted outside the time window' };
    const markers: string[] = [];
    let revealed: VersionEntry | undefined;
    for (const e of entries) {
      if (!e.deleteMarker) {
        revealed = e;
        break;
      }
      markers.push(e.versionId);
    }
    if (!revealed)
      return {
        key,
        action: 'unrecoverable',
        reason: 'only delete markers remain: every version was deleted permanently',
      };
    if (since !== undefined && time(revealed) >= since) {
      const target = newestBefore(since);
      if (!target)
        return { key, action: 'unrecoverable', reason: 'deleted, and no version was written before the time window' };
      return copyPlan(key, target, latest);
    }
    return { key, action: 'removeDeleteMarker', markerIds: markers, revealsVersionId: revealed.versionId };
  }
  if (since === undefined)
    return {
      key,
      action: 'none',
      reason: hasWindow ? 'no window start (since) to restore to' : 'the current version is live',
    };
  if (!inWindow) return { key, action: 'none', reason: 'not modified inside the time window' };
  const target = newestBefore(since);
  if (!target)
    return { key, action: 'unrecoverable', reason: 'modified inside the time window, and no earlier version exists' };
  return copyPlan(key, target, latest);
}

function copyPlan(key: string, target: VersionEntry, latest: VersionEntry): KeyPlan {
  return {
    key,
    action: 'copyBack',
    sourceVersionId: target.versionId,
    ...(target.lastModified ? { sourceLastModified: target.lastModified } : {}),
    priorVersionId: latest.versionId,
    priorIsDeleteMarker: latest.deleteMarker,
    ...(target.size !== undefined ? { size: target.size } : {}),
  };
}

function parseWindow(input: RestoreDeletedInput): { since?: number; until?: number } {
  const w: { since?: number; until?: number } = {};
  for (const k of ['since', 'until'] as const) {
    const v = input[k];
    if (v === undefined) continue;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new IrunError(Codes.INPUT_INVALID, `${k} is not a date: ${v}`);
    w[k] = ms;
  }
  if (w.since !== undefined && w.until !== undefined && w.until < w.since)
    throw new IrunError(Codes.INPUT_INVALID, 'until is before since');
  return w;
}

/** Pages of key plans (at most ~1000 keys each) for the listed keys or the prefix. */
async function* planPages(
  ctx: ActionContext,
  s3: S3Client,
  input: RestoreDeletedInput,
): AsyncGenerator<{ plans: KeyPlan[]; keys: number }> {
  const { since, until } = parseWindow(input);
  if (input.keys) {
    const concurrency = input.concurrency ?? 16;
    for (const group of chunk(input.keys, Math.max(concurrency, 16))) {
      const lists = await Promise.all(group.map((k) => keyVersions(ctx, s3, input.bucket, k)));
      yield { plans: group.map((k, i) => planKey(k, lists[i], since, until)), keys: group.length };
    }
    return;
  }
  let plans: KeyPlan[] = [];
  let keys = 0;
  for await (const g of keyGroups(versionPages(ctx, s3, input.bucket, input.prefix))) {
    keys++;
    plans.push(planKey(g.key, g.entries, since, until));
    if (keys % 1000 === 0) {
      yield { plans, keys: 1000 };
      plans = [];
    }
  }
  if (plans.length > 0 || keys % 1000 !== 0) yield { plans, keys: keys % 1000 };
}

export interface RestoreDeletedOutput {
  bucket: string;
  changed: boolean;
  counts: {
    keys: number;
    restored: number;
    removedDeleteMarkers: number;
    copiedBack: number;
    unrecoverable: number;
    unchanged: number;
    failed: number;
  };
  restored: KeyChange[];
  unrecoverable: { key: string; reason: string }[];
  skipped: { key: string; reason: string }[];
  truncated: boolean;
  evidence: { before: (EvidenceRef & { count: number })[]; changes: (EvidenceRef & { count: number })[] };
  errors: FailureSample[];
  before: { keysToRestore: number };
  after: { keysRestored: number };
}

async function applyPlan(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  plan: KeyPlan,
): Promise<KeyChange | undefined> {
  const { DeleteObjectCommand, CopyObjectCommand } = await import('@aws-sdk/client-s3');
  if (plan.action === 'removeDeleteMarker') {
    for (const id of plan.markerIds) {
      await send<DeleteObjectCommandOutput>(
        s3,
        new DeleteObjectCommand({ Bucket: bucket, Key: plan.key, VersionId: id }),
        ctx,
      );
    }
    return {
      key: plan.key,
      action: 'removeDeleteMarker',
      markerIds: plan.markerIds,
      revealsVersionId: plan.revealsVersionId,
    };
  }
  if (plan.action === 'copyBack') {
    if (plan.size !== undefined && plan.size > MAX_COPY_BYTES)
      throw tooLarge(bucket, plan.key, plan.sourceVersionId, plan.size);
    const out = await send<CopyObjectCommandOutput>(
      s3,
      new CopyObjectCommand({
        Bucket: bucket,
        Key: plan.key,
        CopySource: copySource(bucket, plan.key, plan.sourceVersionId),
      }),
      ctx,
    );
    return {
      key: plan.key,
      action: 'copyBack',
      sourceVersionId: plan.sourceVersionId,
      newVersionId: out?.VersionId ?? 'null',
      priorVersionId: plan.priorVersionId,
    };
  }
  return undefined;
}

function tooLarge(bucket: string, key: string, versionId: string, size: number): IrunError {
  return new IrunError(
    Codes.OBJECT_TOO_LARGE,
    `s3://${bucket}/${key} version ${versionId} is ${size} bytes: CopyObject copies at most 5 GB; restore it with a multipart upload (UploadPartCopy)`,
    { details: { bucket, key, versionId, size } },
  );
}

async function restoreDeletedWork(
  ctx: ActionContext,
  input: RestoreDeletedInput,
  write: boolean,
): Promise<RestoreDeletedOutput> {
  const s3 = await s3For(ctx, input.bucket, input.region);
  const pool = new AsyncPool(input.concurrency ?? 16);
  allowListeners(ctx.signal, pool.limit);
  const failures = new Failures();
  const beforeFiles = new EvidenceChunks(ctx, 'restore-deleted-before');
  const changeFiles = new EvidenceChunks(ctx, 'restore-deleted-changes');
  const out: RestoreDeletedOutput = {
    bucket: input.bucket,
    changed: false,
    counts: { keys: 0, restored: 0, removedDeleteMarkers: 0, copiedBack: 0, unrecoverable: 0, unchanged: 0, failed: 0 },
    restored: [],
    unrecoverable: [],
    skipped: [],
    truncated: false,
    evidence: { before: beforeFiles.files, changes: changeFiles.files },
    errors: [],
    before: { keysToRestore: 0 },
    after: { keysRestored: 0 },
  };
  const keep = <T>(list: T[], item: T) => {
    if (list.length < LIST_CAP) list.push(item);
    else out.truncated = true;
  };
  let ok = 0;
  for await (const { plans, keys } of planPages(ctx, s3, input)) {
    out.counts.keys += keys;
    const todo: KeyPlan[] = [];
    for (const p of plans) {
      if (p.action === 'unrecoverable') {
        out.counts.unrecoverable++;
        keep(out.unrecoverable, { key: p.key, reason: p.reason });
      } else if (p.action === 'none') {
        out.counts.unchanged++;
        if (input.keys) keep(out.skipped, { key: p.key, reason: p.reason });
      } else todo.push(p);
    }
    out.before.keysToRestore += todo.length;
    if (!write) {
      for (const p of todo) {
        if (p.action === 'removeDeleteMarker') {
          out.counts.removedDeleteMarkers++;
          keep(out.restored, {
            key: p.key,
            action: 'removeDeleteMarker',
            markerIds: p.markerIds,
            revealsVersionId: p.revealsVersionId,
          });
        } else if (p.action === 'copyBack') {
          out.counts.copiedBack++;
          keep(out.restored, {
            key: p.key,
            action: 'copyBack',
            sourceVersionId: p.sourceVersionId,
            newVersionId: '(new)',
            priorVersionId: p.priorVersionId,
          });
        }
      }
      continue;
    }
    if (todo.length === 0) continue;
    await beforeFiles.write(todo);
    const changes: KeyChange[] = [];
    for (const p of todo) {
      await pool.submit(async () => {
        try {
          const change = await applyPlan(ctx, s3, input.bucket, p);
          ok++;
          if (!change) return;
          changes.push(change);
          out.counts.restored++;
          if (change.action === 'removeDeleteMarker') out.counts.removedDeleteMarkers++;
          else out.counts.copiedBack++;
          keep(out.restored, change);
        } catch (err) {
          if (isFatal(err)) throw err;
          failures.record(p.key, undefined, err);
          failFastCheck(failures, ok, 'restoreDeleted');
        }
      });
    }
    try {
      await pool.drain();
    } finally {
      // Record what was done even when the pool stopped, so undo covers it.
      await changeFiles.write(changes);
    }
    ctx.progress({
      done: out.counts.keys,
      message: `${out.counts.keys} keys checked, ${out.counts.restored} restored`,
    });
  }
  out.counts.failed = failures.count;
  out.errors = failures.samples;
  out.after.keysRestored = out.counts.restored;
  out.changed = out.counts.restored > 0;
  if (write && failures.count > 0) {
    throw new IrunError(
      Codes.BULK_PARTIAL_FAILURE,
      `restoreDeleted: ${failures.count} key(s) failed (${out.counts.restored} restored); first: ${failures.samples[0]?.message}`,
      {
        details: { ...out },
      },
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Single-object helpers

/** The newest entry (version or delete marker) of a key, or undefined when it has none. */
async function latestOf(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<VersionEntry | undefined> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  // The key sorts before every longer key with the same prefix, so its newest entry comes first.
  const out = await send<ListObjectVersionsCommandOutput>(
    s3,
    new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 1 }),
    ctx,
  );
  const first = mergePage(out)[0];
  return first && first.key === key ? first : undefined;
}

async function head(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<HeadObjectCommandOutput | undefined> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    return (await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      { abortSignal: ctx.signal },
    )) as HeadObjectCommandOutput;
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchVersion') return undefined;
    throw toIrunError(err, 'HeadObject');
  }
}

/** The `Restore` header: ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT". */
export function parseRestore(header: string | undefined): { ongoing: boolean; expiry?: string } | null {
  if (!header) return null;
  const ongoing = /ongoing-request="(true|false)"/.exec(header)?.[1] === 'true';
  const exp = /expiry-date="([^"]+)"/.exec(header)?.[1];
  const res: { ongoing: boolean; expiry?: string } = { ongoing };
  if (exp && !Number.isNaN(Date.parse(exp))) res.expiry = new Date(exp).toISOString();
  return res;
}

const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE']);

function headSummary(h: HeadObjectCommandOutput): Record<string, unknown> {
  return plain({
    versionId: h.VersionId,
    size: h.ContentLength,
    lastModified: h.LastModified,
    etag: h.ETag,
    contentType: h.ContentType,
    storageClass: h.StorageClass ?? 'STANDARD',
    archiveStatus: h.ArchiveStatus,
    restore: parseRestore(h.Restore),
    serverSideEncryption: h.ServerSideEncryption,
    sseKmsKeyId: h.SSEKMSKeyId,
    objectLockMode: h.ObjectLockMode,
    objectLockRetainUntilDate: h.ObjectLockRetainUntilDate,
    objectLockLegalHold: h.ObjectLockLegalHoldStatus,
    replicationStatus: h.ReplicationStatus,
    metadata: h.Metadata,
  });
}

// ---------------------------------------------------------------------------------------------
// Actions

interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string;
  region?: string;
}

interface PutObjectAclBefore {
  ownership: string | null;
  bucketOwnerId: string | null;
  acl: PlainAcl | null;
}

interface RestoreVersionBefore {
  current: { versionId: string; deleteMarker: boolean } | null;
  source: { versionId: string; size?: number; storageClass?: string };
}

interface DeleteVersionBefore {
  found: boolean;
  deleteMarker: boolean;
  isLatest: boolean;
  lastModified?: string;
  size?: number;
}

interface RestoreArchivedInput extends ObjectRef {
  days?: number;
  tier?: 'Standard' | 'Bulk' | 'Expedited';
  wait?: boolean;
  pollSeconds?: number;
}

interface RestoreArchivedBefore {
  exists: boolean;
  storageClass: string;
  archiveStatus?: string;
  restore: { ongoing: boolean; expiry?: string } | null;
}

function needsRestore(b: RestoreArchivedBefore): boolean {
  if (!b.exists) return false;
  const archived = ARCHIVED.has(b.storageClass) || (b.storageClass === 'INTELLIGENT_TIERING' && !!b.archiveStatus);
  if (!archived) return false;
  return b.restore === null; // in progress or already restored: nothing to request
}

const objectInput = (extra: Record<string, unknown> = {}, required: string[] = ['bucket', 'key']): JsonSchema => ({
  type: 'object',
  properties: { bucket: BUCKET, key: KEY, versionId: VERSION_ID, region: REGION, ...extra },
  required,
  additionalProperties: false,
});

export const objectActions: Record<string, ActionDefinition> = {
  listObjectsV2: defineAction<{ bucket: string; region?: string; prefix?: string; maxKeys?: number }>({
    title: 'List objects',
    description: 'List the current objects of a bucket under a prefix (ListObjectsV2, paginated), up to maxKeys items.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html',
    effect: 'read',
    permissions: ['s3:ListBucket'],
    input: {
      type: 'object',
      properties: {
        bucket: BUCKET,
        region: REGION,
        prefix: PREFIX,
        maxKeys: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'Most items returned' },
      },
      required: ['bucket'],
      additionalProperties: false,
    },
    output: {
      type: 'object',
      properties: {
        bucket: { type: 'string' },
        prefix: { type: ['string', 'null'] },
        objects: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              key: { type: 'string' },
              size: { type: 'integer' },
              lastModified: { type: 'string' },
              etag: { type: 'string' },
              storageClass: { type: 'string' },
            },
          },
        },
        count: { type: 'integer' },
        truncated: { type: 'boolean' },
      },
      required: ['objects', 'count', 'truncated'],
    },
    example: { bucket: 'example-bucket', prefix: 'exports/' },
    async run(ctx, input) {
      const { paginateListObjectsV2 } = await import('@aws-sdk/client-s3');
      const s3 = await s3For(ctx, input.bucket, input.region);
      const max = input.maxKeys ?? 1000;
      const objects: Record<string, unknown>[] = [];
      let truncated = false;
      try {
        for await (const page of paginateListObjectsV2(
          { client: s3, pageSize: Math.min(1000, max) },
          { Bucket: input.bucket, ...(input.prefix ? { Prefix: input.prefix } : {}) },
        ) as AsyncIterable<ListObjectsV2CommandOutput>) {
          for (const o of page.Contents ?? []) {
            if (objects.length >= max) {
              truncated = true;
              break;
            }
            objects.push(
              plain({
                key: o.Key,
                size: o.Size,
                lastModified: o.LastModified,
                etag: o.ETag,
                storageClass: o.StorageClass,
              }),
            );
          }
          if (truncated) break;
          if (objects.length >= max && page.IsTruncated) {
            truncated = true;
            break;
          }
          if (ctx.signal.aborted) break;
        }
      } catch (err) {
        throw toIrunError(err, 'ListObjectsV2');
      }
      return { bucket: input.bucket, prefix: input.prefix ?? null, objects, count: objects.length, truncated };
    },
  }),

  listObjectVersions: defineAction<{ bucket: string; region?: string; prefix?: string; max?: number }>({
    title: 'List object versions',
    description:
      'List object versions and delete markers under a prefix (ListObjectVersions, following key and version-id markers), up to max entries.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html',
    effect: 'read',
    permissions: ['s3:ListBucketVersions'],
    input: {
      type: 'object',
      properties: {
        bucket: BUCKET,
        region: REGION,
        prefix: PREFIX,
        max: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'Most entries returned' },
      },
      required: ['bucket'],
      additionalProperties: false,
    },
    output: {
      type: 'object',
      properties: {
        bucket: { type: 'string' },
        prefix: { type: ['string', 'null'] },
        versions: { type: 'array', items: VERSION_ENTRY },
        deleteMarkers: { type: 'array', items: VERSION_ENTRY },
        count: { type: 'integer' },
        truncated: { type: 'boolean' },
      },
      required: ['versions', 'deleteMarkers', 'truncated'],
    },
    example: { bucket: 'example-bucket', prefix: 'exports/' },
    async run(ctx, input) {
      const s3 = await s3For(ctx, input.bucket, input.region);
      const max = input.max ?? 1000;
      const versions: VersionEntry[] = [];
      const deleteMarkers: VersionEntry[] = [];
      let n = 0;
      let truncated = false;
      outer: for await (const page of versionPages(ctx, s3, input.bucket, input.prefix, {
        pageSize: Math.min(1000, max),
      })) {
        for (const e of page) {
          if (n >= max) {
            truncated = true;
            break outer;
          }
          (e.deleteMarker ? deleteMarkers : versions).push(e);
          n++;
        }
      }
      return { bucket: input.bucket, prefix: input.prefix ?? null, versions, deleteMarkers, count: n, truncated };
    },
  }),

  headObject: defineAction<ObjectRef>({
    title: 'Object metadata',
    description:
      "Read an object version's metadata (HeadObject): size, storage class, restore status, encryption, Object Lock. A missing object is a result (exists: false).",
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html',
    effect: 'read',
    permissions: ['s3:GetObject', 's3:GetObjectVersion'],
    input: objectInput(),
    output: {
      type: 'object',
      properties: {
        bucket: { type: 'string' },
        key: { type: 'string' },
        exists: { type: 'boolean' },
        versionId: { type: 'string' },
        size: { type: 'integer' },
        lastModified: { type: 'string' },
        storageClass: { type: 'string' },
        restore: { type: ['object', 'null'], properties: { ongoing: { type: 'boolean' }, expiry: { type: 'string' } } },
      },
      required: ['exists'],
    },
    example: { bucket: 'example-bucket', key: 'exports/customers.csv' },
    async run(ctx, input) {
      const s3 = await s3For(ctx, input.bucket, input.region);
      const h = await head(ctx, s3, input.bucket, input.key, input.versionId);
      if (!h) return { bucket: input.bucket, key: input.key, exists: false };
      return { bucket: input.bucket, key: input.key, exists: true, ...headSummary(h) };
    },
  }),

  getObjectAcl: defineAction<ObjectRef>({
    title: 'Object ACL',
    description:
      'Read the ACL of one object version (GetObjectAcl) and flag grants to AllUsers / AuthenticatedUsers and to other accounts.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html',
    effect: 'read',
    permissions: ['s3:GetObjectAcl', 's3:GetObjectVersionAcl'],
    input: objectInput(),
    output: {
      type: 'object',
      properties: {
        bucket: { type: 'string' },
        key: { type: 'string' },
        versionId: { type: ['string', 'null'] },
        ...(ACL_SCHEMA.properties as Record<string, unknown>),
        public: { type: 'boolean' },
        crossAccount: { type: 'boolean' },
        offending: { type: 'array', items: { type: 'string' } },
      },
      required: ['grants', 'public'],
    },
    example: { bucket: 'example-bucket', key: 'exports/customers.csv' },
    async run(ctx, input) {
      const s3 = await s3For(ctx, input.bucket, input.region);
      const acl = await getAcl(ctx, s3, input.bucket, input.key, input.versionId);
      const v = classifyAcl(acl, undefined);
      return {
        bucket: input.bucket,
        key: input.key,
        versionId: input.versionId ?? null,
        ...acl,
        public: v.public,
        crossAccount: v.crossAccount,
        offending: v.offending,
      };
    },
  }),

  putObjectAcl: defineAction<ObjectRef, Record<string, unknown>, PutObjectAclBefore>({
    title: 'Reset an object ACL to owner-only',
    description:
      'Replace the ACL of one object version with owner-only: FULL_CONTROL to the bucket owner, nothing else (PutObjectAcl with VersionId). ' +
      'Skipped when the bucket enforces bucket-owner object ownership (ACLs disabled). Undo puts the saved Owner and Grants back.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html',
    effect: 'mutate',
    permissions: [
      's3:GetObjectAcl',
      's3:GetObjectVersionAcl',
      's3:PutObjectAcl',
      's3:PutObjectVersionAcl',
      's3:GetBucketAcl',
      's3:GetBucketOwnershipControls',
    ],
    input: objectInput(),
    output: {
      type: 'object',
      properties: {
        configured: { type: 'boolean' },
        skipped: { type: 'boolean' },
        reason: { type: 'string' },
        changed: { type: 'boolean' },
        before: { type: ['object', 'null'] },
        after: { type: ['object', 'null'] },
      },
      required: ['changed'],
    },
    example: { bucket: 'example-bucket', key: 'exports/customers.csv', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' },
    async capture(ctx, input) {
      const scope = await aclScope(ctx, input.bucket, input.region);
      let acl: PlainAcl | null = null;
      if (scope.ownership !== 'BucketOwnerEnforced') {
        const s3 = await s3For(ctx, input.bucket, input.region);
        acl = await getAcl(ctx, s3, input.bucket, input.key, input.versionId);
      }
      const before = { ownership: scope.ownership, bucketOwnerId: scope.bucketOwnerId, acl };
      await ctx.evidence.save('object-acl-before', {
        bucket: input.bucket,
        key: input.key,
        versionId: input.versionId ?? null,
        ...before,
      });
      return before;
    },
    async run(ctx, input, captured) {
      const before = captured ?? (await objectActions.putObjectAcl.capture!(ctx, input));
      if (before.ownership === 'BucketOwnerEnforced' || !before.acl || !before.bucketOwnerId) {
        return { skipped: true, changed: false, reason: ENFORCED_REASON, before: null, after: null };
      }
      if (isOwnerOnly(before.acl, before.bucketOwnerId)) {
        return { changed: false, reason: 'already owner-only', before: before.acl, after: before.acl };
      }
      const s3 = await s3For(ctx, input.bucket, input.region);
      await putAcl(
        ctx,
        s3,
        input.bucket,
        input.key,
        input.versionId,
        ownerOnlyAcl(before.acl.owner, before.bucketOwnerId),
      );
      const after = await getAcl(ctx, s3, input.bucket, input.key, input.versionId);
      await ctx.evidence.save('object-acl-after', {
        bucket: input.bucket,
        key: input.key,
        versionId: input.versionId ?? null,
        acl: after,
      });
      return { changed: true, before: before.acl, after };
    },
    async preview(_ctx, input, before) {
      if (!before || before.ownership === 'BucketOwnerEnforced' || !before.acl || !before.bucketOwnerId) {
        return { summary: `ACLs are disabled on ${input.bucket} (BucketOwnerEnforced): nothing to change`, noop: true };
      }
      const after = ownerOnlyAcl(before.acl.owner, before.bucketOwnerId);
      const noop = isOwnerOnly(before.acl, before.bucketOwnerId);
      return {
        summary: noop
          ? `ACL of s3://${input.bucket}/${input.key} is already owner-only`
          : `Reset ACL of s3://${input.bucket}/${input.key}${input.versionId ? ` (version ${input.versionId})` : ''} to owner-only, removing: ${classifyAcl(before.acl, before.bucketOwnerId).offending.join(', ') || describeAcl(before.acl).join(', ')}`,
        noop,
        before: before.acl,
        after,
      };
    },
    reversible: () => true,
    async undo(ctx, input, before, output) {
      if (!before?.acl || output?.changed === false) return { restored: false };
      const s3 = await s3For(ctx, input.bucket, input.region);
      await putAcl(ctx, s3, input.bucket, input.key, input.versionId, before.acl);
      return { restored: true };
    },
  }),

  restoreObjectVersion: defineAction<ObjectRef & { versionId: string }, Record<string, unknown>, RestoreVersionBefore>({
    title: 'Restore an earlier object version',
    description:
      'Make an earlier version the current one by copying it on top of the object (CopyObject from `bucket/key?versionId=`). ' +
      'Objects over 5 GB need UploadPartCopy and fail clearly. Undo deletes the new version.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html',
    effect: 'mutate',
    permissions: [
      's3:GetObjectVersion',
      's3:GetObjectVersionTagging',
      's3:PutObject',
      's3:ListBucketVersions',
      's3:DeleteObjectVersion',
    ],
    input: objectInput({}, ['bucket', 'key', 'versionId']),
    output: {
      type: 'object',
      properties: {
        changed: { type: 'boolean' },
        before: {
          type: 'object',
          properties: { versionId: { type: ['string', 'null'] }, deleteMarker: { type: 'boolean' } },
        },
        after: {
          type: 'object',
          properties: { versionId: { type: ['string', 'null'] }, sourceVersionId: { type: 'string' } },
        },
        newVersionId: { type: ['string', 'null'] },
        reason: { type: 'string' },
      },
      required: ['changed'],
    },
    example: { bucket: 'example-bucket', key: 'exports/customers.csv', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' },
    async capture(ctx, input) {
      const s3 = await s3For(ctx, input.bucket, input.region);
      const latest = await latestOf(ctx, s3, input.bucket, input.key);
      const src = await head(ctx, s3, input.bucket, input.key, input.versionId);
      if (!src)
        throw new IrunError(
          Codes.ACTION_FAILED,
          `s3://${input.bucket}/${input.key} has no version ${input.versionId}`,
          { details: { bucket: input.bucket, key: input.key, versionId: input.versionId } },
        );
      const before: RestoreVersionBefore = {
        current: latest ? { versionId: latest.versionId, deleteMarker: latest.deleteMarker } : null,
        source: plain({ versionId: input.versionId, size: src.ContentLength, storageClass: src.StorageClass }),
      };
      await ctx.evidence.save('object-version-before', { bucket: input.bucket, key: input.key, ...before });
      return before;
    },
    async run(ctx, input, captured) {
      const before = captured ?? (await objectActions.restoreObjectVersion.capture!(ctx, input));
      const prior = {
        versionId: before.current?.versionId ?? null,
        deleteMarker: before.current?.deleteMarker ?? false,
      };
      if (before.current && !before.current.deleteMarker && before.current.versionId === input.versionId) {
        return {
          changed: false,
          reason: 'that version is already the current one',
          before: prior,
          after: { versionId: input.versionId, sourceVersionId: input.versionId },
          newVersionId: null,
        };
      }
      if ((before.source.size ?? 0) > MAX_COPY_BYTES)
        throw tooLarge(input.bucket, input.key, input.versionId, before.source.size!);
      const { CopyObjectCommand } = await import('@aws-sdk/client-s3');
      const s3 = await s3For(ctx, input.bucket, input.region);
      const out = await send<CopyObjectCommandOutput>(
        s3,
        new CopyObjectCommand({
          Bucket: input.bucket,
          Key: input.key,
          CopySource: copySource(input.bucket, input.key, input.versionId),
        }),
        ctx,
      );
      const newVersionId = out?.VersionId ?? null;
      await ctx.evidence.save('object-version-after', {
        bucket: input.bucket,
        key: input.key,
        priorVersionId: prior.versionId,
        newVersionId,
        sourceVersionId: input.versionId,
      });
      return {
        changed: true,
        before: prior,
        after: { versionId: newVersionId, sourceVersionId: input.versionId },
        newVersionId,
      };
    },
    async preview(_ctx, input, before) {
      const cur = before?.current;
      const noop = !!cur && !cur.deleteMarker && cur.versionId === input.versionId;
      const big = (before?.source.size ?? 0) > MAX_COPY_BYTES;
      return {
        summary: noop
          ? `Version ${input.versionId} of s3://${input.bucket}/${input.key} is already current`
          : `Copy version ${input.versionId} of s3://${input.bucket}/${input.key} on top of ${cur ? (cur.deleteMarker ? `delete marker ${cur.versionId}` : `current version ${cur.versionId}`) : 'nothing'}${big ? ' (over 5 GB: would fail, needs UploadPartCopy)' : ''}`,
        noop,
        before: cur ?? null,
        after: { versionId: '(new version)', sourceVersionId: input.versionId },
      };
    },
    reversible: () => true,
    async undo(ctx, input, _before, output) {
      const v = output?.newVersionId as string | null | undefined;
      if (!output?.changed || !v) return { deleted: null };
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      const s3 = await s3For(ctx, input.bucket, input.region);
      await send(s3, new DeleteObjectCommand({ Bucket: input.bucket, Key: input.key, VersionId: v }), ctx);
      return { deleted: v };
    },
  }),

  deleteObjectVersion: defineAction<ObjectRef & { versionId: string }, Record<string, unknown>, DeleteVersionBefore>({
    title: 'Delete an object version or delete marker',
    description:
      'Permanently delete one object version (DeleteObject with VersionId) — used to remove a delete marker and bring the object back. ' +
      'Removing a delete marker can be undone (a new marker is created); deleting a real version cannot.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/RemDelMarker.html',
    effect: 'mutate',
    permissions: ['s3:DeleteObjectVersion', 's3:ListBucketVersions', 's3:DeleteObject'],
    input: objectInput({}, ['bucket', 'key', 'versionId']),
    output: {
      type: 'object',
      properties: {
        changed: { type: 'boolean' },
        deleteMarker: { type: 'boolean' },
        before: { type: 'object' },
        after: { type: ['object', 'null'] },
        reason: { type: 'string' },
      },
      required: ['changed'],
    },
    example: { bucket: 'example-bucket', key: 'exports/customers.csv', versionId: 'null' },
    async capture(ctx, input) {
      const s3 = await s3For(ctx, input.bucket, input.region);
      const all = await keyVersions(ctx, s3, input.bucket, input.key);
      const hit = all.find((e) => e.versionId === input.versionId);
      const before: DeleteVersionBefore = hit
        ? plain({
            found: true,
            deleteMarker: hit.deleteMarker,
            isLatest: hit.isLatest,
            lastModified: hit.lastModified,
            size: hit.size,
          })
        : { found: false, deleteMarker: false, isLatest: false };
      await ctx.evidence.save('object-version-before', {
        bucket: input.bucket,
        key: input.key,
        versionId: input.versionId,
        ...before,
      });
      return before;
    },
    async run(ctx, input, captured) {
      const before = captured ?? (await objectActions.deleteObjectVersion.capture!(ctx, input));
      if (!before.found) return { changed: false, deleteMarker: false, reason: 'no such version', before, after: null };
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      const s3 = await s3For(ctx, input.bucket, input.region);
      const out = await send<DeleteObjectCommandOutput>(
        s3,
        new DeleteObjectCommand({ Bucket: input.bucket, Key: input.key, VersionId: input.versionId }),
        ctx,
      );
      const latest = await latestOf(ctx, s3, input.bucket, input.key);
      const after = latest
        ? { currentVersionId: latest.versionId, currentIsDeleteMarker: latest.deleteMarker }
        : { currentVersionId: null, currentIsDeleteMarker: false };
      await ctx.evidence.save('object-version-after', {
        bucket: input.bucket,
        key: input.key,
        deleted: input.versionId,
        ...after,
      });
      return { changed: true, deleteMarker: out?.DeleteMarker ?? before.deleteMarker, before, after };
    },
    async preview(_ctx, input, before) {
      if (!before?.found)
        return {
          summary: `s3://${input.bucket}/${input.key} has no version ${input.versionId}: nothing to delete`,
          noop: true,
        };
      return {
        summary: before.deleteMarker
          ? `Remove delete marker ${input.versionId} of s3://${input.bucket}/${input.key}${before.isLatest ? ', restoring the object' : ''}`
          : `Permanently delete version ${input.versionId} of s3://${input.bucket}/${input.key} (cannot be undone)`,
        before,
        after: null,
      };
    },
    reversible(_input, before) {
      if (!before?.found) return true;
      if (!before.deleteMarker)
        return 'a deleted object version is gone for good: S3 cannot recreate it (only a delete marker can be put back)';
      if (!before.isLatest)
        return 'the removed delete marker was not the latest version; a new marker would hide the current object instead of restoring the old state';
      return true;
    },
    async undo(ctx, input, before) {
      if (!before?.found) return { created: null };
      if (!before.deleteMarker || !before.isLatest) {
        throw new IrunError(
          Codes.ACTION_FAILED,
          `deleting version ${input.versionId} of s3://${input.bucket}/${input.key} cannot be undone`,
        );
      }
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      const s3 = await s3For(ctx, input.bucket, input.region);
      const out = await send<DeleteObjectCommandOutput>(
        s3,
        new DeleteObjectCommand({ Bucket: input.bucket, Key: input.key }),
        ctx,
      );
      return { createdDeleteMarker: out?.VersionId ?? null };
    },
  }),

  restoreArchived: defineAction<RestoreArchivedInput, Record<string, unknown>, RestoreArchivedBefore>({
    title: 'Restore an archived object',
    description:
      'Request a temporary copy of an object archived in S3 Glacier Flexible Retrieval / Deep Archive / Intelligent-Tiering archive tiers ' +
      '(HeadObject, then RestoreObject with Days and Tier), optionally waiting until the copy is available. Not reversible: the copy expires after `days`.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html',
    effect: 'mutate',
    permissions: ['s3:RestoreObject', 's3:GetObject', 's3:GetObjectVersion'],
    input: objectInput({
      days: {
        type: 'integer',
        minimum: 1,
        maximum: 365,
        default: 7,
        description: 'Days the restored copy stays available',
      },
      tier: { type: 'string', enum: ['Standard', 'Bulk', 'Expedited'], default: 'Standard' },
      wait: {
        type: 'boolean',
        default: false,
        description: 'Poll HeadObject until the copy is available (or the step times out)',
      },
      pollSeconds: { type: 'number', minimum: 0, maximum: 3600, default: 60 },
    }),
    output: {
      type: 'object',
      properties: {
        changed: { type: 'boolean' },
        requested: { type: 'boolean' },
        restored: { type: 'boolean' },
        storageClass: { type: 'string' },
        restore: { type: ['object', 'null'], properties: { ongoing: { type: 'boolean' }, expiry: { type: 'string' } } },
        reason: { type: 'string' },
        before: { type: 'object' },
      },
      required: ['changed'],
    },
    example: { bucket: 'example-bucket', key: 'archive/2023/ledger.csv', days: 7, tier: 'Standard' },
    async capture(ctx, input) {
      const s3 = await s3For(ctx, input.bucket, input.region);
      const h = await head(ctx, s3, input.bucket, input.key, input.versionId);
      const before: RestoreArchivedBefore = h
        ? plain({
            exists: true,
            storageClass: h.StorageClass ?? 'STANDARD',
            archiveStatus: h.ArchiveStatus,
            restore: parseRestore(h.Restore),
          })
        : { exists: false, storageClass: 'NONE', restore: null };
      await ctx.evidence.save('object-restore-before', {
        bucket: input.bucket,
        key: input.key,
        versionId: input.versionId ?? null,
        ...before,
      });
      return before;
    },
    async run(ctx, input, captured) {
      const before = captured ?? (await objectActions.restoreArchived.capture!(ctx, input));
      if (!before.exists)
        throw new IrunError(
          Codes.ACTION_FAILED,
          `s3://${input.bucket}/${input.key} does not exist${input.versionId ? ` (version ${input.versionId})` : ''}`,
        );
      const s3 = await s3For(ctx, input.bucket, input.region);
      let requested = false;
      if (needsRestore(before)) {
        const { RestoreObjectCommand } = await import('@aws-sdk/client-s3');
        const tier = input.tier ?? 'Standard';
        // Intelligent-Tiering archive tiers restore into the frequent tier: Days is not allowed.
        const request =
          before.storageClass === 'INTELLIGENT_TIERING'
            ? { GlacierJobParameters: { Tier: tier } }
            : { Days: input.days ?? 7, GlacierJobParameters: { Tier: tier } };
        try {
          await s3.send(
            new RestoreObjectCommand({
              Bucket: input.bucket,
              Key: input.key,
              ...(input.versionId ? { VersionId: input.versionId } : {}),
              RestoreRequest: request,
            }),
            { abortSignal: ctx.signal },
          );
          requested = true;
        } catch (err) {
          if (awsErrorName(err) !== 'RestoreAlreadyInProgress') throw toIrunError(err, 'RestoreObject');
        }
      }
      let h = await head(ctx, s3, input.bucket, input.key, input.versionId);
      let restore = parseRestore(h?.Restore);
      if (input.wait && restore?.ongoing) {
        const pollMs = (input.pollSeconds ?? 60) * 1000;
        while (restore?.ongoing) {
          ctx.progress({ message: `waiting for the restore of s3://${input.bucket}/${input.key}` });
          await ctx.sleep(pollMs);
          h = await head(ctx, s3, input.bucket, input.key, input.versionId);
          restore = parseRestore(h?.Restore);
        }
      }
      const archived =
        ARCHIVED.has(before.storageClass) || (before.storageClass === 'INTELLIGENT_TIERING' && !!before.archiveStatus);
      const restored =
        !archived ||
        (restore !== null && !restore.ongoing) ||
        (before.storageClass === 'INTELLIGENT_TIERING' && !h?.ArchiveStatus);
      await ctx.evidence.save('object-restore-after', { bucket: input.bucket, key: input.key, requested, restore });
      const out: Record<string, unknown> = {
        changed: requested,
        requested,
        restored,
        storageClass: before.storageClass,
        restore,
        before,
      };
      if (!archived) out.reason = `storage class ${before.storageClass} needs no restore`;
      else if (!requested)
        out.reason = before.restore?.ongoing
          ? 'a restore is already in progress'
          : 'a restored copy is already available';
      return out;
    },
    async preview(_ctx, input, before) {
      const noop = !before || !needsRestore(before);
      return {
        summary: noop
          ? `s3://${input.bucket}/${input.key}: no restore needed (${before?.exists ? before.storageClass : 'missing'}${before?.restore ? `, restore ${before.restore.ongoing ? 'in progress' : 'available'}` : ''})`
          : `Request a ${input.tier ?? 'Standard'} restore of s3://${input.bucket}/${input.key} (${before.storageClass}) for ${input.days ?? 7} days`,
        noop,
        before: before ?? null,
      };
    },
    reversible: () =>
      'a restore request cannot be withdrawn; the temporary copy expires on its own after the requested days',
  }),

  resetObjectAcls: defineAction<ResetObjectAclsInput, ResetObjectAclsOutput, AclScope>({
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
        bucket: BUCKET,
        region: REGION,
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
            manifestBucket: BUCKET,
            manifestPrefix: { type: 'string' },
            reportBucket: BUCKET,
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
        throw new IrunError(
          Codes.ACTION_FAILED,
          `cannot undo resetObjectAcls on ${input.bucket}: ${BATCH_MANUAL_UNDO}`,
        );
      return restoreAclsFromEvidence(ctx, input, output.evidence);
    },
  }),

  restoreDeleted: defineAction<RestoreDeletedInput, RestoreDeletedOutput, Record<string, unknown>>({
    title: 'Restore deleted or overwritten objects',
    description:
      'For listed keys, or every key under a prefix deleted or modified inside [since, until]: remove the delete marker, or copy back the newest version ' +
      'written before `since`. Keys with no earlier version are reported as unrecoverable (look for other copies). Undo re-creates the markers and deletes the copies.',
    docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html',
    effect: 'mutate',
    permissions: [
      's3:ListBucketVersions',
      's3:DeleteObjectVersion',
      's3:DeleteObject',
      's3:GetObjectVersion',
      's3:GetObjectVersionTagging',
      's3:PutObject',
    ],
    input: {
      type: 'object',
      properties: {
        bucket: BUCKET,
        region: REGION,
        keys: { type: 'array', items: KEY, minItems: 1 },
        prefix: PREFIX,
        since: {
          type: 'string',
          format: 'date-time',
          description: 'Start of the incident window: versions written before it are the good ones',
        },
        until: { type: 'string', format: 'date-time', description: 'End of the incident window' },
        concurrency: CONCURRENCY,
      },
      required: ['bucket'],
      anyOf: [{ required: ['keys'] }, { required: ['prefix'] }],
      additionalProperties: false,
    },
    output: {
      type: 'object',
      properties: {
        bucket: { type: 'string' },
        changed: { type: 'boolean' },
        counts: {
          type: 'object',
          properties: {
            keys: { type: 'integer' },
            restored: { type: 'integer' },
            removedDeleteMarkers: { type: 'integer' },
            copiedBack: { type: 'integer' },
            unrecoverable: { type: 'integer' },
            unchanged: { type: 'integer' },
            failed: { type: 'integer' },
          },
        },
        restored: {
          type: 'array',
          items: { type: 'object', properties: { key: { type: 'string' }, action: { type: 'string' } } },
        },
        unrecoverable: {
          type: 'array',
          items: { type: 'object', properties: { key: { type: 'string' }, reason: { type: 'string' } } },
        },
        skipped: {
          type: 'array',
          items: { type: 'object', properties: { key: { type: 'string' }, reason: { type: 'string' } } },
        },
        truncated: { type: 'boolean' },
        evidence: { type: 'object', properties: { before: EVIDENCE_FILES, changes: EVIDENCE_FILES } },
        errors: ERROR_LIST,
        before: { type: 'object' },
        after: { type: 'object' },
      },
      required: ['bucket', 'changed', 'counts', 'restored', 'unrecoverable'],
    },
    example: { bucket: 'example-bucket', prefix: 'exports/', since: '2024-05-01T00:00:00Z' },
    async capture(ctx, input) {
      const scope = {
        bucket: input.bucket,
        prefix: input.prefix ?? null,
        keys: input.keys?.length ?? null,
        since: input.since ?? null,
        until: input.until ?? null,
      };
      await ctx.evidence.save('restore-deleted-scope-before', scope);
      return scope;
    },
    async run(ctx, input) {
      return restoreDeletedWork(ctx, input, true);
    },
    async preview(ctx, input) {
      const plan = await restoreDeletedWork(ctx, input, false);
      const c = plan.counts;
      return {
        summary: `Restore ${c.removedDeleteMarkers + c.copiedBack} of ${c.keys} keys in s3://${input.bucket} (${c.removedDeleteMarkers} delete markers to remove, ${c.copiedBack} versions to copy back); ${c.unrecoverable} unrecoverable`,
        noop: c.removedDeleteMarkers + c.copiedBack === 0,
        before: { keysToRestore: plan.before.keysToRestore },
        details: {
          counts: c,
          restore: plan.restored,
          unrecoverable: plan.unrecoverable,
          skipped: plan.skipped,
          truncated: plan.truncated,
        },
      };
    },
    reversible: () => true,
    async undo(ctx, input, _before, output) {
      if (!output?.changed) return { undone: 0 };
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      const s3 = await s3For(ctx, input.bucket, input.region);
      const pool = new AsyncPool(input.concurrency ?? 16);
      allowListeners(ctx.signal, pool.limit);
      const failures = new Failures();
      let undone = 0;
      for (const f of output.evidence.changes) {
        for (const change of await readLines<KeyChange>(ctx, f.file)) {
          await pool.submit(async () => {
            try {
              if (change.action === 'removeDeleteMarker') {
                await send(s3, new DeleteObjectCommand({ Bucket: input.bucket, Key: change.key }), ctx);
              } else {
                await send(
                  s3,
                  new DeleteObjectCommand({ Bucket: input.bucket, Key: change.key, VersionId: change.newVersionId }),
                  ctx,
                );
              }
              undone++;
            } catch (err) {
              if (isFatal(err)) throw err;
              failures.record(change.key, undefined, err);
            }
          });
        }
        await pool.drain();
      }
      if (failures.count > 0) {
        throw new IrunError(
          Codes.BULK_PARTIAL_FAILURE,
          `undo restoreDeleted: ${failures.count} key(s) could not be reverted (${undone} reverted)`,
          {
            details: { undone, failed: failures.count, errors: failures.samples },
          },
        );
      }
      return { undone };
    },
  }),
};
