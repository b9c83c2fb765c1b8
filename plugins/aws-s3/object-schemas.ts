/** Limits and schemas shared by the object-level actions of aws.s3. */
import type { JsonSchema } from '../../engine/plugins/api.js';
import { PLAIN_ACL_SCHEMA } from './acl.js';

/** CopyObject copies at most 5 GB in one request; larger objects need UploadPartCopy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** How many per-object errors are kept as samples in outputs and error details. */
export const ERROR_SAMPLES = 20;
/** How many entries of a bulk result list are returned in the output (evidence has them all). */
export const LIST_CAP = 1000;
/** Stop a bulk action early when this many calls failed and none succeeded (e.g. no permission). */
export const FAIL_FAST_AFTER = 50;

// Schemas

export const OBJECT_BUCKET = {
  type: 'string',
  minLength: 3,
  maxLength: 63,
  pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
  description: 'Bucket name',
};
export const OBJECT_REGION = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
  description: 'Bucket region (default: discovered with GetBucketLocation)',
};
export const KEY = { type: 'string', minLength: 1, maxLength: 1024, description: 'Object key' };
export const VERSION_ID = { type: 'string', minLength: 1, maxLength: 1024, description: 'Object version id' };
export const PREFIX = { type: 'string', maxLength: 1024, description: 'Key prefix' };
export const CONCURRENCY = {
  type: 'integer',
  minimum: 1,
  maximum: 128,
  default: 16,
  description: 'Requests in flight at most',
};

export const ACL_SCHEMA: JsonSchema = PLAIN_ACL_SCHEMA;

export const VERSION_ENTRY: JsonSchema = {
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

export const EVIDENCE_FILES: JsonSchema = {
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

export const ERROR_LIST: JsonSchema = {
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

export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string;
  region?: string;
}
export const objectInput = (
  extra: Record<string, unknown> = {},
  required: string[] = ['bucket', 'key'],
): JsonSchema => ({
  type: 'object',
  properties: { bucket: OBJECT_BUCKET, key: KEY, versionId: VERSION_ID, region: OBJECT_REGION, ...extra },
  required,
  additionalProperties: false,
});
