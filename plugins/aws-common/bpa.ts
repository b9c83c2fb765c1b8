/**
 * Block Public Access flag sets, shared by the bucket-level (S3) and account-level (S3 Control)
 * settings: the four flags, how a request merges into the current set, their schemas, and the
 * account-level reader and writer.
 */
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { ActionContext } from '../../engine/plugins/api.js';
import { client, send } from './index.js';

export const BPA_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
export type BpaFlag = (typeof BPA_FLAGS)[number];
export type BpaConfig = Record<BpaFlag, boolean>;

/** The lowerCamelCase input name of each flag (blockPublicAcls, ...). */
export const BPA_INPUT_NAMES: Record<BpaFlag, string> = {
  BlockPublicAcls: 'blockPublicAcls',
  IgnorePublicAcls: 'ignorePublicAcls',
  BlockPublicPolicy: 'blockPublicPolicy',
  RestrictPublicBuckets: 'restrictPublicBuckets',
};

/** A full flag set from an AWS answer; missing flags (or an absent configuration) are false. */
export function normalizeBpa(config: Partial<Record<BpaFlag, boolean | undefined>> | null | undefined): BpaConfig {
  const out = {} as BpaConfig;
  for (const f of BPA_FLAGS) out[f] = config?.[f] === true;
  return out;
}

/**
 * The configuration to write: the requested flags (lowerCamelCase input names); when none is
 * requested all four are true; flags not requested keep their current value.
 */
export function mergeBpa(current: BpaConfig | null | undefined, input: object): BpaConfig {
  const requested = input as Record<string, unknown>;
  const base = normalizeBpa(current);
  const asked = BPA_FLAGS.filter((f) => typeof requested[BPA_INPUT_NAMES[f]] === 'boolean');
  if (asked.length === 0)
    return { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
  const out = { ...base };
  for (const f of asked) out[f] = requested[BPA_INPUT_NAMES[f]] === true;
  return out;
}

export function bpaEquals(a: BpaConfig, b: BpaConfig): boolean {
  return BPA_FLAGS.every((f) => a[f] === b[f]);
}

/** Flags that differ between two sets, as "Flag: false -> true". */
export function bpaDiff(before: BpaConfig, after: BpaConfig): string[] {
  return BPA_FLAGS.filter((f) => before[f] !== after[f]).map((f) => `${f}: ${before[f]} -> ${after[f]}`);
}

/** JSON Schema properties of the four flags as inputs (lowerCamelCase). */
export const BPA_INPUT_SCHEMA: Record<string, Record<string, unknown>> = {
  blockPublicAcls: { type: 'boolean', description: 'Reject requests that add public ACLs.' },
  ignorePublicAcls: { type: 'boolean', description: 'Ignore existing public ACLs.' },
  blockPublicPolicy: { type: 'boolean', description: 'Reject bucket policies that grant public access.' },
  restrictPublicBuckets: {
    type: 'boolean',
    description: 'Only AWS services and the owner account may use a public policy.',
  },
};

/** JSON Schema of a flag set in outputs (AWS field names); null when not configured. */
export const BPA_CONFIG_SCHEMA: Record<string, unknown> = {
  type: ['object', 'null'],
  properties: {
    BlockPublicAcls: { type: 'boolean' },
    IgnorePublicAcls: { type: 'boolean' },
    BlockPublicPolicy: { type: 'boolean' },
    RestrictPublicBuckets: { type: 'boolean' },
  },
};

/** The account's Block Public Access state: `config` null when none is set. */
export interface AccountBpaState {
  accountId: string;
  configured: boolean;
  config: BpaConfig | null;
}

async function s3control(ctx: ActionContext): Promise<S3ControlClient> {
  const { S3ControlClient: Ctor } = await import('@aws-sdk/client-s3-control');
  return client(ctx, Ctor);
}

/** Read the account-level Block Public Access configuration (absent is a result). */
export async function readAccountBpa(ctx: ActionContext, accountId: string): Promise<AccountBpaState> {
  const { GetPublicAccessBlockCommand } = await import('@aws-sdk/client-s3-control');
  const c = await s3control(ctx);
  const out = await send<{ PublicAccessBlockConfiguration?: Partial<BpaConfig> }>(
    c,
    new GetPublicAccessBlockCommand({ AccountId: accountId }),
    ctx,
    { allowNotConfigured: true },
  );
  if (!out) return { accountId, configured: false, config: null };
  return { accountId, configured: true, config: normalizeBpa(out.PublicAccessBlockConfiguration) };
}

export async function writeAccountBpa(ctx: ActionContext, accountId: string, config: BpaConfig | null): Promise<void> {
  const { PutPublicAccessBlockCommand, DeletePublicAccessBlockCommand } = await import('@aws-sdk/client-s3-control');
  const c = await s3control(ctx);
  if (config === null) await send(c, new DeletePublicAccessBlockCommand({ AccountId: accountId }), ctx);
  else
    await send(
      c,
      new PutPublicAccessBlockCommand({ AccountId: accountId, PublicAccessBlockConfiguration: { ...config } }),
      ctx,
    );
}
