/** The default-encryption action of aws.s3, with undo. */
import { type ActionContext, Codes, IrunError } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import { defineSetting } from '../aws-common/setting.js';
import { bucketKey, bucketState, s3, sdk, type BucketInput } from './bucket-shared.js';
import { type EncryptionState, readEncryption } from './bucket-state.js';
import { ENCRYPTION_STATE, bucketInput, changeOutput } from './schemas.js';

export interface EncryptionInput extends BucketInput {
  sseAlgorithm?: 'aws:kms' | 'AES256';
  kmsKeyArn?: string;
  bucketKeyEnabled?: boolean;
}

export interface SseRule {
  ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
}

/** The rule to write for the input; rejects a KMS key with AES256. */
export function encryptionRule(input: EncryptionInput): SseRule {
  const algorithm = input.sseAlgorithm ?? (input.kmsKeyArn ? 'aws:kms' : 'AES256');
  if (algorithm === 'AES256' && input.kmsKeyArn) {
    throw new IrunError(Codes.INPUT_INVALID, 'kmsKeyArn is only valid with sseAlgorithm aws:kms', {
      details: { path: '/kmsKeyArn' },
    });
  }
  if (algorithm === 'AES256')
    return { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false };
  return {
    ApplyServerSideEncryptionByDefault: {
      SSEAlgorithm: 'aws:kms',
      ...(input.kmsKeyArn ? { KMSMasterKeyID: input.kmsKeyArn } : {}),
    },
    BucketKeyEnabled: input.bucketKeyEnabled ?? true,
  };
}

export function sameRule(current: Record<string, unknown> | undefined, desired: SseRule): boolean {
  if (!current) return false;
  const cur = current as SseRule;
  const a = cur.ApplyServerSideEncryptionByDefault ?? {};
  const d = desired.ApplyServerSideEncryptionByDefault ?? {};
  if (a.SSEAlgorithm !== d.SSEAlgorithm) return false;
  if (d.SSEAlgorithm === 'AES256') return true;
  return (
    (a.KMSMasterKeyID ?? null) === (d.KMSMasterKeyID ?? null) &&
    (cur.BucketKeyEnabled === true) === (desired.BucketKeyEnabled === true)
  );
}

/** Write the rules, or delete the configuration when there are none. */
async function writeEncryption(ctx: ActionContext, input: BucketInput, rules: unknown[]): Promise<void> {
  const c = await s3(ctx, input);
  const { PutBucketEncryptionCommand, DeleteBucketEncryptionCommand } = await sdk();
  if (rules.length === 0) await send(c, new DeleteBucketEncryptionCommand({ Bucket: input.bucket }), ctx);
  else
    await send(
      c,
      new PutBucketEncryptionCommand({
        Bucket: input.bucket,
        ServerSideEncryptionConfiguration: { Rules: rules as never },
      }),
      ctx,
    );
}

function ruleText(rule: SseRule, noop: boolean, bucket: string): string {
  const sse = rule.ApplyServerSideEncryptionByDefault;
  if (noop) return `Default encryption of bucket ${bucket} is already ${sse?.SSEAlgorithm}`;
  return `Set default encryption of bucket ${bucket} to ${sse?.SSEAlgorithm}${sse?.KMSMasterKeyID ? ` with key ${sse.KMSMasterKeyID}` : ''}`;
}

export const putBucketEncryption = defineSetting<EncryptionInput, EncryptionState, SseRule>({
  title: 'Set bucket default encryption',
  description:
    'Set default encryption: SSE-KMS with a customer key (kmsKeyArn; bucket key on by default) or SSE-S3 (AES256, the default without a key). Nothing is sent when the rule is already in place. Undo restores the previous rules, or deletes the configuration (back to SSE-S3) when there was none.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html',
  input: bucketInput({
    sseAlgorithm: {
      type: 'string',
      enum: ['aws:kms', 'AES256'],
      description: 'aws:kms when kmsKeyArn is given, else AES256.',
    },
    kmsKeyArn: {
      type: 'string',
      pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$',
      description:
        'ARN of the KMS key (arn:aws:kms:<region>:<account>:key/<id>). Aliases are not resolved: give the key ARN, e.g. from `aws kms describe-key --key-id alias/name --query KeyMetadata.Arn`.',
    },
    bucketKeyEnabled: { type: 'boolean', description: 'S3 Bucket Key for SSE-KMS (default true).' },
  }),
  output: changeOutput(ENCRYPTION_STATE),
  // DeleteBucketEncryption (undo) is authorized by s3:PutEncryptionConfiguration.
  permissions: ['s3:GetEncryptionConfiguration', 's3:PutEncryptionConfiguration'],
  example: {
    bucket: 'example-bucket',
    kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  },
  evidence: 'encryption',
  key: bucketKey,
  capture: bucketState(readEncryption),
  read: bucketState(readEncryption),
  desired: (input) => encryptionRule(input),
  isSet: (b, rule) => b.configured && sameRule(b.rules[0], rule),
  put: (ctx, input, rule) => writeEncryption(ctx, input, [rule]),
  restore: (ctx, input, b) => writeEncryption(ctx, input, b.configured ? b.rules : []),
  describe: (input, _b, rule, noop) => ({
    summary: ruleText(rule, noop, input.bucket),
    after: { configured: true, rules: [rule] },
  }),
});
