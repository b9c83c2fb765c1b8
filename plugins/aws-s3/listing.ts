/**
 * Listing objects and versions: the list actions, and the streamed version pages the bulk actions
 * consume page by page so memory does not grow with the object count.
 */
import type { ListObjectVersionsCommandOutput, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, defineAction } from '../../engine/plugins/api.js';
import { plain, send, toIrunError } from '../aws-common/index.js';
import { OBJECT_BUCKET, OBJECT_REGION, PREFIX, VERSION_ENTRY } from './object-schemas.js';
import { s3For } from '../aws-common/s3.js';

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
export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function time(e: { lastModified?: string }): number {
  return e.lastModified ? Date.parse(e.lastModified) : 0;
}

/** Merge a page's Versions and DeleteMarkers back into S3's order: key, then newest first. */
export function mergePage(out: ListObjectVersionsCommandOutput | undefined): VersionEntry[] {
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
export async function* keyGroups(
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

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const listObjectsV2 = defineAction<{ bucket: string; region?: string; prefix?: string; maxKeys?: number }>({
  title: 'List objects',
  description: 'List the current objects of a bucket under a prefix (ListObjectsV2, paginated), up to maxKeys items.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html',
  effect: 'read',
  permissions: ['s3:ListBucket'],
  input: {
    type: 'object',
    properties: {
      bucket: OBJECT_BUCKET,
      region: OBJECT_REGION,
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
});

export const listObjectVersions = defineAction<{ bucket: string; region?: string; prefix?: string; max?: number }>({
  title: 'List object versions',
  description:
    'List object versions and delete markers under a prefix (ListObjectVersions, following key and version-id markers), up to max entries.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html',
  effect: 'read',
  permissions: ['s3:ListBucketVersions'],
  input: {
    type: 'object',
    properties: {
      bucket: OBJECT_BUCKET,
      region: OBJECT_REGION,
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
});
