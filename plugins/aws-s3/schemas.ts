/** Input and output schemas shared by the bucket-level actions of aws.s3. */
import type { JsonSchema } from '../../engine/plugins/api.js';
import { PLAIN_ACL_SCHEMA } from './acl.js';
import { BPA_CONFIG_SCHEMA } from '../aws-common/bpa.js';

export const BUCKET = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$',
  description: 'Bucket name (legacy us-east-1 names with capitals or underscores are accepted).',
};
export const REGION = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: "The bucket's region; discovered with GetBucketLocation when omitted.",
};
export const ACCOUNT_ID = { type: 'string', pattern: '^\\d{12}$' };
export const STRINGS = { type: ['string', 'array'], items: { type: 'string' } };
export const NULLABLE_STRING = { type: ['string', 'null'] };

export function bucketInput(props: Record<string, unknown> = {}, required: string[] = []): JsonSchema {
  return {
    type: 'object',
    properties: { bucket: BUCKET, region: REGION, ...props },
    required: ['bucket', ...required],
    additionalProperties: false,
  };
}

export function out(props: Record<string, unknown>, required: string[] = []): JsonSchema {
  return { type: 'object', properties: { bucket: { type: 'string' }, ...props }, required: ['bucket', ...required] };
}

export const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    awsError: { type: 'string' },
    requestId: { type: 'string' },
  },
  required: ['code', 'message'],
};

export const POLICY_DOC_OUT = {
  type: ['object', 'null'],
  properties: { Version: { type: 'string' }, Id: { type: 'string' }, Statement: { type: ['array', 'object'] } },
};

export const PRINCIPAL_IN = {
  type: ['string', 'object'],
  properties: { AWS: STRINGS, Service: STRINGS, Federated: STRINGS, CanonicalUser: STRINGS },
  additionalProperties: false,
};
export const STATEMENT_IN = {
  type: 'object',
  properties: {
    Sid: { type: 'string' },
    Effect: { type: 'string', enum: ['Allow', 'Deny'] },
    Principal: PRINCIPAL_IN,
    NotPrincipal: PRINCIPAL_IN,
    Action: STRINGS,
    NotAction: STRINGS,
    Resource: STRINGS,
    NotResource: STRINGS,
    Condition: { type: 'object', properties: {}, additionalProperties: { type: 'object', properties: {} } },
  },
  required: ['Effect'],
  additionalProperties: false,
};
export const POLICY_IN = {
  type: 'object',
  description: 'The bucket policy document (parsed JSON).',
  properties: {
    Version: { type: 'string', enum: ['2012-10-17', '2008-10-17'] },
    Id: { type: 'string' },
    Statement: { anyOf: [{ type: 'array', items: STATEMENT_IN, minItems: 1 }, STATEMENT_IN] },
  },
  required: ['Statement'],
  additionalProperties: false,
};

export const POLICY_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, policy: POLICY_DOC_OUT, policyText: NULLABLE_STRING },
  required: ['configured', 'policy'],
};
export const ACL_OUT = { ...PLAIN_ACL_SCHEMA, required: ['grants'] };
export const BPA_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, config: BPA_CONFIG_SCHEMA },
  required: ['configured', 'config'],
};
export const OWNERSHIP_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, objectOwnership: NULLABLE_STRING },
  required: ['configured', 'objectOwnership'],
};
export const VERSIONING_STATE = {
  type: 'object',
  properties: {
    status: { type: ['string', 'null'], description: 'Enabled, Suspended, or null when versioning was never enabled.' },
    mfaDelete: NULLABLE_STRING,
  },
  required: ['status', 'mfaDelete'],
};
export const RULES_OUT = { type: 'array', items: { type: 'object', properties: {} } };
export const ENCRYPTION_STATE = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, rules: RULES_OUT },
  required: ['configured', 'rules'],
};

export const changeOutput = (stateSchema: unknown, extra: Record<string, unknown> = {}): JsonSchema =>
  out({ changed: { type: 'boolean' }, before: stateSchema, after: stateSchema, ...extra }, [
    'changed',
    'before',
    'after',
  ]);
