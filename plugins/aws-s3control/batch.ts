/**
 * aws.s3control.createAclJob: reset object ACLs with an S3 Batch Operations job, for buckets too
 * large to reset from one machine (the job itself is in plugins/aws-common/s3-batch.ts).
 */
import { defineAction, type ActionDefinition, type JsonSchema } from '../../engine/plugins/api.js';
import { runAclJob, jobToken, type AclJobParams, type AclJobResult } from '../aws-common/s3-batch.js';

const BUCKET = { type: 'string', minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' };

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
