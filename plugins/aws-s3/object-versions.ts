/** Single-object actions of aws.s3: head, restore or delete a version, restore from an archive tier. */
import type {
  CopyObjectCommandOutput,
  DeleteObjectCommandOutput,
  HeadObjectCommandOutput,
  ListObjectVersionsCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { type ActionContext, type ActionDefinition, defineAction, Codes, IrunError } from '../../engine/plugins/api.js';
import { awsErrorName, plain, send, toIrunError } from '../aws-common/index.js';
import { copySource } from './bulk.js';
import { type VersionEntry, keyVersions, mergePage } from './listing.js';
import { MAX_COPY_BYTES, type ObjectRef, objectInput } from './object-schemas.js';
import { tooLarge } from './restore-deleted.js';
import { s3For } from '../aws-common/s3.js';

// Single-object helpers

/** The newest entry (version or delete marker) of a key, or undefined when it has none. */
export async function latestOf(
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

export async function head(
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

export const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export function headSummary(h: HeadObjectCommandOutput): Record<string, unknown> {
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

export interface RestoreVersionBefore {
  current: { versionId: string; deleteMarker: boolean } | null;
  source: { versionId: string; size?: number; storageClass?: string };
}

export interface DeleteVersionBefore {
  found: boolean;
  deleteMarker: boolean;
  isLatest: boolean;
  lastModified?: string;
  size?: number;
}

export interface RestoreArchivedInput extends ObjectRef {
  days?: number;
  tier?: 'Standard' | 'Bulk' | 'Expedited';
  wait?: boolean;
  pollSeconds?: number;
}

export interface RestoreArchivedBefore {
  exists: boolean;
  storageClass: string;
  archiveStatus?: string;
  restore: { ongoing: boolean; expiry?: string } | null;
}

export function needsRestore(b: RestoreArchivedBefore): boolean {
  if (!b.exists) return false;
  const archived = ARCHIVED.has(b.storageClass) || (b.storageClass === 'INTELLIGENT_TIERING' && !!b.archiveStatus);
  if (!archived) return false;
  return b.restore === null; // in progress or already restored: nothing to request
}

export const headObject = defineAction<ObjectRef>({
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
});

export const restoreObjectVersion: ActionDefinition<
  ObjectRef & { versionId: string },
  Record<string, unknown>,
  RestoreVersionBefore
> = defineAction<ObjectRef & { versionId: string }, Record<string, unknown>, RestoreVersionBefore>({
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
      throw new IrunError(Codes.ACTION_FAILED, `s3://${input.bucket}/${input.key} has no version ${input.versionId}`, {
        details: { bucket: input.bucket, key: input.key, versionId: input.versionId },
      });
    const before: RestoreVersionBefore = {
      current: latest ? { versionId: latest.versionId, deleteMarker: latest.deleteMarker } : null,
      source: plain({ versionId: input.versionId, size: src.ContentLength, storageClass: src.StorageClass }),
    };
    await ctx.evidence.save('object-version-before', { bucket: input.bucket, key: input.key, ...before });
    return before;
  },
  async run(ctx, input, captured) {
    const before = captured ?? (await restoreObjectVersion.capture!(ctx, input));
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
});

export const deleteObjectVersion: ActionDefinition<
  ObjectRef & { versionId: string },
  Record<string, unknown>,
  DeleteVersionBefore
> = defineAction<ObjectRef & { versionId: string }, Record<string, unknown>, DeleteVersionBefore>({
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
    const before = captured ?? (await deleteObjectVersion.capture!(ctx, input));
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
});

export const restoreArchived: ActionDefinition<
  RestoreArchivedInput,
  Record<string, unknown>,
  RestoreArchivedBefore
> = defineAction<RestoreArchivedInput, Record<string, unknown>, RestoreArchivedBefore>({
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
    const before = captured ?? (await restoreArchived.capture!(ctx, input));
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
});
